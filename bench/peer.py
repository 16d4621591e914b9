"""The peer library `eventsourcing` and the raw drivers, on our events, in the bench's own run.

`peer_figures(events, workdir, pg_url)` takes the bench's events as (type, occurred_on ISO, data)
triples and measures, each into a fresh database of its own:

* eventsourcing 9.5 on SQLite (`eventsourcing.sqlite`, its default JSON transcoder): the batch
  save, 100 aggregates x 10 events = 1,000 events per transaction, through its mapper and
  recorder (the ratio's base) and, apart, through Aggregates and `Application.save()`; and the
  read + decode + fold of every stored event;
* the same on PostgreSQL (`eventsourcing.postgres`), when the server is reachable;
* the raw drivers' limit for rows shaped like our `events` table: stdlib `sqlite3` `executemany`
  (WAL, synchronous=NORMAL, 10,000 rows a transaction) and psycopg `COPY`, with a scan +
  `orjson.loads` + the same fold.

Every fold is the same `collections.Counter` of (type, data["municipality"]), and every fold's
result is checked against the one computed from the input, so no figure counts a read that
decoded the wrong thing. Not a test: figures are returned, nothing asserts on speed.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import orjson
import psycopg
import sqlalchemy as sa
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, DomainEvent
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect

from ehsj_core.tables import StoredEvent

Triple = tuple[str, str, dict[str, Any]]
Fold = Counter[tuple[str, Any]]

AGGREGATES_PER_SAVE = 100
EVENTS_PER_AGGREGATE = 10
EVENTS_PER_SAVE = AGGREGATES_PER_SAVE * EVENTS_PER_AGGREGATE
RAW_ROWS_PER_TRANSACTION = 10_000
READ_PAGE = 10_000  # notifications per select_notifications() call, and rows per fetchmany()
FOLD_KEY = "municipality"
PG_DATABASE = "ehsj_bench_peer"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/"


# --- the peer's domain model -------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded(DomainEvent):
    """One of our events as an eventsourcing domain event: the payload is type, date and data.

    DomainEvent adds originator_id (UUID), originator_version and timestamp (datetime, encoded by
    the transcoder's DatetimeAsISO), as every eventsourcing event has.
    """

    type: str
    occurred_on: str
    data: dict[str, Any]


class Log(Aggregate):
    """The idiomatic path, measured apart: an Aggregate whose events carry our payload."""

    def __init__(self, type: str, occurred_on: str, data: dict[str, Any]) -> None:
        self.count = 1

    @dataclass(frozen=True)
    class Recorded(Aggregate.Event):
        type: str
        occurred_on: str
        data: dict[str, Any]

        def apply(self, aggregate: Aggregate) -> None:
            cast(Log, aggregate).count += 1

    def record(self, type: str, occurred_on: str, data: dict[str, Any]) -> None:
        self.trigger_event(self.Recorded, type=type, occurred_on=occurred_on, data=data)


class PeerApp(Application[uuid.UUID]):
    """A bare eventsourcing application: no snapshots, no aggregate cache, default transcoder."""

    name = "EhsjBenchPeer"


# --- the fold, the same for every reader -------------------------------------------------------


def expected_fold(events: Sequence[Triple]) -> Fold:
    return Counter((kind, data.get(FOLD_KEY)) for kind, _, data in events)


def _check(name: str, got: Fold, want: Fold) -> None:
    if got != want:
        raise RuntimeError(f"{name}: the read-back fold differs from the events written")


def _rate(count: int, seconds: float) -> int:
    return round(count / seconds) if seconds > 0 else 0


# --- eventsourcing -----------------------------------------------------------------------------


def _es_save_batches(app: PeerApp, events: Sequence[Triple]) -> float:
    """The peer's fastest official write path, with its encoding: mapper, then recorder.

    Per 1,000 events: build the DomainEvent objects (100 new aggregate ids x versions 1..10,
    each with its timestamp), encode each with the application's `Mapper.to_stored_event`
    (JSONTranscoder), and write them with `ApplicationRecorder.insert_events`, one transaction.
    That is `EventStore.put` without its Recording/Notification return objects, and
    `Application.save` without ProcessingEvent.collect_events, whose runtime-Protocol
    isinstance check alone costs about a third of the save on Python 3.11. The idiomatic
    Aggregate + `Application.save` path is timed apart (`_es_save_aggregates`).
    """
    new_id, now = uuid.uuid4, Recorded.create_timestamp
    to_stored_event, insert_events = app.mapper.to_stored_event, app.recorder.insert_events
    start = time.perf_counter()
    for base in range(0, len(events), EVENTS_PER_SAVE):
        chunk = events[base : base + EVENTS_PER_SAVE]
        ids = [new_id() for _ in range(AGGREGATES_PER_SAVE)]
        batch = [
            Recorded(
                originator_id=ids[i // EVENTS_PER_AGGREGATE],
                originator_version=i % EVENTS_PER_AGGREGATE + 1,
                timestamp=now(),
                type=kind,
                occurred_on=occurred_on,
                data=data,
            )
            for i, (kind, occurred_on, data) in enumerate(chunk)
        ]
        insert_events([to_stored_event(event) for event in batch])
    return time.perf_counter() - start


def _es_save_aggregates(app: PeerApp, events: Sequence[Triple]) -> float:
    """The tutorial's path: 100 aggregates, their events triggered, one `Application.save()`.

    Each aggregate's Created event carries the first of its 10 payloads, its 9 further events
    the rest, so every stored event is one of ours.
    """
    start = time.perf_counter()
    for base in range(0, len(events), EVENTS_PER_SAVE):
        chunk = events[base : base + EVENTS_PER_SAVE]
        logs: list[Log] = []
        for offset in range(0, len(chunk), EVENTS_PER_AGGREGATE):
            first, *rest = chunk[offset : offset + EVENTS_PER_AGGREGATE]
            log = Log(*first)
            for triple in rest:
                log.record(*triple)
            logs.append(log)
        app.save(*logs)
    return time.perf_counter() - start


def _es_read_fold(app: PeerApp) -> tuple[float, int, Fold]:
    """Read every stored event back as decoded domain events, and fold them.

    `ApplicationRecorder.select_notifications` + `Mapper.to_domain_event` is how the library
    itself reads an application's whole log (system.NotificationLogReader.select, the process
    applications' convert_notifications, projection.ApplicationSubscription). It is the fastest
    official way: one ordered range query per page, against one query per aggregate through
    `repository.get`, and without LocalNotificationLog's section-size cap (10 by default).
    """
    recorder, to_domain_event = app.recorder, app.mapper.to_domain_event
    fold: Fold = Counter()
    count, last_id = 0, None
    start = time.perf_counter()
    while True:
        page = recorder.select_notifications(last_id, READ_PAGE, inclusive_of_start=False)
        if not page:
            break
        for notification in page:
            event = cast(Recorded, to_domain_event(notification))
            fold[(event.type, event.data.get(FOLD_KEY))] += 1
        count += len(page)
        last_id = page[-1].id
    return time.perf_counter() - start, count, fold


def _eventsourcing_sqlite(events: Sequence[Triple], workdir: Path, want: Fold) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(workdir / "es.sqlite3")}
    with PeerApp(env=env) as app:
        figures["append_events_per_s"] = _rate(len(events), _es_save_batches(app, events))
    with PeerApp(env=env) as app:  # a fresh application (and connection pool) reads it back
        seconds, count, fold = _es_read_fold(app)
    _check("eventsourcing on SQLite", fold, want)
    figures["replay_events_per_s"] = _rate(count, seconds)
    env["SQLITE_DBNAME"] = str(workdir / "es-aggregates.sqlite3")
    with PeerApp(env=env) as app:
        figures["aggregate_append_events_per_s"] = _rate(len(events), _es_save_aggregates(app, events))
    return figures


def _eventsourcing_postgres(events: Sequence[Triple], pg_url: str, want: Fold) -> dict[str, Any]:
    params = conninfo_to_dict(pg_url)
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": PG_DATABASE,
        "POSTGRES_HOST": str(params.get("host") or "127.0.0.1"),
        "POSTGRES_PORT": str(params.get("port") or "5432"),
        "POSTGRES_USER": str(params.get("user") or "postgres"),
        "POSTGRES_PASSWORD": str(params.get("password") or ""),
    }
    figures: dict[str, Any] = {}
    with PeerApp(env=env) as app:
        figures["append_events_per_s"] = _rate(len(events), _es_save_batches(app, events))
    with PeerApp(env=env) as app:
        seconds, count, fold = _es_read_fold(app)
    _check("eventsourcing on PostgreSQL", fold, want)
    figures["replay_events_per_s"] = _rate(count, seconds)
    return figures


# --- the raw drivers ---------------------------------------------------------------------------

COLUMNS = (
    "position",
    "event_id",
    "type",
    "schema_version",
    "house",
    "occurred_on",
    "recorded_at",
    "recorded_by",
    "data",
    "prev_hash",
    "hash",
)


def _ddl(dialect: sa.engine.Dialect) -> list[str]:
    """Our events table as declared (columns, primary key, unique event_id, its three indexes).

    The migrations' append-only triggers fire on UPDATE/DELETE only and cost nothing here; the
    CVR expression index of migration 0004 is left out, so the limit is if anything generous.
    """
    table = StoredEvent.__table__  # type: ignore[attr-defined]
    statements = [str(sa.schema.CreateTable(table).compile(dialect=dialect))]
    statements += [str(sa.schema.CreateIndex(index).compile(dialect=dialect)) for index in table.indexes]
    return statements


def _row_constants(count: int) -> tuple[list[str], list[str]]:
    """Event ids and hashes, made before timing: the hash chain is ours, not the driver's."""
    ids = [str(uuid.uuid4()) for _ in range(count)]
    hashes = [hashlib.sha256(b"%d" % position).hexdigest() for position in range(count + 1)]
    return ids, hashes


def _raw_rows(events: Sequence[Triple], ids: list[str], hashes: list[str], base: int) -> Iterator[tuple[Any, ...]]:
    """One batch of rows, with the JSON encoding of `data` (part of any append, so timed)."""
    recorded_at = datetime(2026, 1, 1, tzinfo=UTC).isoformat()
    dumps = orjson.dumps
    for offset, (kind, occurred_on, data) in enumerate(events):
        position = base + offset + 1
        yield (
            position,
            ids[position - 1],
            kind,
            1,
            "sjaelland",
            occurred_on,
            recorded_at,
            "bench",
            dumps(data).decode(),
            hashes[position - 1],
            hashes[position],
        )


def _sqlite3_raw(events: Sequence[Triple], workdir: Path, want: Fold) -> dict[str, Any]:
    path = workdir / "raw.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        for statement in _ddl(sqlite_dialect.dialect()):
            conn.execute(statement)
        ids, hashes = _row_constants(len(events))
        insert = f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
        start = time.perf_counter()
        for base in range(0, len(events), RAW_ROWS_PER_TRANSACTION):
            conn.execute("BEGIN")
            conn.executemany(insert, _raw_rows(events[base : base + RAW_ROWS_PER_TRANSACTION], ids, hashes, base))
            conn.execute("COMMIT")
        append_seconds = time.perf_counter() - start
    finally:
        conn.close()

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        loads, fold, count = orjson.loads, Counter[tuple[str, Any]](), 0
        start = time.perf_counter()
        cursor = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM events ORDER BY position")
        while rows := cursor.fetchmany(READ_PAGE):
            for row in rows:
                fold[(row[2], loads(row[8]).get(FOLD_KEY))] += 1
            count += len(rows)
        replay_seconds = time.perf_counter() - start
    finally:
        conn.close()
    _check("sqlite3", fold, want)
    return {"append_rows_per_s": _rate(len(events), append_seconds), "replay_rows_per_s": _rate(count, replay_seconds)}


def _psycopg_raw(events: Sequence[Triple], pg_url: str, want: Fold) -> dict[str, Any]:
    ids, hashes = _row_constants(len(events))
    copy = sql.SQL("COPY events ({}) FROM STDIN").format(sql.SQL(", ").join(map(sql.Identifier, COLUMNS)))
    with psycopg.connect(pg_url, dbname=PG_DATABASE) as conn:
        for statement in _ddl(postgresql.dialect()):
            conn.execute(statement)
        conn.commit()
        start = time.perf_counter()
        for base in range(0, len(events), RAW_ROWS_PER_TRANSACTION):
            with conn.transaction(), conn.cursor() as cursor, cursor.copy(copy) as writer:
                for row in _raw_rows(events[base : base + RAW_ROWS_PER_TRANSACTION], ids, hashes, base):
                    writer.write_row(row)
        append_seconds = time.perf_counter() - start

        loads, fold, count = orjson.loads, Counter[tuple[str, Any]](), 0
        names = ", ".join(f"{name}::text" if name == "data" else name for name in COLUMNS)
        start = time.perf_counter()
        with conn.transaction(), conn.cursor(name="replay") as cursor:  # server-side, streamed
            cursor.itersize = READ_PAGE
            cursor.execute(f"SELECT {names} FROM events ORDER BY position")
            for row in cursor:
                fold[(row[2], loads(row[8]).get(FOLD_KEY))] += 1
                count += 1
        replay_seconds = time.perf_counter() - start
    _check("psycopg", fold, want)
    return {"append_rows_per_s": _rate(len(events), append_seconds), "replay_rows_per_s": _rate(count, replay_seconds)}


# --- PostgreSQL's own database for the peer ----------------------------------------------------


def pg_admin(pg_url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(pg_url, dbname="postgres", autocommit=True, connect_timeout=5)


@contextlib.contextmanager
def _pg_database(pg_url: str) -> Iterator[None]:
    """Create ehsj_bench_peer afresh, and drop it afterwards (also after a failure)."""
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(PG_DATABASE))
    with pg_admin(pg_url) as admin:
        admin.execute(drop)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(PG_DATABASE)))
    try:
        yield
    finally:
        with pg_admin(pg_url) as admin:
            admin.execute(drop)


def _pg_reachable(pg_url: str) -> str | None:
    """None when the server answers, else why not."""
    try:
        with pg_admin(pg_url) as admin:
            admin.execute("SELECT 1")
    except psycopg.Error as error:
        return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return None


def _remove_sqlite_files(workdir: Path) -> None:
    for path in workdir.glob("*.sqlite3*"):
        path.unlink()


# --- the one entry point -----------------------------------------------------------------------


def peer_figures(events: list[Triple], workdir: Path, pg_url: str | None = DEFAULT_PG_URL) -> dict[str, Any]:
    """Events/s of eventsourcing (SQLite, PostgreSQL) and of the raw drivers, on `events`.

    `events` are (type, occurred_on ISO, data) triples; `workdir` gets the SQLite files;
    `pg_url` (None to skip) is a libpq URL of a server where the user may create databases.
    The PostgreSQL figures are left out, with a printed line, when the server is unreachable.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    _remove_sqlite_files(workdir)
    want = expected_fold(events)
    try:
        figures: dict[str, Any] = {
            "events": len(events),
            "eventsourcing_version": importlib.metadata.version("eventsourcing"),
            "eventsourcing_sqlite": _eventsourcing_sqlite(events, workdir, want),
            "sqlite3_raw": _sqlite3_raw(events, workdir, want),
        }
    finally:
        _remove_sqlite_files(workdir)  # some 1.2 GB at a million events
    problem = "no URL given" if pg_url is None else _pg_reachable(pg_url)
    if pg_url is None or problem is not None:
        print(f"PostgreSQL unreachable ({problem}): no eventsourcing_postgres / psycopg_raw figures")
        return figures
    with _pg_database(pg_url):
        figures["eventsourcing_postgres"] = _eventsourcing_postgres(events, pg_url, want)
    with _pg_database(pg_url):
        figures["psycopg_raw"] = _psycopg_raw(events, pg_url, want)
    return figures


# --- for bench/run.py: the copy of the events, the ratios, the table rows ----------------------


class EventSpool:
    """The bench's events, copied as (type, occurred_on, data) while importing, kept on disk.

    Held in memory, a million triples (their data dicts kept alive) weigh about 0.9 GB, which
    would count in the bench process's peak RSS; one orjson line per batch weighs ~0.2 GB on disk.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = path.open("wb")

    def add(self, events: Sequence[Any]) -> None:
        """`events` are NewEvent objects (.event_id, .type, .occurred_on as a date, .data)."""
        self._file.write(orjson.dumps([(e.event_id, e.type, e.occurred_on, e.data) for e in events]) + b"\n")

    def read(self) -> list[tuple[str, str, str, dict[str, Any]]]:
        """(event_id, type, occurred_on, data) of every event added, once: the file is removed."""
        self._file.close()
        with self.path.open("rb") as file:
            rows = [(event_id, kind, day, data) for line in file for event_id, kind, day, data in orjson.loads(line)]
        self.path.unlink()
        return rows


def versus_eventsourcing(ours_append: float, ours_replay: float, peer: dict[str, Any]) -> dict[str, Any]:
    """Our events/s divided by eventsourcing's on SQLite, on the same events.

    The append divides by the faster of the peer's two write paths in this run (the mapper +
    recorder path should be; on a busy machine the Aggregate path now and then measures faster).
    """
    theirs = peer["eventsourcing_sqlite"]
    their_append = max(theirs["append_events_per_s"], theirs["aggregate_append_events_per_s"])
    return {
        "events": peer["events"],
        "append": round(ours_append / their_append, 2),
        "replay": round(ours_replay / theirs["replay_events_per_s"], 2),
    }


def peer_rows(results: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Rows for the bench's Rich table, under the aims of the issue."""
    versus, peer = results.get("vs_eventsourcing"), results.get("peer")
    if not versus or not peer:
        return []
    es, raw = peer["eventsourcing_sqlite"], peer["sqlite3_raw"]
    rows = [
        (
            "append vs eventsourcing (SQLite)",
            f"{versus['append']}× ({results['import_events_per_s']:,} vs "
            f"{max(es['append_events_per_s'], es['aggregate_append_events_per_s']):,}/s)",
            "≥ 1.5× and ≥ 100,000/s",
        ),
        (
            "replay vs eventsourcing (SQLite)",
            f"{versus['replay']}× ({results['replay_events_per_s']:,} vs {es['replay_events_per_s']:,}/s)",
            "≥ 1.5× and ≥ 200,000/s",
        ),
        ("eventsourcing Aggregate + save (SQLite)", f"{es['aggregate_append_events_per_s']:,} events/s", ""),
        ("sqlite3 raw executemany / scan", f"{raw['append_rows_per_s']:,} / {raw['replay_rows_per_s']:,} rows/s", ""),
    ]
    pg_es, pg_raw = peer.get("eventsourcing_postgres"), peer.get("psycopg_raw")
    if pg_es and pg_raw:
        rows += [
            (
                "eventsourcing append / replay (PostgreSQL)",
                f"{pg_es['append_events_per_s']:,} / {pg_es['replay_events_per_s']:,} events/s",
                "ours: append ≥ 50,000/s",
            ),
            (
                "psycopg raw COPY / scan",
                f"{pg_raw['append_rows_per_s']:,} / {pg_raw['replay_rows_per_s']:,} rows/s",
                "",
            ),
        ]
    else:
        rows.append(("PostgreSQL peer figures", "unreachable", "ours: append ≥ 50,000/s"))
    return rows
