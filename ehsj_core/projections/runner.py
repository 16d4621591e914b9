"""Folding the log into facts: live (checkpoint + catch-up), or as of any earlier position.

Snapshots are written every `snapshot_every` positions, keyed by projection name, code version and
position. The code version is a digest of the fold's source, so a snapshot written by other fold code
is never trusted: it is simply not found.
"""

from __future__ import annotations

import hashlib
import inspect
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from ehsj_core.events.store import RETRACTED, EventStore
from ehsj_core.events.upcasting import upcast
from ehsj_core.projections import facts as facts_module
from ehsj_core.projections.facts import LogFacts, apply
from ehsj_core.tables import ProjectionSnapshot

snapshots_table: sa.Table = ProjectionSnapshot.__table__  # type: ignore[attr-defined]
PROJECTION_NAME = "goal_facts"
PROJECTION_VERSION = hashlib.sha256(inspect.getsource(facts_module).encode()).hexdigest()[:16]
READ_BATCH = 10_000
AT_CACHE_SIZE = 4


@dataclass(frozen=True, slots=True)
class FoldEvent:
    """The slice of a stored event the fold needs."""

    type: str
    house: str
    occurred_on: date | str  # ISO text when read raw from SQLite
    data: dict[str, Any]


class SnapshotStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save(self, position: int, state: LogFacts) -> None:
        blob = orjson.dumps(state.to_json())
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    snapshots_table.insert().values(
                        name=PROJECTION_NAME,
                        version=PROJECTION_VERSION,
                        position=position,
                        state=blob,
                        created_at=datetime.now(UTC),
                    )
                )
        except IntegrityError:
            pass  # another process wrote the same snapshot first: identical by construction

    def newest(self, at_most: int) -> tuple[int, LogFacts] | None:
        t = snapshots_table
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(t.c.position, t.c.state)
                .where(t.c.name == PROJECTION_NAME, t.c.version == PROJECTION_VERSION, t.c.position <= at_most)
                .order_by(t.c.position.desc())
                .limit(1)
            ).first()
        if row is None:
            return None
        return row.position, LogFacts.from_json(orjson.loads(row.state))


def _fold_rows(engine: Engine, after: int, upto: int | None) -> Iterator[tuple[int, str, FoldEvent]]:
    """Stream (position, event_id, event) in log order, reading only the columns the fold needs.

    This is the replay's hot loop, so it reads raw driver values (`sa.text`, no type processing):
    SQLite hands back the date and the JSON as text, PostgreSQL a date and a decoded dict.
    """
    bound = "" if upto is None else " AND position <= :upto"
    query = sa.text(
        "SELECT position, event_id, type, schema_version, house, occurred_on, data FROM events"
        f" WHERE position > :after{bound} ORDER BY position LIMIT :limit"
    )
    cursor = after
    loads = orjson.loads
    while True:
        with engine.connect() as conn:
            rows = conn.execute(query, {"after": cursor, "upto": upto, "limit": READ_BATCH}).all()
        for position, event_id, type_, version, house, occurred_on, data in rows:
            if isinstance(data, str | bytes):
                data = loads(data)
            if version != 1:
                _version, data = upcast(type_, version, data)
            yield position, event_id, FoldEvent(type_, house, occurred_on, data)
        if len(rows) < READ_BATCH:
            return
        cursor = rows[-1][0]


class ProjectionRunner:
    """Holds the live facts of one process and folds what the log added since the checkpoint."""

    def __init__(self, store: EventStore, snapshot_every: int = 20_000) -> None:
        self.store = store
        self.snapshots = SnapshotStore(store.engine)
        self.snapshot_every = snapshot_every
        self.lock = threading.RLock()
        self._facts: LogFacts | None = None
        self._position = 0
        self._at_cache: dict[int, LogFacts] = {}  # position → facts, oldest first

    def fold(self, facts: LogFacts, after: int, upto: int | None, write_snapshots: bool = False) -> int:
        """Fold events with after < position <= upto into `facts`; returns the last position folded."""
        position = after
        for position, _event_id, event in _fold_rows(self.store.engine, after, upto):
            targets: dict[str, FoldEvent] = {}
            if event.type == RETRACTED:
                target = self.store.get(event.data["target_event_id"])
                if target is not None:
                    targets[target.event_id] = FoldEvent(target.type, target.house, target.occurred_on, target.data)
            apply(facts, event, targets)
            if write_snapshots and position % self.snapshot_every == 0:
                self.snapshots.save(position, facts)
        return position

    def live(self) -> tuple[LogFacts, int]:
        """The facts at the head of the log. Call with `self.lock` held while reading the result."""
        with self.lock:
            if self._facts is None:
                snapshot = self.snapshots.newest(at_most=2**62)
                self._facts, self._position = (LogFacts(), 0) if snapshot is None else (snapshot[1], snapshot[0])
            self._position = self.fold(self._facts, self._position, None, write_snapshots=True)
            return self._facts, self._position

    def at(self, position: int) -> LogFacts:
        """The facts as they were right after `position` was appended. Read-only: the object is
        shared with other readers of the same position (a report reads one position many times)."""
        with self.lock:
            cached = self._at_cache.get(position)
        if cached is not None:
            return cached
        snapshot = self.snapshots.newest(at_most=position)
        facts, start = (LogFacts(), 0) if snapshot is None else (snapshot[1], snapshot[0])
        self.fold(facts, start, position)
        with self.lock:
            self._at_cache[position] = facts
            while len(self._at_cache) > AT_CACHE_SIZE:
                self._at_cache.pop(next(iter(self._at_cache)))
        return facts
