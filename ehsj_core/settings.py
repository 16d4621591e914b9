"""All configuration, read once from the environment (prefix `EHSJ_`) or a `.env` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="EHSJ_", env_file=".env", env_ignore_empty=True, extra="ignore"
    )

    environment: Literal["development", "test", "production"] = Field(
        default="development", description="production refuses unsafe defaults"
    )
    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'ehsj.sqlite3'}",
        description="SQLAlchemy URL: sqlite:///path (embedded) or postgresql+psycopg://user@host/db",
    )
    contracts_dir: Path = Field(
        default=PROJECT_ROOT / "contracts", description="folder of contract files loaded by `ehsj init`"
    )
    house: str = Field(default="sjaelland", description="the business house events are logged for")
    timezone: str = Field(default="Europe/Copenhagen", description="business time zone")
    snapshot_every: int = Field(
        default=20_000, ge=100, description="write a projection snapshot every N log positions"
    )
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", description="Celery broker")
    host: str = "127.0.0.1"
    port: int = 8000


@lru_cache
def get_settings() -> Settings:
    return Settings()
