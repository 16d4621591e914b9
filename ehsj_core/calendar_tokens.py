"""Each user's secret calendar address: `/kalender/<token>.ics`, opened by calendar apps without signing in.

A calendar app (Outlook, Google Calendar) cannot sign in, so the address itself is the key. It is
copied into the app once, so its owner must be able to see it again on the "Kalender" page — yet a
copy of the database alone must open no calendar. Hence the token is not stored and not random: it is
HMAC-SHA256 of the user's id and a random nonce under a key derived from `EHSJ_SECRET_KEY`. The table
`calendar_feeds` holds the nonce and the token's SHA-256 (the look-up). The page derives the token
again from the nonce; the feed finds its owner by the hash of the token it was called with.

- Renewing ("Forny adressen") draws a new nonce: the old address answers 404 from then on.
- A disabled user's address answers 404 (and works again when they are enabled).
- The user's role at the time of the request decides what the calendar holds (calendar_feed.py).
- When `EHSJ_SECRET_KEY` changes, existing addresses keep working (the look-up is by the hash of the
  token presented), but the page can no longer derive them: it says so and offers to renew.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ehsj_core.tables import CalendarFeed
from ehsj_core.users import Principal, users_table

feeds_table: sa.Table = CalendarFeed.__table__  # type: ignore[attr-defined]
_KEY_PURPOSE = b"ehsj-calendar-feed|"


@dataclass(frozen=True)
class FeedAddress:
    """A user's calendar address as their page shows it. `token` is None when it can no longer be
    derived (the secret key changed since it was made): the address works, but only renewing shows one."""

    token: str | None
    created_at: datetime


def feed_key(secret_key: str) -> bytes:
    """The key calendar tokens are derived with: from the secret key, for this purpose only."""
    return hashlib.sha256(_KEY_PURPOSE + secret_key.encode()).digest()


def hash_feed_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _derive(key: bytes, user_id: int, nonce: str) -> str:
    mac = hmac.new(key, f"{user_id}|{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")


def _address(key: bytes, user_id: int, nonce: str, token_hash: str, created_at: datetime) -> FeedAddress:
    token = _derive(key, user_id, nonce)
    shown = token if hmac.compare_digest(hash_feed_token(token), token_hash) else None
    return FeedAddress(shown, _utc(created_at))


def current_feed(engine: Engine, user_id: int, key: bytes) -> FeedAddress | None:
    """The user's calendar address, or None when they have not made one."""
    t = feeds_table
    with engine.connect() as conn:
        row = conn.execute(sa.select(t).where(t.c.user_id == user_id)).first()
    return None if row is None else _address(key, user_id, row.nonce, row.token_hash, row.created_at)


def feed_url_token(engine: Engine, user: Principal, key: bytes) -> FeedAddress:
    """The user's calendar address, made now if they have none (a second click makes no second one)."""
    existing = current_feed(engine, user.id, key)
    if existing is not None:
        return existing
    try:
        with engine.begin() as conn:
            return _store(conn, user.id, key, insert=True)
    except sa.exc.IntegrityError:  # made at the same moment by another request: that one stands
        found = current_feed(engine, user.id, key)
        assert found is not None
        return found


def renew_feed(engine: Engine, user: Principal, key: bytes) -> FeedAddress:
    """A new calendar address for the user; the old one answers 404 from now on."""
    with engine.begin() as conn:
        exists = conn.execute(sa.select(feeds_table.c.user_id).where(feeds_table.c.user_id == user.id)).first()
        return _store(conn, user.id, key, insert=exists is None)


def _store(conn: Connection, user_id: int, key: bytes, *, insert: bool) -> FeedAddress:
    nonce, now = secrets.token_hex(16), datetime.now(UTC)
    token = _derive(key, user_id, nonce)
    values = {"token_hash": hash_feed_token(token), "nonce": nonce, "created_at": now}
    t = feeds_table
    if insert:
        conn.execute(t.insert().values(user_id=user_id, **values))
    else:
        conn.execute(t.update().where(t.c.user_id == user_id).values(**values))
    return FeedAddress(token, now)


def feed_owner(engine: Engine, token: str) -> Principal | None:
    """The enabled user whose calendar address carries this token, with their role as it is now;
    None for an unknown, renewed or malformed token and for a disabled user."""
    if not token or len(token) > 128:
        return None
    t, u = feeds_table, users_table
    query = (
        sa.select(u.c.id, u.c.name, u.c.role, u.c.municipality)
        .join(u, u.c.id == t.c.user_id)
        .where(t.c.token_hash == hash_feed_token(token), u.c.disabled.is_(False))
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else Principal(row.id, row.name, row.role, row.municipality)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
