"""Server-side web sessions: opened at sign-in, ended at sign-out, by the user, by the director, when
the user is disabled or gets a new password, after an idle time and after an absolute lifetime.

The browser holds a random token; the table holds only its SHA-256, so a copy of the table opens no
session. Every session carries its own CSRF token. `last_seen_at` is written at most every
`TOUCH_SECONDS`, not on every request: the idle timeout is therefore exact to within that.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ehsj_core.tables import WebSession
from ehsj_core.users import Principal, user_id_of, users_table

sessions_table: sa.Table = WebSession.__table__  # type: ignore[attr-defined]
METHODS = ("password", "oidc")
TOUCH_SECONDS = 60
# Ended sessions (their browser and address are personal data) are deleted this long after they end.
KEEP_ENDED = timedelta(days=30)
# Why a session ended (ended_reason).
SIGNED_OUT, ENDED_BY_USER, ENDED_BY_ADMIN = "signed_out", "ended_by_user", "ended_by_admin"
IDLE, EXPIRED, DISABLED, NEW_PASSWORD, REPLACED = "idle", "expired", "disabled", "new_password", "replaced"


@dataclass(frozen=True)
class SessionLimits:
    idle_seconds: int
    max_age_seconds: int

    def over(self, created_at: datetime, last_seen_at: datetime, now: datetime) -> str | None:
        """Why a session seen like this is over at `now` (EXPIRED, IDLE), or None while it lasts."""
        if now - created_at > timedelta(seconds=self.max_age_seconds):
            return EXPIRED
        if now - last_seen_at > timedelta(seconds=self.idle_seconds):
            return IDLE
        return None


@dataclass(frozen=True)
class SessionInfo:
    """A session as "Mine sessioner" shows it (never its token)."""

    id: int
    user_id: int
    csrf_token: str
    method: str
    created_at: datetime
    last_seen_at: datetime
    user_agent: str | None
    ip: str | None


@dataclass(frozen=True)
class ActiveSession:
    session: SessionInfo
    principal: Principal


@dataclass(frozen=True)
class OpenedSession:
    token: str  # for the cookie only: never stored
    active: ActiveSession


def hash_session_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(
    engine: Engine,
    principal: Principal,
    method: str,
    user_agent: str | None,
    ip: str | None,
    now: datetime | None = None,
) -> OpenedSession:
    """A new session for a principal who just signed in (also purges long-ended sessions)."""
    if method not in METHODS:
        raise ValueError(f"method: ukendt login-metode {method!r}; tilladt: {', '.join(METHODS)}")
    now = now or datetime.now(UTC)
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    user_agent, ip = (user_agent or "")[:300] or None, (ip or "")[:64] or None
    t = sessions_table
    with engine.begin() as conn:
        conn.execute(t.delete().where(t.c.ended_at.is_not(None), t.c.ended_at < now - KEEP_ENDED))
        key = conn.execute(
            t.insert().values(
                user_id=principal.id,
                token_hash=hash_session_token(token),
                csrf_token=csrf,
                method=method,
                created_at=now,
                last_seen_at=now,
                user_agent=user_agent,
                ip=ip,
            )
        ).inserted_primary_key
    assert key is not None
    info = SessionInfo(int(key[0]), principal.id, csrf, method, now, now, user_agent, ip)
    return OpenedSession(token, ActiveSession(info, principal))


def resolve_session(
    engine: Engine, token: str, limits: SessionLimits, now: datetime | None = None
) -> ActiveSession | None:
    """The open session of this token and its enabled user; None when there is none any more. A session
    found over its idle time or lifetime is ended here, so that it shows as ended everywhere."""
    now = now or datetime.now(UTC)
    s, u = sessions_table, users_table
    query = (
        sa.select(s, u.c.name, u.c.role, u.c.municipality, u.c.disabled)
        .join(u, u.c.id == s.c.user_id)
        .where(s.c.token_hash == hash_session_token(token), s.c.ended_at.is_(None))
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    info = _info(row)
    reason = DISABLED if row.disabled else limits.over(info.created_at, info.last_seen_at, now)
    if reason is not None:
        with engine.begin() as conn:
            _end(conn, s.c.id == info.id, reason, now)
        return None
    if now - info.last_seen_at >= timedelta(seconds=TOUCH_SECONDS):
        with engine.begin() as conn:
            conn.execute(s.update().where(s.c.id == info.id).values(last_seen_at=now))
    return ActiveSession(info, Principal(row.user_id, row.name, row.role, row.municipality))


def end_session(engine: Engine, session_id: int, reason: str, user_id: int | None = None) -> bool:
    """End one open session (only one of `user_id`'s, when given); False when there was none."""
    condition = sessions_table.c.id == session_id
    if user_id is not None:
        condition = condition & (sessions_table.c.user_id == user_id)
    with engine.begin() as conn:
        return _end(conn, condition, reason, datetime.now(UTC)) > 0


def end_user_sessions(conn: Connection, user_id: int, reason: str, except_id: int | None = None) -> int:
    """End every open session of a user (but `except_id`), inside the caller's transaction."""
    condition = sessions_table.c.user_id == user_id
    if except_id is not None:
        condition = condition & (sessions_table.c.id != except_id)
    return _end(conn, condition, reason, datetime.now(UTC))


def end_other_sessions(engine: Engine, user_id: int, except_id: int | None) -> int:
    """End a user's sessions in every other browser ("Mine sessioner")."""
    with engine.begin() as conn:
        return end_user_sessions(conn, user_id, ENDED_BY_USER, except_id)


def end_sessions_of(engine: Engine, name: str, reason: str = ENDED_BY_ADMIN) -> int:
    """End every open session of the user of this name (the director, the CLI); how many were open."""
    with engine.begin() as conn:
        return end_user_sessions(conn, user_id_of(conn, name), reason)


def list_sessions(
    engine: Engine, user_id: int, limits: SessionLimits, now: datetime | None = None
) -> list[SessionInfo]:
    """A user's open sessions, the most recently seen first."""
    now = now or datetime.now(UTC)
    s = sessions_table
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(s).where(s.c.user_id == user_id, s.c.ended_at.is_(None)).order_by(s.c.last_seen_at.desc())
        ).all()
    infos = [_info(r) for r in rows]
    return [i for i in infos if limits.over(i.created_at, i.last_seen_at, now) is None]


def open_session_counts(engine: Engine, limits: SessionLimits, now: datetime | None = None) -> dict[int, int]:
    """How many open sessions each user has (for the user administration)."""
    now = now or datetime.now(UTC)
    s = sessions_table
    with engine.connect() as conn:
        rows = conn.execute(sa.select(s.c.user_id, s.c.created_at, s.c.last_seen_at).where(s.c.ended_at.is_(None)))
        counts: dict[int, int] = {}
        for r in rows:
            if limits.over(_utc(r.created_at), _utc(r.last_seen_at), now) is None:
                counts[r.user_id] = counts.get(r.user_id, 0) + 1
    return counts


def _end(conn: Connection, condition: sa.ColumnElement[bool], reason: str, now: datetime) -> int:
    s = sessions_table
    return conn.execute(
        s.update().where(condition, s.c.ended_at.is_(None)).values(ended_at=now, ended_reason=reason)
    ).rowcount


def _info(row: sa.Row[tuple[object, ...]]) -> SessionInfo:
    return SessionInfo(
        row.id,
        row.user_id,
        row.csrf_token,
        row.method,
        _utc(row.created_at),
        _utc(row.last_seen_at),
        row.user_agent,
        row.ip,
    )


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
