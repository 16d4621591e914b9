"""Checking the log: gapless positions, the hash chain, and the append-only triggers in place."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ehsj_core.db import is_sqlite
from ehsj_core.events.chain import GENESIS_HASH, ChainBreak, chain_payload, check_link
from ehsj_core.events.store import events_table

APPEND_ONLY_TRIGGERS_SQLITE = ("events_no_update", "events_no_delete")
APPEND_ONLY_TRIGGERS_POSTGRES = ("events_append_only", "events_no_truncate")


@dataclass(frozen=True)
class VerifyResult:
    events: int
    head_hash: str
    first_break: ChainBreak | None
    missing_triggers: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.first_break is None and not self.missing_triggers


def missing_append_only_triggers(engine: Engine) -> tuple[str, ...]:
    with engine.connect() as conn:
        if is_sqlite(engine):
            rows = conn.execute(
                sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'")
            ).scalars()
            present = set(rows)
            expected = APPEND_ONLY_TRIGGERS_SQLITE
        else:
            rows = conn.execute(
                sa.text(
                    "SELECT tgname FROM pg_trigger WHERE tgrelid = 'events'::regclass "
                    "AND NOT tgisinternal AND tgenabled <> 'D'"
                )
            ).scalars()
            present = set(rows)
            expected = APPEND_ONLY_TRIGGERS_POSTGRES
    return tuple(name for name in expected if name not in present)


def verify_log(engine: Engine, batch: int = 10_000) -> VerifyResult:
    """Walk the whole log in order and stop at the first row that breaks the chain."""
    t = events_table
    expected_prev, expected_position, count = GENESIS_HASH, 1, 0
    first_break: ChainBreak | None = None
    cursor = 0
    with engine.connect() as conn:
        while first_break is None:
            rows = conn.execute(
                sa.select(t).where(t.c.position > cursor).order_by(t.c.position).limit(batch)
            ).all()
            for row in rows:
                payload = chain_payload(
                    position=row.position,
                    event_id=row.event_id,
                    type=row.type,
                    schema_version=row.schema_version,
                    house=row.house,
                    occurred_on=row.occurred_on,
                    recorded_at=row.recorded_at,
                    recorded_by=row.recorded_by,
                    data=row.data,
                    prev_hash=row.prev_hash,
                )
                first_break = check_link(payload, row.hash, expected_prev, expected_position)
                if first_break is not None:
                    break
                expected_prev, expected_position, count = row.hash, row.position + 1, count + 1
            if len(rows) < batch:
                break
            cursor = rows[-1].position
    return VerifyResult(count, expected_prev, first_break, missing_append_only_triggers(engine))
