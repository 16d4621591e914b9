"""Checking the log: gapless positions, the hash chain, the retraction index against the log, and
the append-only triggers in place."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ehsj_core.db import is_sqlite
from ehsj_core.events.chain import GENESIS_HASH, ChainBreak, check_link
from ehsj_core.events.reader import LogReader
from ehsj_core.events.records import RetractionRef

APPEND_ONLY_TRIGGERS_SQLITE = ("events_no_update", "events_no_delete", "retractions_no_update", "retractions_no_delete")
APPEND_ONLY_TRIGGERS_POSTGRES = (
    "events_append_only",
    "events_no_truncate",
    "retractions_append_only",
    "retractions_no_truncate",
)


@dataclass(frozen=True)
class VerifyResult:
    events: int
    head_hash: str
    first_break: ChainBreak | None
    missing_triggers: tuple[str, ...]
    index_missing: tuple[RetractionRef, ...] = ()  # retractions in the log without their index row
    index_extra: tuple[RetractionRef, ...] = ()  # index rows no retraction in the log accounts for

    @property
    def ok(self) -> bool:
        return (
            self.first_break is None and not self.missing_triggers and not self.index_missing and not self.index_extra
        )


def missing_append_only_triggers(engine: Engine) -> tuple[str, ...]:
    with engine.connect() as conn:
        if is_sqlite(engine):
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('events', 'retractions')"
            expected = APPEND_ONLY_TRIGGERS_SQLITE
        else:
            query = (
                "SELECT tgname FROM pg_trigger WHERE tgrelid IN ('events'::regclass, 'retractions'::regclass) "
                "AND NOT tgisinternal AND tgenabled <> 'D'"
            )
            expected = APPEND_ONLY_TRIGGERS_POSTGRES
        present = set(conn.execute(sa.text(query)).scalars())
    return tuple(name for name in expected if name not in present)


def verify_log(engine: Engine) -> VerifyResult:
    """Walk the whole log in order and stop at the first row that breaks the chain; then hold the
    retraction index against the retractions the log holds."""
    log = LogReader(engine)
    expected_prev, expected_position, count = GENESIS_HASH, 1, 0
    first_break: ChainBreak | None = None
    for payload, stored_hash in log.chain_rows():
        first_break = check_link(payload, stored_hash, expected_prev, expected_position)
        if first_break is not None:
            break
        expected_prev, expected_position, count = stored_hash, payload["position"] + 1, count + 1
    index, wanted = log.retraction_index(), log.retractions_in_log()
    return VerifyResult(
        count,
        expected_prev,
        first_break,
        missing_append_only_triggers(engine),
        tuple(sorted(wanted - index, key=lambda r: r.position)),
        tuple(sorted(index - wanted, key=lambda r: r.position)),
    )
