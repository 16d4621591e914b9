"""Engines for the two backends: SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

SQLITE_BUSY_TIMEOUT_MS = 60_000
SQLITE_CACHE_KIB = 32 * 1024


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def create_db_engine(url: str) -> Engine:
    """Build an engine; for SQLite also WAL, a busy timeout and explicit BEGIN handling."""
    if url.startswith("sqlite"):
        db_path = sa.make_url(url).database
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url,
            json_serializer=_json_dumps,
            json_deserializer=orjson.loads,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        _configure_sqlite(engine)
        return engine
    return sa.create_engine(
        url,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
    )


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite opens transactions lazily and never as IMMEDIATE. We take over: the driver stays in
    # autocommit mode and SQLAlchemy's "begin" emits BEGIN ourselves, IMMEDIATE when a writer asks for
    # it (execution option `sqlite_immediate`). An IMMEDIATE transaction holds SQLite's single write
    # lock from its first statement, which is what makes "read the head, then append" race-free.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # 32 MiB of page cache (SQLite's default is 2 MiB): a million-event log's event-id index no
        # longer fits the default, and every append looks up and inserts random UUIDs in it.
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine per URL and process (engines own connection pools)."""
    return create_db_engine(url)


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that may write: on SQLite it takes the write lock at BEGIN."""
    with engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
        yield conn
