"""The access log (issue 11): who read the report recipients' e-mail addresses, who searched the
history by CVR number or by a name, who exported the event log.

This module alone writes and reads the `access_log` table. Every entry point records the access
before it answers, in a transaction of its own: when the entry cannot be written the exception goes
up and the read fails with it (fail closed: nothing is shown that was not recorded). Only the
director reads the log (`admin`); reading it is not recorded itself — the director is the one who
answers for the log, and an entry per look would only bury the entries that matter.

Retention: entries older than `access_log_retention_days` are deleted in the transaction that writes
a new one (0 keeps them for ever). The log holds what was searched for, which may be a person's name:
it is personal data itself and is kept no longer than it is useful for.
"""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ehsj_core.db import write_transaction
from ehsj_core.tables import AccessLogEntry
from ehsj_core.users import Principal

access_table: sa.Table = AccessLogEntry.__table__  # type: ignore[attr-defined]
Channel = Literal["web", "api", "cli"]
CHANNELS: tuple[Channel, ...] = ("web", "api", "cli")
# The actions, with the words the director reads.
ACTIONS: dict[str, str] = {
    "recipients.read": "så modtagernes e-mailadresser",
    "history.search": "søgte i historikken på CVR-nummer eller navn",
    "log.export": "eksporterede hændelsesloggen",
}
MAX_LIMIT = 10_000


@dataclass(frozen=True)
class AccessEntry:
    id: int
    at: datetime
    user: str
    role: str | None  # None: the command line on the server (no role, the operating system's user)
    action: str
    detail: dict[str, Any]
    channel: str
    client: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "user": self.user,
            "role": self.role,
            "action": self.action,
            "detail": self.detail,
            "channel": self.channel,
            "client": self.client,
        }


@dataclass(frozen=True)
class AccessQuery:
    """Filters of `read_access_log`: `since` inclusive, `until` exclusive, `user` and `action` exact."""

    since: datetime | None = None
    until: datetime | None = None
    user: str | None = None
    action: str | None = None
    limit: int = 200


def shell_user() -> str:
    """Who runs a command on the server: the operating system's user at this host (a container may
    have no name for its uid)."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = f"uid {os.getuid()}"
    return f"{name}@{socket.gethostname()}"[:128]


def record_access(
    engine: Engine,
    who: Principal | str,
    action: str,
    detail: Mapping[str, Any],
    channel: Channel,
    client: str | None = None,
    *,
    retention_days: int = 0,
    now: datetime | None = None,
) -> AccessEntry:
    """Write one entry (and drop those past retention). Raises when it cannot: the caller's read fails."""
    if action not in ACTIONS:
        raise ValueError(f"unknown access-log action {action!r}")
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    at = _utc(now or datetime.now(UTC))
    user, role = (who.name[:128], who.role) if isinstance(who, Principal) else (who[:128], None)
    address = client[:64] if client else None
    t = access_table
    insert = t.insert().values(
        at=at, user_name=user, role=role, action=action, detail=dict(detail), channel=channel, client=address
    )
    with write_transaction(engine) as conn:
        new_id = conn.execute(insert.returning(t.c.id)).scalar_one()
        if retention_days > 0:
            conn.execute(t.delete().where(t.c.at < at - timedelta(days=retention_days)))
    return AccessEntry(int(new_id), at, user, role, action, dict(detail), channel, address)


def read_access_log(engine: Engine, query: AccessQuery | None = None) -> list[AccessEntry]:
    """The entries that match, newest first (at most `query.limit`, capped at MAX_LIMIT)."""
    q = query or AccessQuery()
    t = access_table
    select = sa.select(t).order_by(t.c.at.desc(), t.c.id.desc()).limit(max(1, min(q.limit, MAX_LIMIT)))
    if q.since is not None:
        select = select.where(t.c.at >= _utc(q.since))
    if q.until is not None:
        select = select.where(t.c.at < _utc(q.until))
    if q.user:
        select = select.where(t.c.user_name == q.user)
    if q.action:
        select = select.where(t.c.action == q.action)
    with engine.connect() as conn:
        rows = conn.execute(select).all()
    return [
        AccessEntry(r.id, _utc(r.at), r.user_name, r.role, r.action, dict(r.detail), r.channel, r.client) for r in rows
    ]


def local_moment(value: datetime | None, tz: tzinfo) -> datetime | None:
    """A filter's moment as typed: without an offset it is business time (Europe/Copenhagen)."""
    return value.replace(tzinfo=tz) if value is not None and value.tzinfo is None else value


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
