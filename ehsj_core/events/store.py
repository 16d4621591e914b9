"""The append-only event store: gapless positions, a hash chain, idempotent event ids.

Vocabulary: `StoredEvent` is the row (tables.py), `RecordedEvent` what readers get back,
`EventStore.append(...)` writes, `read_all(after=..., upto=...)` streams in log order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ehsj_core.db import is_sqlite, write_transaction
from ehsj_core.events.chain import GENESIS_HASH, chain_payload, hash_payload
from ehsj_core.events.schemas import SCHEMA_VERSIONS
from ehsj_core.events.upcasting import upcast
from ehsj_core.events.validation import InvalidInput, NewEvent, Problem
from ehsj_core.tables import StoredEvent

events_table: sa.Table = StoredEvent.__table__  # type: ignore[attr-defined]
RETRACTED = "event.retracted"
# Any constant works; it names "the append lock" among PostgreSQL's advisory locks.
APPEND_LOCK_KEY = 0x45485341  # "EHSA"
LOOKUP_CHUNK = 900  # stays below SQLite's bound-parameter limits


class EventConflict(Exception):
    """The event id exists already with other content."""

    def __init__(self, event_id: str, position: int) -> None:
        super().__init__(f"event_id {event_id} is already stored at position {position} with other content")
        self.event_id = event_id
        self.position = position


@dataclass(frozen=True, slots=True)
class AppendResult:
    event_id: str
    position: int
    duplicate: bool


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    position: int
    event_id: str
    type: str
    schema_version: int
    house: str
    occurred_on: date
    recorded_at: datetime
    recorded_by: str
    data: dict[str, Any]
    prev_hash: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "event_id": self.event_id,
            "type": self.type,
            "schema_version": self.schema_version,
            "house": self.house,
            "occurred_on": self.occurred_on.isoformat(),
            "recorded_at": _utc(self.recorded_at).isoformat(),
            "recorded_by": self.recorded_by,
            "data": self.data,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class Head:
    position: int
    hash: str
    recorded_at: datetime | None


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _same_content(row: Any, event: NewEvent) -> bool:
    return bool(
        row.type == event.type
        and row.occurred_on == event.occurred_on
        and row.house == event.house
        and row.data == event.data
    )


class EventStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- writing ---------------------------------------------------------------------------------
    def append(
        self,
        events: Sequence[NewEvent],
        *,
        recorded_by: str,
        recorded_at: datetime | None = None,
        guard: Callable[[Connection, Sequence[NewEvent]], None] | None = None,
    ) -> list[AppendResult]:
        """Append a batch atomically. Known ids with identical content come back as duplicates.

        `recorded_at` may be given only by trusted callers (the demo backdates its year); it must not
        lie before the head, so that positions and recorded_at grow together. `guard` runs under the
        append lock before anything is written and may raise to refuse the batch: what it reads
        cannot change until the batch is committed (the closed years, audit/closing.py).
        """
        if not events:
            return []
        with write_transaction(self.engine) as conn:
            self._lock(conn)
            if guard is not None:
                guard(conn, events)
            return self._append_locked(conn, events, recorded_by, recorded_at)

    def _lock(self, conn: Connection) -> None:
        # Positions are gapless because exactly one appender at a time reads the head and inserts
        # the next positions. SQLite: the write lock taken by BEGIN IMMEDIATE (db.write_transaction).
        # PostgreSQL: a transaction-scoped advisory lock, released at commit or rollback, so a reader
        # never sees position n+1 committed before n.
        if not is_sqlite(self.engine):
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK_KEY})

    def _append_locked(
        self, conn: Connection, events: Sequence[NewEvent], recorded_by: str, recorded_at: datetime | None
    ) -> list[AppendResult]:
        existing = self._existing(conn, [e.event_id for e in events])
        head = self._head(conn)
        now = _utc(recorded_at) if recorded_at is not None else datetime.now(UTC)
        if head.recorded_at is not None and now < head.recorded_at:
            if recorded_at is not None:
                raise ValueError("recorded_at lies before the newest event in the log")
            now = head.recorded_at  # the clock went back: keep recorded_at monotonic with position
        self._check_retractions(conn, events, existing)

        results: list[AppendResult] = []
        rows: list[dict[str, Any]] = []
        in_batch: dict[str, NewEvent] = {}
        position, prev_hash = head.position, head.hash
        for event in events:
            known = existing.get(event.event_id)
            if known is not None:
                if not _same_content(known, event):
                    raise EventConflict(event.event_id, known.position)
                results.append(AppendResult(event.event_id, known.position, True))
                continue
            earlier = in_batch.get(event.event_id)
            if earlier is not None:
                if earlier != event:
                    raise EventConflict(event.event_id, 0)
                first = next(r for r in results if r.event_id == event.event_id)
                results.append(AppendResult(event.event_id, first.position, True))
                continue
            position += 1
            payload = chain_payload(
                position=position,
                event_id=event.event_id,
                type=event.type,
                schema_version=SCHEMA_VERSIONS[event.type],
                house=event.house,
                occurred_on=event.occurred_on,
                recorded_at=now,
                recorded_by=recorded_by,
                data=event.data,
                prev_hash=prev_hash,
            )
            prev_hash = hash_payload(payload)
            rows.append(
                {
                    **payload,
                    "occurred_on": event.occurred_on,
                    "recorded_at": now,
                    "hash": prev_hash,
                }
            )
            in_batch[event.event_id] = event
            results.append(AppendResult(event.event_id, position, False))
        if rows:
            conn.execute(events_table.insert(), rows)
        return results

    def _existing(self, conn: Connection, event_ids: list[str]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        unique = list(dict.fromkeys(event_ids))
        t = events_table
        for start in range(0, len(unique), LOOKUP_CHUNK):
            chunk = unique[start : start + LOOKUP_CHUNK]
            query = sa.select(t.c.event_id, t.c.position, t.c.type, t.c.occurred_on, t.c.house, t.c.data)
            for row in conn.execute(query.where(t.c.event_id.in_(chunk))):
                found[row.event_id] = row
        return found

    def _check_retractions(self, conn: Connection, events: Sequence[NewEvent], existing: dict[str, Any]) -> None:
        retractions = [(i, e) for i, e in enumerate(events) if e.type == RETRACTED and e.event_id not in existing]
        if not retractions:
            return
        batch = {e.event_id: (i, e) for i, e in enumerate(events)}
        targets = [e.data["target_event_id"] for _, e in retractions]
        stored = self._existing(conn, targets)
        already = self._retracted_ids(conn, targets)
        problems: list[Problem] = []
        seen: set[str] = set()
        for index, event in retractions:
            target_id = event.data["target_event_id"]
            field = f"events[{index}].data.target_event_id" if len(events) > 1 else "data.target_event_id"
            target = stored.get(target_id)
            in_batch = batch.get(target_id)
            target_type = target.type if target is not None else (in_batch[1].type if in_batch and in_batch[0] < index else None)
            target_house = target.house if target is not None else (in_batch[1].house if in_batch and in_batch[0] < index else None)
            if target_type is None:
                problems.append(Problem(field, target_id, "der findes ingen hændelse med dette id"))
            elif target_type == RETRACTED:
                problems.append(Problem(field, target_id, "en tilbagekaldelse kan ikke tilbagekaldes; registrér hændelsen igen for at genoprette den"))
            elif target_house != event.house:
                problems.append(Problem(field, target_id, "hændelsen tilhører et andet erhvervshus"))
            elif target_id in already or target_id in seen:
                problems.append(Problem(field, target_id, "hændelsen er allerede tilbagekaldt"))
            seen.add(target_id)
        if problems:
            raise InvalidInput(problems)

    def _retracted_ids(self, conn: Connection, target_ids: list[str]) -> set[str]:
        t = events_table
        target = t.c.data["target_event_id"].as_string()
        found: set[str] = set()
        for start in range(0, len(target_ids), LOOKUP_CHUNK):
            chunk = target_ids[start : start + LOOKUP_CHUNK]
            query = sa.select(target).where(t.c.type == RETRACTED, target.in_(chunk))
            found.update(conn.execute(query).scalars())
        return found

    # --- reading ---------------------------------------------------------------------------------
    def head(self) -> Head:
        with self.engine.connect() as conn:
            return self._head(conn)

    def _head(self, conn: Connection) -> Head:
        t = events_table
        row = conn.execute(
            sa.select(t.c.position, t.c.hash, t.c.recorded_at).order_by(t.c.position.desc()).limit(1)
        ).first()
        if row is None:
            return Head(0, GENESIS_HASH, None)
        return Head(row.position, row.hash, _utc(row.recorded_at))

    def read_all(self, *, after: int = 0, upto: int | None = None, batch: int = 5_000) -> Iterator[RecordedEvent]:
        """Stream events with `after < position <= upto`, in log order, upcast to current schemas."""
        t = events_table
        cursor = after
        while True:
            query = sa.select(t).where(t.c.position > cursor).order_by(t.c.position).limit(batch)
            if upto is not None:
                query = query.where(t.c.position <= upto)
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
            for row in rows:
                yield to_recorded_event(row)
            if len(rows) < batch:
                return
            cursor = rows[-1].position

    def get(self, event_id: str) -> RecordedEvent | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(events_table).where(events_table.c.event_id == event_id)).first()
        return None if row is None else to_recorded_event(row)

    def get_many(self, event_ids: Sequence[str]) -> dict[str, RecordedEvent]:
        found: dict[str, RecordedEvent] = {}
        t = events_table
        with self.engine.connect() as conn:
            for start in range(0, len(event_ids), LOOKUP_CHUNK):
                chunk = list(event_ids[start : start + LOOKUP_CHUNK])
                for row in conn.execute(sa.select(t).where(t.c.event_id.in_(chunk))):
                    found[row.event_id] = to_recorded_event(row)
        return found

    def position_at(self, moment: datetime) -> int:
        """The last position recorded at or before `moment` (0 when none was)."""
        t = events_table
        with self.engine.connect() as conn:
            value = conn.execute(
                sa.select(sa.func.max(t.c.position)).where(t.c.recorded_at <= _utc(moment))
            ).scalar()
        return int(value or 0)

    def recorded_at(self, position: int) -> datetime | None:
        t = events_table
        with self.engine.connect() as conn:
            value = conn.execute(sa.select(t.c.recorded_at).where(t.c.position == position)).scalar()
        return None if value is None else _utc(value)


def to_recorded_event(row: Any) -> RecordedEvent:
    version, data = upcast(row.type, row.schema_version, row.data)
    return RecordedEvent(
        position=row.position,
        event_id=row.event_id,
        type=row.type,
        schema_version=version,
        house=row.house,
        occurred_on=row.occurred_on,
        recorded_at=_utc(row.recorded_at),
        recorded_by=row.recorded_by,
        data=data,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


@dataclass(frozen=True)
class EventQuery:
    """Filters of the event listing; every one optional. Municipality must be canonical already."""

    type: str | None = None
    municipality: str | None = None
    company_cvr: str | None = None
    occurred_from: date | None = None
    occurred_to: date | None = None
    after: int = 0
    limit: int = 100


def find_events(engine: Engine, q: EventQuery) -> list[RecordedEvent]:
    """Events matching `q` in log order, at most `q.limit`, starting after position `q.after`."""
    t = events_table
    query = sa.select(t).where(t.c.position > q.after).order_by(t.c.position).limit(q.limit)
    if q.type:
        query = query.where(t.c.type == q.type)
    if q.municipality:
        query = query.where(t.c.data["municipality"].as_string() == q.municipality)
    if q.company_cvr:
        query = query.where(t.c.data["company_cvr"].as_string() == q.company_cvr)
    if q.occurred_from:
        query = query.where(t.c.occurred_on >= q.occurred_from)
    if q.occurred_to:
        query = query.where(t.c.occurred_on <= q.occurred_to)
    with engine.connect() as conn:
        return [to_recorded_event(row) for row in conn.execute(query)]
