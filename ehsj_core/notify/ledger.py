"""The dispatch ledger: one row per (report kind, period, recipient), so nothing is sent twice.

A row is `pending` when made, `sending` while a worker holds it (claimed by a conditional UPDATE, so
two workers cannot both hold it), then `sent` or — after the last attempt — `failed`. A row left in
`sending` by a crash is claimable again after `sending_timeout_seconds`; its Message-ID is the same on
every attempt, so should the crash have come after the SMTP server took the message, the duplicate
is recognisable by the receiving side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from ehsj_core.db import is_sqlite
from ehsj_core.notify.mail import message_id_for
from ehsj_core.notify.recipients import RecipientRow
from ehsj_core.tables import Dispatch

dispatches_table: sa.Table = Dispatch.__table__  # type: ignore[attr-defined]
STATES = ("pending", "sending", "sent", "failed")


@dataclass(frozen=True)
class DispatchRow:
    id: int
    kind: str
    period: str
    recipient_id: int
    email: str
    municipality: str | None
    state: str
    attempts: int
    last_error: str | None
    message_id: str
    position: int
    sha256: str | None
    created_at: datetime
    claimed_at: datetime | None
    sent_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("created_at", "claimed_at", "sent_at"):
            value = out[key]
            out[key] = None if value is None else _utc(value).isoformat()
        return out


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _row(r: Any) -> DispatchRow:
    return DispatchRow(**{name: getattr(r, name) for name in DispatchRow.__dataclass_fields__})


def ensure_rows(
    engine: Engine, kind: str, period: str, recipients: Sequence[RecipientRow], position: int, mail_from: str
) -> list[DispatchRow]:
    """Make the ledger rows of one report for its recipients, unless they exist; returns all rows
    of (kind, period) for those recipients. A row keeps the log position it was first made at, so
    every attempt builds the very same report."""
    t = dispatches_table
    insert = sqlite_insert if is_sqlite(engine) else pg_insert
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for recipient in recipients:
            stmt = insert(t).values(
                kind=kind,
                period=period,
                recipient_id=recipient.id,
                email=recipient.email,
                municipality=recipient.municipality,
                state="pending",
                attempts=0,
                message_id="",
                position=position,
                created_at=now,
            )
            conn.execute(stmt.on_conflict_do_nothing(index_elements=["kind", "period", "recipient_id"]))
        rows = conn.execute(
            sa.select(t).where(t.c.kind == kind, t.c.period == period, t.c.recipient_id.in_([r.id for r in recipients]))
        ).all()
        for row in rows:
            if not row.message_id:
                conn.execute(
                    t.update()
                    .where(t.c.id == row.id)
                    .values(message_id=message_id_for(kind, period, row.id, mail_from))
                )
        rows = conn.execute(
            sa.select(t).where(t.c.kind == kind, t.c.period == period, t.c.recipient_id.in_([r.id for r in recipients]))
        ).all()
    return [_row(r) for r in rows]


def claim(engine: Engine, dispatch_id: int, sending_timeout_seconds: int) -> DispatchRow | None:
    """Take a row for one attempt; None when it is sent, failed, or held by a live worker."""
    t = dispatches_table
    now = datetime.now(UTC)
    stale = now - timedelta(seconds=sending_timeout_seconds)
    with engine.begin() as conn:
        taken = conn.execute(
            t.update()
            .where(
                t.c.id == dispatch_id,
                sa.or_(t.c.state == "pending", sa.and_(t.c.state == "sending", t.c.claimed_at < stale)),
            )
            .values(state="sending", claimed_at=now, attempts=t.c.attempts + 1)
        ).rowcount
        if taken != 1:
            return None
        return _row(conn.execute(sa.select(t).where(t.c.id == dispatch_id)).one())


def mark_sent(engine: Engine, dispatch_id: int, sha256: str) -> None:
    t = dispatches_table
    with engine.begin() as conn:
        conn.execute(
            t.update()
            .where(t.c.id == dispatch_id, t.c.state == "sending")
            .values(state="sent", sha256=sha256, sent_at=datetime.now(UTC), last_error=None)
        )


def mark_attempt_failed(engine: Engine, dispatch_id: int, error: str, final: bool) -> None:
    """Record a failed attempt: back to `pending` for a retry, or `failed` after the last one. The
    attempt's time stays in `claimed_at`, so the next attempt is due `retry_delay` after it."""
    t = dispatches_table
    with engine.begin() as conn:
        conn.execute(
            t.update()
            .where(t.c.id == dispatch_id, t.c.state == "sending")
            .values(state="failed" if final else "pending", last_error=error[:2000])
        )


def retry_delay(backoff_seconds: float, attempts: int) -> float:
    """Exponential backoff: the first retry after `backoff_seconds`, then twice as long each time."""
    return float(backoff_seconds * 2 ** max(0, attempts - 1))


def next_attempt_at(row: DispatchRow, backoff_seconds: float) -> datetime | None:
    """When a pending row is due again: at once when never tried, else `retry_delay` after its last
    attempt. None for a row that is not pending."""
    if row.state != "pending":
        return None
    if row.attempts == 0 or row.claimed_at is None:
        return _utc(row.created_at)
    return _utc(row.claimed_at) + timedelta(seconds=retry_delay(backoff_seconds, row.attempts))


def open_rows(
    engine: Engine, sending_timeout_seconds: int, backoff_seconds: float | None = None, now: datetime | None = None
) -> list[DispatchRow]:
    """Rows that still need an attempt: pending, or left sending past the timeout. With
    `backoff_seconds`, only the pending rows whose next attempt has come (`next_attempt_at`)."""
    t = dispatches_table
    now = now or datetime.now(UTC)
    stale = now - timedelta(seconds=sending_timeout_seconds)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(t)
            .where(sa.or_(t.c.state == "pending", sa.and_(t.c.state == "sending", t.c.claimed_at < stale)))
            .order_by(t.c.id)
        ).all()
    found = [_row(r) for r in rows]
    if backoff_seconds is None:
        return found
    return [
        r for r in found if r.state == "sending" or (at := next_attempt_at(r, backoff_seconds)) is None or at <= now
    ]


def find_rows(
    engine: Engine, kind: str | None = None, period: str | None = None, state: str | None = None, limit: int = 500
) -> list[DispatchRow]:
    t = dispatches_table
    query = sa.select(t).order_by(t.c.id.desc()).limit(limit)
    if kind:
        query = query.where(t.c.kind == kind)
    if period:
        query = query.where(t.c.period == period)
    if state:
        query = query.where(t.c.state == state)
    with engine.connect() as conn:
        return [_row(r) for r in conn.execute(query)]


def get_row(engine: Engine, dispatch_id: int) -> DispatchRow | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(dispatches_table).where(dispatches_table.c.id == dispatch_id)).first()
    return None if row is None else _row(row)


def count_by_state(engine: Engine) -> dict[str, int]:
    """How many ledger rows are in each state (every state named, 0 when none): `/metrics`."""
    t = dispatches_table
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.state, sa.func.count()).group_by(t.c.state)).all()
    return dict.fromkeys(STATES, 0) | {str(state): int(count) for state, count in rows}
