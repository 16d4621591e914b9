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
    mode: Literal["embedded", "distributed"] = Field(
        default="embedded",
        description="embedded: tasks run in process and `ehsj serve` runs the scheduler; "
        "distributed: tasks go to Celery workers through Redis, the scheduler is its own process",
    )
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", description="Celery broker")
    visibility_timeout_seconds: int = Field(
        default=3600, ge=1, description="a task taken by a worker that died is redelivered after this"
    )
    host: str = "127.0.0.1"
    port: int = 8000

    smtp_host: str | None = Field(default=None, description="SMTP server; unset: emails go to outbox_dir")
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    mail_from: str = Field(default="Erhvervshus Sjælland <rapporter@erhvervshussjaelland.dk>")
    outbox_dir: Path = Field(default=PROJECT_ROOT / "var" / "outbox", description=".eml files when no SMTP")
    catch_up_days: int = Field(
        default=14, ge=0, description="a report whose send date passed longer ago is not sent by itself"
    )
    max_attempts: int = Field(default=5, ge=1, description="SMTP attempts before a dispatch is failed")
    retry_backoff_seconds: float = Field(default=60.0, ge=0, description="first retry delay; doubles")
    sending_timeout_seconds: int = Field(
        default=600, ge=1, description="a dispatch left 'sending' this long (a crash) is tried again"
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
