"""Folding the log into facts: live (checkpoint + catch-up), or as of any earlier position.

Snapshots are written every `snapshot_every` positions, keyed by projection name, code version and
position. The code version is a digest of the fold's source, so a snapshot written by other fold code
is never trusted: it is simply not found.
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import marshal
import sys
import threading
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from ehsj_core.events.reader import LogReader
from ehsj_core.projections import facts as facts_module
from ehsj_core.projections.facts import LogFacts, apply
from ehsj_core.tables import ProjectionSnapshot

snapshots_table: sa.Table = ProjectionSnapshot.__table__  # type: ignore[attr-defined]
PROJECTION_NAME = "goal_facts"
# The fold's source and the marshal format of this Python (the snapshot's bytes, facts.LogFacts.dumps)
PROJECTION_VERSION = hashlib.sha256(
    inspect.getsource(facts_module).encode() + f"|{sys.version_info[:2]}|{marshal.version}".encode()
).hexdigest()[:16]
MAC_BYTES = 32
AT_CACHE_SIZE = 4


class SnapshotStore:
    """Snapshots of the facts, signed with the installation's secret key.

    A snapshot is a cache the replay trusts, so a row someone wrote into the table by other means
    must not count: each blob carries an HMAC-SHA256 of its name, version, position and bytes, and a
    row whose MAC does not verify is passed over. The key's fingerprint is part of the version, so
    processes with different keys (development, where a key is made per process) keep apart.
    """

    def __init__(self, engine: Engine, key: bytes) -> None:
        self.engine = engine
        self.key = key
        self.version = f"{PROJECTION_VERSION}-{hashlib.sha256(key).hexdigest()[:8]}"

    def _mac(self, position: int, blob: bytes) -> bytes:
        return hmac.new(
            self.key, f"{PROJECTION_NAME}|{self.version}|{position}|".encode() + blob, hashlib.sha256
        ).digest()

    def save(self, position: int, state: LogFacts) -> None:
        blob = state.dumps()
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    snapshots_table.insert().values(
                        name=PROJECTION_NAME,
                        version=self.version,
                        position=position,
                        state=self._mac(position, blob) + blob,
                        created_at=datetime.now(UTC),
                    )
                )
        except IntegrityError:
            pass  # another process wrote the same snapshot first: identical by construction

    def newest(self, at_most: int) -> tuple[int, LogFacts] | None:
        t = snapshots_table
        query = (
            sa.select(t.c.position, t.c.state)
            .where(t.c.name == PROJECTION_NAME, t.c.version == self.version, t.c.position <= at_most)
            .order_by(t.c.position.desc())
            .limit(5)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        for position, state in rows:
            mac, blob = bytes(state[:MAC_BYTES]), bytes(state[MAC_BYTES:])
            if hmac.compare_digest(mac, self._mac(position, blob)):
                return position, LogFacts.loads(blob)
        return None


class ProjectionRunner:
    """Holds the live facts of one process and folds what the log added since the checkpoint."""

    def __init__(self, log: LogReader, snapshot_key: bytes, snapshot_every: int = 20_000) -> None:
        self.log = log
        self.snapshots = SnapshotStore(log.engine, snapshot_key)
        self.snapshot_every = snapshot_every
        self.lock = threading.RLock()
        self._facts: LogFacts | None = None
        self._position = 0
        self._at_cache: dict[int, LogFacts] = {}  # position → facts, oldest first

    def fold(self, facts: LogFacts, after: int, upto: int | None, write_snapshots: bool = False) -> int:
        """Fold the events with after < position <= upto (the head when None) into `facts`, honouring
        every retraction recorded by `upto`; returns the position folded to.

        A retraction is folded without a query per row: the retraction index says which events of the
        range to skip (retracted by the range's end) and which events before it to fold back out
        (retracted inside it). With `write_snapshots` the range is folded in stretches that end at the
        snapshot positions, so that each snapshot holds exactly the facts at its own position."""
        end = self.log.head().position if upto is None else upto
        if end <= after:
            return after
        every = self.snapshot_every
        start = after
        while start < end:
            stop = min(end, (start // every + 1) * every) if write_snapshots else end
            self._fold_stretch(facts, start, stop)
            if write_snapshots and stop % every == 0:
                self.snapshots.save(stop, facts)
            start = stop
        return end

    def _fold_stretch(self, facts: LogFacts, after: int, upto: int) -> None:
        skip, undo = self.log.retraction_effects(after, upto)
        for position, event_type, house, day, data in self.log.fold_rows_at(undo):
            apply(facts, event_type, house, day, data, -1, position)
        if skip:
            for position, event_type, house, day, data in self.log.fold_rows(after, upto):
                if position not in skip:
                    apply(facts, event_type, house, day, data, 1, position)
        else:
            for position, event_type, house, day, data in self.log.fold_rows(after, upto):
                apply(facts, event_type, house, day, data, 1, position)

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
