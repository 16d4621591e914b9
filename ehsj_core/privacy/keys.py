"""The data subjects and their keys (`subject_keys`): made at append time, read per batch, erased.

Every function takes the caller's connection: the store's, under the append lock, or a reader's.
One query answers a whole batch (`resolve`, `opened`), so sealing and opening add no round trip
per event. The look-up is an HMAC of the identifier with the installation's pepper
(`privacy_pepper`), so the table names nobody by itself; the pseudonym is random and independent of
the pepper, so it is stable for ever (a new pepper would only mean recomputing the look-ups of the
living subjects).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ehsj_core.privacy.sealing import Identity, Subject, label
from ehsj_core.tables import PrivacyPepper, SubjectKey

subjects_table: sa.Table = SubjectKey.__table__  # type: ignore[attr-defined]
pepper_table: sa.Table = PrivacyPepper.__table__  # type: ignore[attr-defined]
CHUNK = 5_000
COLUMNS = "subject, kind, lookup, label, key, created_at"
_s = subjects_table


def read_pepper(conn: Connection) -> bytes | None:
    value = conn.execute(sa.select(pepper_table.c.pepper).where(pepper_table.c.id == 1)).scalar()
    return None if value is None else bytes(value)


def lookup_of(pepper: bytes, identity: Identity) -> str:
    return hmac.new(pepper, f"{identity.kind}:{identity.identifier}".encode(), hashlib.sha256).hexdigest()


def new_pseudonym() -> str:
    return "s_" + secrets.token_hex(8)


def _chunks(values: Sequence[str]) -> Iterable[list[str]]:
    unique = list(dict.fromkeys(values))
    for start in range(0, len(unique), CHUNK):
        yield unique[start : start + CHUNK]


class Opened(NamedTuple):
    """What a reader needs of a subject: its key and its name (both None once erased)."""

    key: bytes | None
    label: str | None


def resolve(conn: Connection, pepper: bytes, wanted: Mapping[Identity, str]) -> dict[Identity, Subject]:
    """The living subject of each identity, made (pseudonym, key) where there is none yet: one
    select and at most one insert for the whole batch. An erased subject has no look-up any more,
    so a subject named again after erasure is a new subject. `wanted` maps each identity to the
    name it was given as (the label of a new subject).

    Speed: a bulk import meets thousands of new companies a batch, so both statements go to the
    driver as plain SQL (`exec_driver_sql`), without SQLAlchemy compiling and processing each row's
    parameters — that cost more than the sealing itself."""
    by_lookup = {lookup_of(pepper, identity): identity for identity in wanted}
    sqlite = conn.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    found: dict[Identity, Subject] = {}
    for chunk in _chunks(list(by_lookup)):
        query = f"SELECT lookup, subject, key FROM subject_keys WHERE lookup IN ({', '.join([mark] * len(chunk))})"
        for lookup, subject, key in conn.exec_driver_sql(query, tuple(chunk)):
            found[by_lookup[lookup]] = Subject(subject, bytes(key))
    now = datetime.now(UTC)
    # As SQLAlchemy's SQLite dialect stores a DateTime (naive UTC text); PostgreSQL takes the datetime.
    created: object = now.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else now
    fresh: list[tuple[object, ...]] = []
    for lookup, identity in by_lookup.items():
        if identity not in found:
            subject = found[identity] = Subject(new_pseudonym(), os.urandom(32))
            fresh.append(
                (subject.subject, identity.kind, lookup, label(identity, wanted[identity]), subject.key, created)
            )
    if fresh and sqlite:
        conn.exec_driver_sql(f"INSERT INTO subject_keys ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)", fresh)
    elif fresh:  # PostgreSQL: COPY, as the store writes the events (executemany is a round trip a row)
        driver: Any = conn.connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(f"COPY subject_keys ({COLUMNS}) FROM STDIN") as copy:
            for row in fresh:
                copy.write_row(row)
    return found


def opened(conn: Connection, subjects: Iterable[str]) -> dict[str, Opened]:
    """The key and name of each of these subjects (absent: unknown; None: erased)."""
    found: dict[str, Opened] = {}
    for chunk in _chunks(list(subjects)):
        for row in conn.execute(sa.select(_s.c.subject, _s.c.key, _s.c.label).where(_s.c.subject.in_(chunk))):
            found[row.subject] = Opened(None if row.key is None else bytes(row.key), row.label)
    return found


def living_subject(conn: Connection, identity: Identity) -> str | None:
    """The pseudonym of the living subject of this identity (None: never named, or erased)."""
    pepper = read_pepper(conn)
    if pepper is None:
        return None
    query = sa.select(_s.c.subject).where(_s.c.lookup == lookup_of(pepper, identity), _s.c.key.is_not(None))
    value = conn.execute(query).scalar()
    return None if value is None else str(value)


def erase(conn: Connection, subject: str, now: datetime) -> None:
    """Crypto-shredding: the key goes, and with it the look-up and the label that tied the
    pseudonym to a name. The row stays, so readers can say "slettet" rather than "missing"."""
    conn.execute(_s.update().where(_s.c.subject == subject).values(key=None, lookup=None, label=None, erased_at=now))
