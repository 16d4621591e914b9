"""The append-only event store: it persists what the rule book decided, under the append lock.

Vocabulary: `StoredEvent` is the row (tables.py), `EventStore.locked()` the write transaction that
holds the append lock, `EventStore.persist(...)` numbers, chains and inserts a decided batch. The
store decides nothing (rulebook.py) and reads only through the reader (reader.py).

Speed: the rows go to the driver directly (`sqlite3.executemany`, psycopg `COPY`), and each event's
data is encoded once, as canonical JSON, for both its hash and its data column.

Personal fields are sealed before the hash is computed (`ehsj_core/privacy/sealing.py`), so the chain
covers the ciphertext, and `recorded_by` is stored as the appender's pseudonym: the subjects of the
whole batch are found or made in one query (`privacy.keys.resolve`), and the pepper is read once
per store.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ehsj_core.db import is_sqlite, write_transaction
from ehsj_core.events.chain import format_recorded_at, hash_row
from ehsj_core.events.records import Head, utc
from ehsj_core.events.schemas import SCHEMA_VERSIONS
from ehsj_core.events.validation import NewEvent
from ehsj_core.privacy import keys as subject_keys
from ehsj_core.privacy.sealing import Identity, Memo, consultant_identity, owners, seal
from ehsj_core.tables import RetractionIndex

retractions_table: sa.Table = RetractionIndex.__table__  # type: ignore[attr-defined]
# Any constant works; it names "the append lock" among PostgreSQL's advisory locks.
APPEND_LOCK_KEY = 0x45485341  # "EHSA"
COLUMNS = (
    "position, event_id, type, schema_version, house, occurred_on, recorded_at, recorded_by, data, prev_hash, hash"
)
SQLITE_INSERT = f"INSERT INTO events ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
POSTGRES_COPY = f"COPY events ({COLUMNS}) FROM STDIN"
SQLITE_NAMES = "INSERT OR IGNORE INTO company_names (cvr, name, folded, position) VALUES (?, ?, ?, ?)"
POSTGRES_NAMES = (
    "INSERT INTO company_names (cvr, name, folded, position)"
    " SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::bigint[]) ON CONFLICT DO NOTHING"
)
SORTED = orjson.OPT_SORT_KEYS


class EventConflict(Exception):
    """The event id exists already with other content."""

    def __init__(self, event_id: str, position: int) -> None:
        super().__init__(f"event_id {event_id} is already stored at position {position} with other content")
        self.event_id = event_id
        self.position = position


class EventStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._pepper: bytes | None = None  # never changes once made (migration 0007)

    @contextmanager
    def locked(self) -> Iterator[Connection]:
        """A write transaction holding the append lock: what is read in it cannot change until commit.
        The cyclic garbage collector waits meanwhile (`_collector_paused`)."""
        with _collector_paused(), write_transaction(self.engine) as conn:
            # Positions are gapless because exactly one appender at a time reads the head and inserts
            # the next positions. SQLite: the write lock taken by BEGIN IMMEDIATE (db.write_transaction).
            # PostgreSQL: a transaction-scoped advisory lock, released at commit or rollback, so a reader
            # never sees position n+1 committed before n.
            if not is_sqlite(self.engine):
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK_KEY})
            yield conn

    def try_persist(
        self,
        conn: Connection,
        head: Head,
        events: Sequence[NewEvent],
        retraction_targets: Mapping[str, tuple[str, int]],
        recorded_by: str,
        recorded_at: datetime | None = None,
    ) -> bool:
        """`persist` inside a savepoint; False, with nothing written, when the database refuses a row
        (an event id stored already): the caller then decides again, knowing what is stored."""
        refused = (
            sa.exc.IntegrityError,
            self.engine.dialect.loaded_dbapi.IntegrityError,
        )  # rows go to the driver itself
        savepoint = conn.begin_nested()
        try:
            self.persist(conn, head, events, retraction_targets, recorded_by, recorded_at)
        except refused:
            savepoint.rollback()
            return False
        except BaseException:
            savepoint.rollback()
            raise
        savepoint.commit()
        return True

    def persist(
        self,
        conn: Connection,
        head: Head,
        events: Sequence[NewEvent],
        retraction_targets: Mapping[str, tuple[str, int]],
        recorded_by: str,
        recorded_at: datetime | None = None,
    ) -> None:
        """Number `events` head+1, head+2, …, chain and insert them, with their retraction-index rows
        and company names, in the caller's locked transaction (`locked`).

        `recorded_at` may be given only by the demo (it backdates its year); it must not lie before the
        head, so that positions and recorded_at grow together.
        """
        if not events:
            return
        now = utc(recorded_at) if recorded_at is not None else datetime.now(UTC)
        if head.recorded_at is not None and now < head.recorded_at:
            if recorded_at is not None:
                raise ValueError("recorded_at lies before the newest event in the log")
            now = head.recorded_at  # the clock went back: keep recorded_at monotonic with position
        stored, author = self._sealed(conn, events, recorded_by)
        rows = _rows(stored, events, head, now, author)
        driver: Any = conn.connection.driver_connection
        if is_sqlite(self.engine):
            driver.executemany(SQLITE_INSERT, _sqlite_values(rows, now))
        else:
            with driver.cursor() as cursor, cursor.copy(POSTGRES_COPY) as copy:
                for row in rows:
                    copy.write_row((*row[:6], now, *row[7:]))
        positions = {row[1]: row[0] for row in rows}
        index = [
            {
                "target_event_id": target,
                "target_position": target_position,
                "event_id": event_id,
                "position": positions[event_id],
            }
            for event_id, (target, target_position) in retraction_targets.items()
        ]
        if index:
            conn.execute(retractions_table.insert(), index)
        self._company_names(conn, events, positions)

    def _sealed(
        self, conn: Connection, events: Sequence[NewEvent], recorded_by: str
    ) -> tuple[list[Mapping[str, Any]], str]:
        """Each event's data as it is stored, its personal fields sealed under their subjects' keys,
        and what is stored as `recorded_by`: the appender's pseudonym. One query for the batch."""
        personal = [owners(event.type, event.data, recorded_by) for event in events]
        author = consultant_identity(recorded_by)
        wanted: dict[Identity, str] = {author: recorded_by}
        for event, fields in zip(events, personal, strict=True):
            for field, identity in fields.items():
                wanted.setdefault(identity, str(event.data[field]))
        if self._pepper is None:
            self._pepper = subject_keys.read_pepper(conn)
            if self._pepper is None:
                raise RuntimeError("privacy_pepper is empty: run `ehsj init` (migration 0007)")
        subjects = subject_keys.resolve(conn, self._pepper, wanted)
        memo: Memo = {}
        stored: list[Mapping[str, Any]] = [
            seal(event.data, fields, subjects, memo) if fields else event.data
            for event, fields in zip(events, personal, strict=True)
        ]
        return stored, subjects[author].subject

    def _company_names(self, conn: Connection, events: Sequence[NewEvent], positions: dict[str, int]) -> None:
        names: dict[tuple[str, str], int] = {}
        for event in events:
            name = event.data.get("company_name") if event.type == "course.completed" else None
            if name:
                names.setdefault((event.data.get("company_cvr") or "", name), positions[event.event_id])
        if not names:
            return
        values = [(cvr, name, name.casefold(), p) for (cvr, name), p in names.items()]
        driver: Any = conn.connection.driver_connection
        if is_sqlite(self.engine):
            driver.executemany(SQLITE_NAMES, values)
        else:  # one statement over four arrays: psycopg's executemany would make a round trip a row
            with driver.cursor() as cursor:
                cursor.execute(POSTGRES_NAMES, [list(column) for column in zip(*values, strict=True)])


Row = tuple[int, str, str, int, str, str, str, str, str, str, str]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while the append lock is held, as before if it was off.

    A batch of 10,000 events allocates hundreds of thousands of small objects (rows, sealed data,
    the rule book's state) that live until the batch is stored, so the collector's generational
    passes ran again and again over all of them: measured on the bench's events, 24,000 → 39,000
    events/s appended with it paused. The section is bounded (one batch) and makes no garbage cycles
    that matter; whatever cycles it does make are collected once the collector runs again. It also
    keeps the lock's hold time, which every other appender waits on, free of collector pauses."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _rows(
    stored: Sequence[Mapping[str, Any]], events: Sequence[NewEvent], head: Head, now: datetime, recorded_by: str
) -> list[Row]:
    """(position, event_id, type, version, house, occurred_on, recorded_at, recorded_by, data, prev_hash,
    hash) of each event, `recorded_at` in the hashed text form; `stored` is each event's data as stored."""
    moment = format_recorded_at(now)
    position, prev_hash = head.position, head.hash
    rows: list[Row] = []
    dumps, versions = orjson.dumps, SCHEMA_VERSIONS
    for event, data in zip(events, stored, strict=True):
        position += 1
        data_json = dumps(data, option=SORTED)
        version = versions[event.type]
        day = event.occurred_on.isoformat()
        digest = hash_row(
            data_json, event.event_id, event.house, day, position, prev_hash, moment, recorded_by, version, event.type
        )
        rows.append(
            (
                position,
                event.event_id,
                event.type,
                version,
                event.house,
                day,
                moment,
                recorded_by,
                data_json.decode(),
                prev_hash,
                digest,
            )
        )
        prev_hash = digest
    return rows


def _sqlite_values(rows: list[Row], now: datetime) -> Iterator[Row]:
    """The rows with recorded_at as SQLAlchemy's SQLite dialect stores a DateTime (naive UTC text),
    so that every other reader gets it back as the datetime it is."""
    stored = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    for row in rows:
        yield (*row[:6], stored, *row[7:])
