"""Web accounts: signing in with a password (throttled), setting passwords, disabling and enabling
users, the user list.

Setting a password and disabling a user end every session of that user (`ehsj_core.sessions`), in
the same transaction, for the CLI and the web app alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ehsj_core import sessions, throttle
from ehsj_core.passwords import hash_password, password_problem, verify_password
from ehsj_core.throttle import ThrottleLimits
from ehsj_core.users import Principal, UserError, user_id_of, users_table


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
class SignInOutcome:
    """A sign-in attempt: the principal when it succeeded; `retry_after` (seconds) when the account
    name or the client address is locked — then the password was not even looked at."""

    principal: Principal | None
    retry_after: int | None = None


def sign_in(engine: Engine, name: str, password: str) -> Principal | None:
    """The user, when the name and password match an enabled user with a password; else None.
    Unthrottled: the web app goes through `attempt_sign_in`."""
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
    return Principal(row.id, row.name, row.role, row.municipality)


def attempt_sign_in(
    engine: Engine, limits: ThrottleLimits, name: str, password: str, address: str | None
) -> SignInOutcome:
    """Sign in unless the name or the address is locked; count a failure, clear the name's on success.
    Answers the same for names that exist and names that do not."""
    now = datetime.now(UTC)
    lock = throttle.lock_on(engine, limits, name, address, now)
    if lock is not None:
        return SignInOutcome(None, lock.seconds_left(now))
    principal = sign_in(engine, name, password)
    if principal is None:
        throttle.record_failure(engine, limits, name, address)
    else:
        throttle.clear_account(engine, name)
    return SignInOutcome(principal)


def set_password(engine: Engine, name: str, password: str) -> None:
    """Give a user a new password; all their sessions end."""
    problem = password_problem(password)
    if problem:
        raise UserError(f"password: {problem}")
    t = users_table
    with engine.begin() as conn:
        user_id = user_id_of(conn, name)
        conn.execute(t.update().where(t.c.id == user_id).values(password_hash=hash_password(password)))
        sessions.end_user_sessions(conn, user_id, sessions.NEW_PASSWORD)


def disable_user(engine: Engine, name: str) -> None:
    """Disable a user: their tokens stop working and all their sessions end."""
    t = users_table
    with engine.begin() as conn:
        user_id = user_id_of(conn, name)
        conn.execute(t.update().where(t.c.id == user_id).values(disabled=True))
        sessions.end_user_sessions(conn, user_id, sessions.DISABLED)


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
