"""Throttled sign-in: failed attempts counted per account name and per client address.

Each failure is one row of `sign_in_failures` (the name as typed, case-folded — also a name no user
has, so that a lock says nothing about whether the name exists — and the address). An account name is
locked when its last `max_failures` failures all fell within `window_seconds`; the lock lasts
`lock_seconds` from the last of them. The same holds for an address with the higher
`max_failures_per_address` (many names tried from one place). While locked, attempts are refused
without looking at the password and are not counted, so a lock ends on time; a further failure within
the window locks again at once. A successful sign-in deletes the account name's failures; the
director may unlock a name or an address. Rows that can lock nothing any more are purged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ehsj_core.tables import SignInFailure

if TYPE_CHECKING:
    from ehsj_core.settings import Settings

failures_table: sa.Table = SignInFailure.__table__  # type: ignore[attr-defined]
ACCOUNT_LENGTH = 200


@dataclass(frozen=True)
class ThrottleLimits:
    max_failures: int
    max_failures_per_address: int
    window_seconds: int
    lock_seconds: int

    @classmethod
    def of(cls, settings: Settings) -> ThrottleLimits:
        return cls(
            settings.signin_max_failures,
            settings.signin_max_failures_per_address,
            settings.signin_window_seconds,
            settings.signin_lock_seconds,
        )

    def lock_end(self, failures_newest_first: list[datetime], threshold: int) -> datetime | None:
        """When the lock these failures make ends, or None when they make none."""
        if len(failures_newest_first) < threshold:
            return None
        newest, oldest = failures_newest_first[0], failures_newest_first[threshold - 1]
        if newest - oldest > timedelta(seconds=self.window_seconds):
            return None
        return newest + timedelta(seconds=self.lock_seconds)

    def relevant_since(self, now: datetime) -> datetime:
        """Failures before this can lock nothing at `now`."""
        return now - timedelta(seconds=self.window_seconds + self.lock_seconds)


@dataclass(frozen=True)
class Lock:
    kind: Literal["account", "address"]
    key: str  # the case-folded name, or the address
    until: datetime

    def seconds_left(self, now: datetime) -> int:
        return max(1, math.ceil((self.until - now).total_seconds()))


def account_key(name: str) -> str:
    return name.strip().casefold()[:ACCOUNT_LENGTH]


def lock_on(
    engine: Engine, limits: ThrottleLimits, name: str, address: str | None, now: datetime | None = None
) -> Lock | None:
    """The lock, of the account name or the address, that refuses a sign-in now (the later one)."""
    now = now or datetime.now(UTC)
    t = failures_table
    found: list[Lock] = []
    with engine.connect() as conn:
        checks: list[tuple[Literal["account", "address"], str | None, sa.Column[str], int]] = [
            ("account", account_key(name), t.c.account, limits.max_failures),
            ("address", address, t.c.ip, limits.max_failures_per_address),
        ]
        for kind, key, column, threshold in checks:
            if key is None:
                continue
            times = conn.execute(
                sa.select(t.c.failed_at).where(column == key).order_by(t.c.failed_at.desc()).limit(threshold)
            ).scalars()
            until = limits.lock_end([_utc(x) for x in times], threshold)
            if until is not None and until > now:
                found.append(Lock(kind, key, until))
    return max(found, key=lambda lock: lock.until, default=None)


def record_failure(
    engine: Engine, limits: ThrottleLimits, name: str, address: str | None, now: datetime | None = None
) -> None:
    now = now or datetime.now(UTC)
    t = failures_table
    with engine.begin() as conn:
        conn.execute(t.delete().where(t.c.failed_at < limits.relevant_since(now)))
        conn.execute(t.insert().values(account=account_key(name), ip=(address or "")[:64] or None, failed_at=now))


def clear_account(engine: Engine, name: str) -> int:
    """Forget an account name's failures (a successful sign-in, the director's unlock); how many."""
    with engine.begin() as conn:
        return conn.execute(failures_table.delete().where(failures_table.c.account == account_key(name))).rowcount


def clear_address(engine: Engine, address: str) -> int:
    """Forget an address's failures (the director's unlock, say of the office's shared address)."""
    with engine.begin() as conn:
        return conn.execute(failures_table.delete().where(failures_table.c.ip == address.strip())).rowcount


def current_locks(engine: Engine, limits: ThrottleLimits, now: datetime | None = None) -> list[Lock]:
    """Every account name and address locked now, accounts first, each by name."""
    now = now or datetime.now(UTC)
    t = failures_table
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.c.account, t.c.ip, t.c.failed_at)
            .where(t.c.failed_at >= limits.relevant_since(now))
            .order_by(t.c.failed_at.desc())
        ).all()
    by_account: dict[str, list[datetime]] = {}
    by_address: dict[str, list[datetime]] = {}
    for r in rows:
        by_account.setdefault(r.account, []).append(_utc(r.failed_at))
        if r.ip is not None:
            by_address.setdefault(r.ip, []).append(_utc(r.failed_at))
    locks: list[Lock] = []
    groups: tuple[tuple[Literal["account", "address"], dict[str, list[datetime]], int], ...] = (
        ("account", by_account, limits.max_failures),
        ("address", by_address, limits.max_failures_per_address),
    )
    for kind, groups_of_kind, threshold in groups:
        for key in sorted(groups_of_kind):
            until = limits.lock_end(groups_of_kind[key], threshold)
            if until is not None and until > now:
                locks.append(Lock(kind, key, until))
    return locks


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
