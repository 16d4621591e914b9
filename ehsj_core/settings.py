"""All configuration, read once from the environment (prefix `EHSJ_`) or a `.env` file."""

from __future__ import annotations

import hashlib
import os
import secrets
import warnings
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SecretsSettingsSource,
    SettingsConfigDict,
)
from sqlalchemy.engine import make_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The contract files ship inside the package (ehsj_core/contracts, in the checkout a link to contracts/).
PACKAGED_CONTRACTS = Path(str(files("ehsj_core") / "contracts"))
DEFAULT_SECRETS_DIR = "/run/secrets"
PLACEHOLDER_SECRETS = frozenset({"changethis", "change-me", "changeme", "secret", "development", "test"})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EHSJ_", env_file=".env", env_ignore_empty=True, extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        default="development", description="production refuses unsafe defaults"
    )
    data_dir: Path = Field(
        default_factory=lambda: Path.cwd() / "var",
        description="where the default SQLite database and outbox live (var/ under the working directory)",
    )
    database_url: str = Field(
        default_factory=lambda data: f"sqlite:///{data['data_dir'] / 'ehsj.sqlite3'}",
        description="SQLAlchemy URL: sqlite:///path (embedded) or postgresql+psycopg://user@host/db",
    )
    database_password: SecretStr | None = Field(
        default=None, description="put into database_url when that has no password (a Docker secret)"
    )
    contracts_dir: Path = Field(
        default=PACKAGED_CONTRACTS, description="folder of contract files loaded by `ehsj init`"
    )
    house: str | None = Field(
        default=None,
        description="the business house (a key of houses.yaml) this installation runs for; unset: the house "
        "its database records (ehsj_core/installation.py), else sjaelland; another house than the recorded "
        "one is refused",
    )
    timezone: str = Field(default="Europe/Copenhagen", description="business time zone")
    snapshot_every: int = Field(default=20_000, ge=100, description="write a projection snapshot every N log positions")
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
        description="signs the web app's session cookie and the projection's snapshots; "
        "required in production (at least 32 "
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
    smtp_port: int = Field(default=587, ge=1, le=65535, description="587 for STARTTLS, 465 for implicit TLS")
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None  # or the file <secrets dir>/ehsj_smtp_password
    smtp_tls: Literal["starttls", "implicit", "none"] | None = Field(
        default=None,
        description="starttls: STARTTLS on a plain connection (port 587); implicit: TLS from the first byte "
        "(port 465); none: no TLS (a local relay only). The certificate is always verified. "
        "Unset: EHSJ_SMTP_STARTTLS decides (true → starttls, false → none)",
    )
    smtp_starttls: bool = Field(default=True, description="older switch, used only when EHSJ_SMTP_TLS is unset")
    smtp_timeout_seconds: float = Field(
        default=20.0, gt=0, description="connecting to and talking with the SMTP server"
    )
    mail_from: str | None = Field(
        default=None,
        description="the sender of the reports; unset: the house's `mail_from` in the house file (houses.yaml)",
    )
    outbox_dir: Path = Field(
        default_factory=lambda data: data["data_dir"] / "outbox", description=".eml files when no SMTP"
    )
    catch_up_days: int = Field(
        default=14, ge=0, description="a report whose send date passed longer ago is not sent by itself"
    )
    max_attempts: int = Field(default=5, ge=1, description="SMTP attempts before a dispatch is failed")
    retry_backoff_seconds: float = Field(default=60.0, ge=0, description="first retry delay; doubles")
    sending_timeout_seconds: int = Field(
        default=600, ge=1, description="a dispatch left 'sending' this long (a crash) is tried again"
    )

    log_format: Literal["text", "json"] | None = Field(
        default=None,
        description="log lines: text (for people) or json (one object a line); "
        "unset: json in production, text elsewhere",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        default="INFO", description="the lowest level logged (every process)"
    )
    heartbeat_interval_seconds: int = Field(
        default=60, ge=1, description="the scheduler writes its heartbeat row this often"
    )
    heartbeat_max_age_seconds: int = Field(
        default=180, ge=1, description="`ehsj health scheduler` fails when the newest heartbeat is older than this"
    )

    # --- issue 11: sessions and sign-in throttling ---
    session_idle_seconds: int = Field(
        default=3600, ge=300, description="a web session ends after this long without a request"
    )
    signin_max_failures: int = Field(
        default=5, ge=1, description="failed sign-ins to one account name within the window that lock it"
    )
    signin_max_failures_per_address: int = Field(
        default=20, ge=1, description="failed sign-ins from one client address within the window that lock it"
    )
    signin_window_seconds: int = Field(default=900, ge=1, description="the window the failed sign-ins count in")
    signin_lock_seconds: int = Field(
        default=900, ge=1, description="a locked account or address is refused this long after its last failure"
    )

    # --- issue 11: single sign-on (OpenID Connect) ---
    oidc_discovery_url: str | None = Field(
        default=None,
        description="the identity provider's OpenID configuration (https://…/.well-known/openid-configuration; "
        "Entra ID: https://login.microsoftonline.com/<tenant id>/v2.0/.well-known/openid-configuration); "
        "unset: no single sign-on, passwords only",
    )
    oidc_client_id: str | None = Field(default=None, description="this app's client id at the provider")
    oidc_client_secret: SecretStr | None = None  # or the file <secrets dir>/ehsj_oidc_client_secret
    oidc_scopes: str = Field(default="openid profile email", description="scopes asked for; must include openid")
    oidc_groups_claim: str = Field(
        default="groups", description="the ID token claim with the user's groups (Entra ID: groups, or roles)"
    )
    oidc_group_map: str = Field(
        default="{}",
        description='JSON: group → {"role": …, "municipality": … (a chief), "house": … (optional)}; '
        "the groups claim's values are matched exactly (ehsj_core/oidc.py)",
    )
    oidc_button_label: str = Field(
        default="Log ind med organisationens konto", description="the sign-in page's single sign-on button"
    )

    @model_validator(mode="after")
    def _valid_single_sign_on(self) -> Settings:
        """A wrong map or a missing client id stops the process at startup, not a user at sign-in."""
        from ehsj_core.oidc import sso_settings_problem  # the map's rules live with the mapping

        problem = sso_settings_problem(self)
        if problem is not None:
            raise ValueError(problem)
        return self

    # --- issue 11: upload limits ---
    import_max_bytes: int = Field(
        default=100 * 1024 * 1024,
        ge=1024,
        description="the largest import file (CSV or XLSX) in bytes; a larger upload is refused (HTTP 413) "
        "before its body is read, a larger file before it is read (the CLI)",
    )
    import_max_uncompressed_bytes: int = Field(
        default=100 * 1024 * 1024,
        ge=1024,
        description="an XLSX is a zip: the most its parts may fill unpacked, summed, as its zip directory "
        "declares (checked before parsing; the reader never unpacks past the declared sizes)",
    )
    import_max_rows: int = Field(
        default=100_000,
        ge=1,
        description="the most data rows of one import (the header not counted); checked against an XLSX's "
        "declared dimension before parsing and while reading every file",
    )

    # --- issue 11: headers behind a TLS proxy ---
    behind_tls_proxy: bool = Field(
        default=False,
        description="the app is reached only through a proxy that terminates TLS: every answer carries "
        "Strict-Transport-Security (HSTS), so browsers use HTTPS only for this host",
    )
    hsts_max_age_seconds: int = Field(
        default=31_536_000, ge=0, description="how long browsers remember HTTPS only (HSTS max-age; one year)"
    )
    access_log_retention_days: int = Field(
        default=730,
        ge=0,
        description="access-log entries older than this are deleted when a new one is written; 0: kept for ever",
    )

    # --- issue 14: sending this house's export to the national installation ---
    national_url: str | None = Field(
        default=None,
        description="the national installation's base URL (https://…); set, the scheduler sends this "
        "house's export there after each quarter; unset, nothing is sent",
    )
    national_token: SecretStr | None = Field(
        default=None,
        description="this house's upload token, made on the national installation "
        "(`ehsj national token-create --house KEY`); or the file <secrets dir>/ehsj_national_token",
    )
    national_timeout_seconds: float = Field(
        default=120.0, gt=0, description="connecting to and uploading to the national installation"
    )
    national_send_days_after_quarter: int = Field(
        default=5, ge=0, le=60, description="the export is sent this many days after each quarter ends"
    )
    national_send_time: str = Field(
        default="06:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="… at this local time"
    )

    @field_validator("house", mode="before")
    @classmethod
    def _blank_house_is_unset(cls, value: object) -> object:
        """EHSJ_HOUSE= (empty, as `make run` without HOUSE= passes it): unset, not a house named ''."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    def effective_log_format(self) -> Literal["text", "json"]:
        """EHSJ_LOG_FORMAT, or by default json in production and text elsewhere."""
        if self.log_format is not None:
            return self.log_format
        return "json" if self.environment == "production" else "text"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Docker secrets: a file named like the variable (`ehsj_secret_key`, `ehsj_database_password`,
        `ehsj_smtp_password`, …) in EHSJ_SECRETS_DIR (default /run/secrets), below the environment."""
        secrets_dir = Path(os.environ.get("EHSJ_SECRETS_DIR") or DEFAULT_SECRETS_DIR)
        sources: tuple[PydanticBaseSettingsSource, ...] = (init_settings, env_settings, dotenv_settings)
        if secrets_dir.is_dir():
            sources += (SecretsSettingsSource(settings_cls, secrets_dir=secrets_dir),)
        return sources

    @model_validator(mode="after")
    def _password_into_url(self) -> Settings:
        if self.database_password is not None:
            url = make_url(self.database_url)
            if url.password is None:
                url = url.set(password=self.database_password.get_secret_value())
                self.database_url = url.render_as_string(hide_password=False)
        return self

    @model_validator(mode="after")
    def _safe_secret_key(self) -> Settings:
        """No default secret outside development and test: production refuses a missing or
        placeholder key; elsewhere a missing key becomes a random one for this process."""
        value = None if self.secret_key is None else self.secret_key.get_secret_value()
        unsafe = value is None or value.strip().casefold() in PLACEHOLDER_SECRETS or len(value) < 32
        if self.environment == "production" and unsafe:
            raise ValueError("EHSJ_SECRET_KEY must be set to a random value of at least 32 characters in production")
        if value is None:
            self.secret_key = SecretStr(secrets.token_urlsafe(48))
        elif unsafe:
            warnings.warn("EHSJ_SECRET_KEY is a placeholder or short: never use it in production", stacklevel=2)
        return self

    @property
    def smtp_security(self) -> Literal["starttls", "implicit", "none"]:
        """The TLS mode in effect: EHSJ_SMTP_TLS, else the older EHSJ_SMTP_STARTTLS."""
        if self.smtp_tls is not None:
            return self.smtp_tls
        return "starttls" if self.smtp_starttls else "none"

    def snapshot_key(self) -> bytes:
        """The key the projection signs its snapshots with (runner.SnapshotStore), from the secret key."""
        assert self.secret_key is not None  # _safe_secret_key makes one when unset
        return hashlib.sha256(b"ehsj-snapshots|" + self.secret_key.get_secret_value().encode()).digest()


@lru_cache
def get_settings() -> Settings:
    return Settings()
