"""All configuration, read once from the environment (prefix `EHSJ_`) or a `.env` file."""

from __future__ import annotations

import hashlib
import secrets
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER_SECRETS = frozenset({"changethis", "change-me", "changeme", "secret", "development", "test"})


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

    secret_key: SecretStr | None = Field(
        default=None,
        description="signs the web app's session cookie and the projection's snapshots; required in production (at least 32 "
        "characters, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`); "
        "elsewhere a random key per process is made when unset",
    )
    session_max_age_seconds: int = Field(
        default=8 * 3600, ge=60, description="a web session ends this long after signing in"
    )
    session_cookie_secure: bool = Field(
        default=True,
        description="send the session cookie over HTTPS only (browsers treat http://127.0.0.1 and "
        "http://localhost as secure, so `make run` works with it on)",
    )

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

    @model_validator(mode="after")
    def _safe_secret_key(self) -> Settings:
        """No default secret outside development and test: production refuses a missing or
        placeholder key; elsewhere a missing key becomes a random one for this process."""
        value = None if self.secret_key is None else self.secret_key.get_secret_value()
        unsafe = value is None or value.strip().casefold() in PLACEHOLDER_SECRETS or len(value) < 32
        if self.environment == "production" and unsafe:
            raise ValueError(
                "EHSJ_SECRET_KEY must be set to a random value of at least 32 characters in production"
            )
        if value is None:
            self.secret_key = SecretStr(secrets.token_urlsafe(48))
        elif unsafe:
            warnings.warn("EHSJ_SECRET_KEY is a placeholder or short: never use it in production", stacklevel=2)
        return self


    def snapshot_key(self) -> bytes:
        """The key the projection signs its snapshots with (runner.SnapshotStore), from the secret key."""
        assert self.secret_key is not None  # _safe_secret_key makes one when unset
        return hashlib.sha256(b"ehsj-snapshots|" + self.secret_key.get_secret_value().encode()).digest()


@lru_cache
def get_settings() -> Settings:
    return Settings()
