"""Every database table, declared with SQLModel. One metadata for Alembic and the tests."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, SQLModel

JSONData = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


class StoredEvent(SQLModel, table=True):
    """One row of the append-only event log. Never updated, never deleted (database triggers)."""

    __tablename__ = "events"
    __table_args__ = (
        sa.Index("ix_events_house_occurred_on", "house", "occurred_on"),
        sa.Index("ix_events_type", "type"),
    )

    # INTEGER on SQLite: the rowid itself (migration 0004)
    position: int = Field(
        sa_column=sa.Column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=False)
    )
    event_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False, unique=True))
    type: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    schema_version: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    house: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    occurred_on: date = Field(sa_column=sa.Column(sa.Date, nullable=False))
    recorded_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    recorded_by: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
    data: dict[str, Any] = Field(sa_column=sa.Column(JSONData, nullable=False))
    prev_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))


class RetractionIndex(SQLModel, table=True):
    """One row per retracted event, written in the transaction of its `event.retracted`: "retracted
    as of position P" is one indexed look-up. Append-only like the log (database triggers); `ehsj
    audit verify` checks it against the log."""

    __tablename__ = "retractions"

    target_event_id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    target_position: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    event_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False, unique=True))
    position: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False, unique=True))


class CompanyName(SQLModel, table=True):
    """Every (CVR, company name) pair a course was logged with, and its case-folded form: the
    history's name search scans these few thousand rows instead of the JSON of every event.
    Written in the transaction of the course that first names the pair; derived from the log."""

    __tablename__ = "company_names"

    cvr: str = Field(sa_column=sa.Column(sa.String(8), primary_key=True))
    name: str = Field(sa_column=sa.Column(sa.String(200), primary_key=True))
    folded: str = Field(sa_column=sa.Column(sa.String(800), nullable=False))
    position: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


class ProjectionSnapshot(SQLModel, table=True):
    """A projection's folded state at a log position, written by one version of the fold code."""

    __tablename__ = "projection_snapshots"
    __table_args__ = (sa.UniqueConstraint("name", "version", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    version: str = Field(max_length=64)
    position: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    state: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))


class StoredContract(SQLModel, table=True):
    """Every version of every contract file ever loaded; the newest per house and year is in force."""

    __tablename__ = "contracts"
    __table_args__ = (sa.UniqueConstraint("house", "year", "sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    house: str = Field(max_length=32)
    year: int
    filename: str = Field(max_length=255)
    sha256: str = Field(max_length=64)
    source: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    loaded_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))


class User(SQLModel, table=True):
    """A person or a client: API tokens (table `api_tokens`) and, to sign in to the web app, a
    password (its argon2 hash)."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=128, sa_column_kwargs={"unique": True})
    role: str = Field(max_length=16)
    municipality: str | None = Field(default=None, max_length=64)
    password_hash: str | None = Field(default=None, max_length=255)  # argon2; None: API token only
    disabled: bool = False
    created_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    # single sign-on (ehsj_core/oidc.py): the provider's issuer and subject, unique together (migration 0009)
    oidc_issuer: str | None = Field(default=None, max_length=255)
    oidc_subject: str | None = Field(default=None, max_length=255)


metadata = SQLModel.metadata


class Recipient(SQLModel, table=True):
    """Who receives reports: the 17 business chiefs, K17, KKR, the director. Personal data."""

    __tablename__ = "recipients"
    __table_args__ = (sa.UniqueConstraint("role", "municipality", "email"),)

    id: int | None = Field(default=None, primary_key=True)
    role: str = Field(max_length=16)  # chief, k17, kkr, director
    municipality: str | None = Field(default=None, max_length=64)
    name: str = Field(max_length=128)
    email: str = Field(max_length=254)
    active: bool = True
    created_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))


class Dispatch(SQLModel, table=True):
    """The dispatch ledger: one row per report kind, period and recipient, never two."""

    __tablename__ = "dispatches"
    __table_args__ = (sa.UniqueConstraint("kind", "period", "recipient_id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    period: str = Field(max_length=16)
    recipient_id: int = Field(foreign_key="recipients.id")
    email: str = Field(max_length=254)  # the address as it was when the row was made
    municipality: str | None = Field(default=None, max_length=64)
    state: str = Field(max_length=16)  # pending, sending, sent, failed
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    message_id: str = Field(max_length=255)
    position: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    sha256: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    claimed_at: datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))
    sent_at: datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))


class SchedulerHeartbeat(SQLModel, table=True):
    """The scheduler's sign of life: one row per scheduler name, rewritten every minute
    (`ehsj_core/heartbeat.py`); `ehsj health scheduler` fails when it is too old."""

    __tablename__ = "scheduler_heartbeats"

    name: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    last_run_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    host: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    pid: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))


# --- issue 11: sessions, sign-in throttling, API tokens (migration 0006) ---
class WebSession(SQLModel, table=True):
    """A signed-in browser (`ehsj_core/sessions.py`). The cookie holds a random token; only its
    SHA-256 is stored here. Personal data: the browser and the client address."""

    __tablename__ = "web_sessions"
    __table_args__ = (sa.Index("ix_web_sessions_user_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id")
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    csrf_token: str = Field(max_length=64)
    method: str = Field(max_length=16)  # password, oidc
    created_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    last_seen_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    ended_at: datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))
    ended_reason: str | None = Field(default=None, max_length=32)
    user_agent: str | None = Field(default=None, max_length=300)
    ip: str | None = Field(default=None, max_length=64)


class ApiToken(SQLModel, table=True):
    """A user's named API token (its SHA-256, never in clear); a user may have several."""

    __tablename__ = "api_tokens"
    __table_args__ = (sa.Index("ix_api_tokens_user_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id")
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    created_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    last_used_at: datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))
    revoked_at: datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))


class SignInFailure(SQLModel, table=True):
    """One failed sign-in: the account name as typed, case-folded (also names no user has), and the
    client address (`ehsj_core/throttle.py`). Rows older than the window plus the lock are purged."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (
        sa.Index("ix_sign_in_failures_account", "account", "failed_at"),
        sa.Index("ix_sign_in_failures_ip", "ip", "failed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account: str = Field(max_length=200)
    ip: str | None = Field(default=None, max_length=64)
    failed_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))


# --- issue 11: personal data keys (migration 0007) ---
class SubjectKey(SQLModel, table=True):
    """One data subject (a company or a consultant) and the AES-256 key its personal fields in the
    log are sealed with (`ehsj_core/privacy`). `subject` is a random pseudonym that the log carries
    in clear; `lookup` (HMAC of the identifier with the installation's pepper) finds it again from a
    CVR or a name; `label` is the name for the history's search. Forgetting the subject sets key,
    lookup and label to NULL and `erased_at`: the row stays, so readers say "slettet"."""

    __tablename__ = "subject_keys"

    subject: str = Field(sa_column=sa.Column(sa.String(18), primary_key=True))
    kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    lookup: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), unique=True))
    label: str | None = Field(default=None, sa_column=sa.Column(sa.String(800)))
    key: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary))
    created_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    erased_at: datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))


class PrivacyPepper(SQLModel, table=True):
    """The installation's secret for `SubjectKey.lookup` (one row, made by migration 0007)."""

    __tablename__ = "privacy_pepper"

    id: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True, autoincrement=False))
    pepper: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))


# --- issue 11: access log (migration 0008) ---


class AccessLogEntry(SQLModel, table=True):
    """Who read recipients' addresses, searched the history by CVR or name, or exported the log
    (`ehsj_core/access_log.py`). Written before the answer; read by the director only."""

    __tablename__ = "access_log"
    __table_args__ = (sa.Index("ix_access_log_at", "at"), sa.Index("ix_access_log_user_name", "user_name"))

    id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    )
    at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    user_name: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
    role: str | None = Field(default=None, sa_column=sa.Column(sa.String(16)))  # None: the command line
    action: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    detail: dict[str, Any] = Field(sa_column=sa.Column(JSONData, nullable=False))
    channel: str = Field(sa_column=sa.Column(sa.String(8), nullable=False))  # web, api, cli
    client: str | None = Field(default=None, sa_column=sa.Column(sa.String(64)))  # the client's address


# --- issue 12: calendar feeds (migration 0010) ---


class CalendarFeed(SQLModel, table=True):
    """A user's secret calendar address (`ehsj_core/calendar_tokens.py`): the SHA-256 of the token in
    the URL, never the token, and the random nonce the token is derived from with the secret key, so
    that the owner's page can show the address again. Renewing replaces both: the old URL stops working."""

    __tablename__ = "calendar_feeds"

    user_id: int = Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("users.id"), primary_key=True))
    token_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    nonce: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))


# --- issue 14: houses as data and the national roll-up (migration 0011) ---


class InstallationFact(SQLModel, table=True):
    """A fact about this installation; `house`: the house whose log this database holds."""

    __tablename__ = "installation"

    key: str = Field(sa_column=sa.Column(sa.String(32), primary_key=True))
    value: str = Field(sa_column=sa.Column(sa.String(256), nullable=False))
    set_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))


class NationalExport(SQLModel, table=True):
    """A house's export the national installation accepted: its header, the file's digest, how it came.
    Read-only (database triggers), like the rows it brought."""

    __tablename__ = "national_exports"
    __table_args__ = (
        sa.UniqueConstraint("house", "year", "head_position", name="uq_national_exports_house_year_head"),
    )

    id: int | None = Field(default=None, sa_column=sa.Column(sa.Integer, primary_key=True))
    house: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    year: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    head_position: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    head_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    in_year: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    exported_at: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    file_sha256: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    contract_sha256: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    received_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    received_via: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))  # cli, upload
    received_by: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))


class NationalRow(SQLModel, table=True):
    """One row of a house's log as its export brought it, once per house and position. Read-only."""

    __tablename__ = "national_rows"

    house: str = Field(sa_column=sa.Column(sa.String(32), primary_key=True))
    position: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False))
    event_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False))
    type: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    payload: str = Field(sa_column=sa.Column(sa.Text, nullable=False))  # the ten hashed fields, JSON


class NationalHouseToken(SQLModel, table=True):
    """A house's upload token on the national installation: only its SHA-256 is stored."""

    __tablename__ = "national_house_tokens"

    id: int | None = Field(default=None, sa_column=sa.Column(sa.Integer, primary_key=True))
    house: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    token_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    created_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    last_used_at: datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))
    revoked_at: datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))


class NationalUpload(SQLModel, table=True):
    """On a house's installation: one head position sent to the national installation, exactly once."""

    __tablename__ = "national_uploads"
    # by year too: the same head sent as one year's export and (a quarter later, nothing new) the next's
    __table_args__ = (sa.UniqueConstraint("year", "head_position", name="uq_national_uploads_year_head"),)

    id: int | None = Field(default=None, sa_column=sa.Column(sa.Integer, primary_key=True))
    head_position: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    head_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    year: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    status: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))  # pending sending sent failed superseded
    attempts: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    last_error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    response: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    created_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))
