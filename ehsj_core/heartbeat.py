"""The scheduler's heartbeat: a row (`scheduler_heartbeats`) it rewrites every minute, so that a
health check in another process — `ehsj health scheduler`, the compose healthcheck — and `/metrics`
can tell that it runs."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from ehsj_core.db import is_sqlite
from ehsj_core.tables import SchedulerHeartbeat

heartbeats_table: sa.Table = SchedulerHeartbeat.__table__  # type: ignore[attr-defined]
SCHEDULER = "scheduler"


@dataclass(frozen=True)
class Beat:
    name: str
    last_run_at: datetime
    host: str
    pid: int

    def age_seconds(self, now: datetime | None = None) -> float:
        return ((now or datetime.now(UTC)) - self.last_run_at).total_seconds()


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def beat(engine: Engine, name: str = SCHEDULER, now: datetime | None = None) -> Beat:
    """Write this process's heartbeat (insert or overwrite the row of `name`)."""
    row = Beat(name, _utc(now or datetime.now(UTC)), socket.gethostname()[:255], os.getpid())
    insert = sqlite_insert if is_sqlite(engine) else pg_insert
    values = {"name": row.name, "last_run_at": row.last_run_at, "host": row.host, "pid": row.pid}
    stmt = insert(heartbeats_table).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=["name"], set_={k: v for k, v in values.items() if k != "name"})
    with engine.begin() as conn:
        conn.execute(stmt)
    return row


def last_beat(engine: Engine, name: str = SCHEDULER) -> Beat | None:
    t = heartbeats_table
    with engine.connect() as conn:
        row = conn.execute(sa.select(t).where(t.c.name == name)).first()
    return None if row is None else Beat(row.name, _utc(row.last_run_at), row.host, row.pid)


def problem(last: Beat | None, max_age_seconds: float, now: datetime | None = None) -> str | None:
    """Why the scheduler counts as down (one Danish line), or None when its heartbeat is fresh."""
    if last is None:
        return "Planlæggeren har aldrig skrevet et livstegn (ingen række i scheduler_heartbeats)."
    age = last.age_seconds(now)
    if age > max_age_seconds:
        return (
            f"Planlæggerens seneste livstegn er {age:.0f} s gammelt (grænse {max_age_seconds:.0f} s; "
            f"{last.host}, pid {last.pid})."
        )
    return None
