"""The upload ledger of a house's installation: one row per (year, head position) sent to the
national installation, so that each is sent exactly once (sending.py decides; this module only keeps
the rows), after the pattern of the e-mail dispatch ledger (ehsj_core/notify/ledger.py).

A row is `pending` when made, `sending` while one attempt holds it (claimed by a conditional UPDATE,
so two workers cannot both hold it), then `sent`, or `failed` when the national installation refused
the export (a person must act), or back to `pending` when it could not be reached. A row left in
`sending` by a crash is claimable again once `updated_at` is older than the timeout; should the crash
have come after the national installation stored the export, the repeat is answered
`already_received` and changes nothing there. A pending row of a year is `superseded` once a later
head of that year is sent: the later export holds every row of the earlier one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from ehsj_core.db import is_sqlite
from ehsj_core.tables import NationalUpload

uploads_table: sa.Table = NationalUpload.__table__  # type: ignore[attr-defined]
STATES = ("pending", "sending", "sent", "failed", "superseded")


@dataclass(frozen=True)
class UploadRow:
    id: int
    year: int
    head_position: int
    head_hash: str
    status: str
    attempts: int
    last_error: str | None
    response: str | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("created_at", "updated_at", "sent_at"):
            value = out[key]
            out[key] = None if value is None else _utc(value).isoformat()
        return out


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _row(r: Any) -> UploadRow:
    values = {name: getattr(r, name) for name in UploadRow.__dataclass_fields__}
    for key in ("created_at", "updated_at", "sent_at"):
        if values[key] is not None:
            values[key] = _utc(values[key])
    return UploadRow(**values)


def find(engine: Engine, year: int, head_position: int) -> UploadRow | None:
    t = uploads_table
    with engine.connect() as conn:
        row = conn.execute(sa.select(t).where(t.c.year == year, t.c.head_position == head_position)).first()
    return None if row is None else _row(row)


def get(engine: Engine, upload_id: int) -> UploadRow | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(uploads_table).where(uploads_table.c.id == upload_id)).first()
    return None if row is None else _row(row)


def ensure(engine: Engine, year: int, head_position: int, head_hash: str, now: datetime) -> UploadRow:
    """The row of (year, head position), made `pending` unless it exists (a concurrent maker's row wins)."""
    t = uploads_table
    insert = sqlite_insert if is_sqlite(engine) else pg_insert
    with engine.begin() as conn:
        conn.execute(
            insert(t)
            .values(
                year=year,
                head_position=head_position,
                head_hash=head_hash,
                status="pending",
                attempts=0,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["year", "head_position"])
        )
        row = conn.execute(sa.select(t).where(t.c.year == year, t.c.head_position == head_position)).one()
    return _row(row)


def claim(
    engine: Engine, upload_id: int, stale_after_seconds: float, now: datetime, *, retry_failed: bool = False
) -> UploadRow | None:
    """Take a row for one attempt; None when it is sent, failed (unless `retry_failed`: a person sends
    it again), or held by a live attempt."""
    t = uploads_table
    stale = now - timedelta(seconds=stale_after_seconds)
    open_states = ["pending", *(["failed"] if retry_failed else [])]
    with engine.begin() as conn:
        taken = conn.execute(
            t.update()
            .where(
                t.c.id == upload_id,
                sa.or_(t.c.status.in_(open_states), sa.and_(t.c.status == "sending", t.c.updated_at < stale)),
            )
            .values(status="sending", updated_at=now, attempts=t.c.attempts + 1)
        ).rowcount
        if taken != 1:
            return None
        return _row(conn.execute(sa.select(t).where(t.c.id == upload_id)).one())


def mark_sent(engine: Engine, upload_id: int, response: str, now: datetime) -> None:
    """The national installation has the export (added now, or already): sent, and the year's earlier
    pending rows superseded."""
    t = uploads_table
    with engine.begin() as conn:
        row = conn.execute(sa.select(t.c.year, t.c.head_position).where(t.c.id == upload_id)).one()
        conn.execute(
            t.update()
            .where(t.c.id == upload_id, t.c.status == "sending")
            .values(status="sent", response=response, sent_at=now, updated_at=now, last_error=None)
        )
        conn.execute(
            t.update()
            .where(t.c.year == row.year, t.c.head_position < row.head_position, t.c.status == "pending")
            .values(status="superseded", updated_at=now)
        )


def mark_failed(engine: Engine, upload_id: int, reason: str, response: str | None, now: datetime) -> None:
    """Refused by the national installation: not tried again by itself."""
    _finish(engine, upload_id, "failed", reason, response, now)


def mark_retry(engine: Engine, upload_id: int, error: str, now: datetime) -> None:
    """Not reached (or it failed on its side): back to pending for the caller's retry."""
    _finish(engine, upload_id, "pending", error, None, now)


def _finish(engine: Engine, upload_id: int, status: str, error: str, response: str | None, now: datetime) -> None:
    t = uploads_table
    with engine.begin() as conn:
        conn.execute(
            t.update()
            .where(t.c.id == upload_id, t.c.status == "sending")
            .values(status=status, last_error=error[:2000], response=response, updated_at=now)
        )


def list_rows(engine: Engine, limit: int = 500) -> list[UploadRow]:
    """The ledger, newest first."""
    t = uploads_table
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t).order_by(t.c.id.desc()).limit(limit)).all()
    return [_row(r) for r in rows]
