"""Web accounts: signing in with a password, the session stamp, setting passwords, the user list.

A signed-in session carries the user's id and a stamp derived from the password hash: setting a new
password ends every session made with the old one, and a disabled user's sessions end at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ehsj_core.passwords import hash_password, password_problem, verify_password
from ehsj_core.users import Principal, UserError, users_table


@dataclass(frozen=True)
class Account:
    """A user as the user administration shows it (never the token or the password hash)."""

    id: int
    name: str
    role: str
    municipality: str | None
    disabled: bool
    has_password: bool
    created_at: datetime


@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    stamp: str


def session_stamp(password_hash: str | None) -> str:
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:32]


def sign_in(engine: Engine, name: str, password: str) -> SignedIn | None:
    """The user, when the name and password match an enabled user with a password; else None."""
    t = users_table
    with engine.connect() as conn:
        row = conn.execute(sa.select(t).where(t.c.name == name.strip())).first()
    stored = None if row is None or row.disabled else row.password_hash
    ok, new_hash = verify_password(password, stored)
    if not ok or row is None:
        return None
    if new_hash is not None:  # hashed with older parameters: store the stronger hash
        with engine.begin() as conn:
            conn.execute(t.update().where(t.c.id == row.id).values(password_hash=new_hash))
        stored = new_hash
    return SignedIn(Principal(row.id, row.name, row.role, row.municipality), session_stamp(stored))


def principal_for_session(engine: Engine, user_id: int, stamp: str) -> Principal | None:
    """The user of a session, while that user is enabled and has the password the session began with."""
    t = users_table
    with engine.connect() as conn:
        row = conn.execute(sa.select(t).where(t.c.id == user_id, t.c.disabled.is_(False))).first()
    if row is None or row.password_hash is None or session_stamp(row.password_hash) != stamp:
        return None
    return Principal(row.id, row.name, row.role, row.municipality)


def set_password(engine: Engine, name: str, password: str) -> None:
    """Give a user a new password; their open sessions end."""
    problem = password_problem(password)
    if problem:
        raise UserError(f"password: {problem}")
    t = users_table
    with engine.begin() as conn:
        updated = conn.execute(
            t.update().where(t.c.name == name).values(password_hash=hash_password(password))
        ).rowcount
    if not updated:
        raise UserError(f"name: brugeren {name!r} findes ikke")


def enable_user(engine: Engine, name: str) -> None:
    t = users_table
    with engine.begin() as conn:
        updated = conn.execute(t.update().where(t.c.name == name).values(disabled=False)).rowcount
    if not updated:
        raise UserError(f"name: brugeren {name!r} findes ikke")


def list_accounts(engine: Engine) -> list[Account]:
    t = users_table
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t).order_by(t.c.name)).all()
    return [
        Account(r.id, r.name, r.role, r.municipality, bool(r.disabled), r.password_hash is not None, _utc(r.created_at))
        for r in rows
    ]


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
