"""Taking in a house's export on the national installation: verified, then stored read-only.

An export is accepted only if `ehsj_core.audit.export.verify_file` finds it sound (every hash, the
chain, the positions, the `in_year` marks), its house is in the house file (and is the house the
upload token belongs to, when it came by upload), the national installation holds that house's
contract of the header's year (the same contract, when the header names its SHA-256), and — for a
house already received — it extends what is stored: its row at the stored head position has the
stored head's hash. Since each hash covers the row before it, that one comparison proves that every
stored row is unchanged. An export equal to, or a prefix of, what is stored is `already_received`.

Everything is decided and stored in ONE transaction that holds the intake lock, so two exports of
a house arriving at once are taken one after the other: the second sees the first's rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ehsj_core.audit.export import CHAIN_FIELDS, FileCheck, verify_file
from ehsj_core.contract.loader import ContractBook
from ehsj_core.db import write_transaction
from ehsj_core.events.validation import Problem
from ehsj_core.houses import HouseBook
from ehsj_core.tables import NationalExport, NationalRow

exports_table: sa.Table = NationalExport.__table__  # type: ignore[attr-defined]
rows_table: sa.Table = NationalRow.__table__  # type: ignore[attr-defined]
# Any constant works; it names "the national intake lock" among PostgreSQL's advisory locks (the
# event store's append lock is another constant).
INTAKE_LOCK_KEY = 0x45485341_4E415449 & 0x7FFF_FFFF_FFFF_FFFF
INSERT_BATCH = 1_000
RefusalKind = Literal["invalid", "unknown_house", "other_house", "no_contract", "other_contract", "not_extending"]


@dataclass(frozen=True)
class Added:
    status: Literal["added", "already_received"]
    export_id: int  # the national_exports row (the existing one when already received)
    house: str
    year: int
    head_position: int
    head_hash: str
    new_rows: int  # rows stored by this call (0 when already received)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def message(self) -> str:
        """What happened, in Danish, for a person."""
        if self.status == "added":
            return (
                f"Eksporten fra {self.house} ({self.year}) er modtaget som eksport {self.export_id}: "
                f"{self.new_rows} nye rækker, hoved ved position {self.head_position} (hash {self.head_hash})."
            )
        return (
            f"Eksporten fra {self.house} er allerede modtaget (eksport {self.export_id}, position "
            f"{self.head_position}, hash {self.head_hash}); intet er ændret."
        )


class ExportRefused(ValueError):
    """The export was not taken in; `problems` say why (Danish), `kind` which check refused it."""

    def __init__(self, problems: list[Problem], kind: RefusalKind = "invalid") -> None:
        super().__init__("; ".join(p.problem for p in problems))
        self.problems = problems
        self.kind = kind


def _refuse(kind: RefusalKind, field: str, value: Any, problem: str, allowed: list[str] | None = None) -> ExportRefused:
    return ExportRefused([Problem(field, value, problem, allowed)], kind)


def _header(path: Path) -> dict[str, Any]:
    with path.open("rb") as lines:
        header: dict[str, Any] = orjson.loads(lines.readline())
    return header


def _file_rows(path: Path) -> Iterator[dict[str, Any]]:
    """The row lines of a verified export (neither header nor trailer)."""
    with path.open("rb") as lines:
        next(lines)
        for raw in lines:
            item: dict[str, Any] = orjson.loads(raw)
            if item.get("record") is None:
                yield item


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _check_file(
    path: Path, houses: HouseBook, book: ContractBook, expected_house: str | None
) -> tuple[dict[str, Any], FileCheck]:
    """The header and check of a sound export the national installation can take; else `ExportRefused`."""
    check = verify_file(path)
    if not check.ok:
        where = f"linje {check.line}" + (f", position {check.position}" if check.position is not None else "")
        raise _refuse("invalid", "fil", where, f"eksporten er ikke i orden ({where}): {check.problem}")
    header = _header(path)
    house = str(header.get("house"))
    if houses.get(house) is None:
        raise _refuse("unknown_house", "house", house, "ukendt erhvervshus", list(houses.keys()))
    if expected_house is not None and house != expected_house:
        raise _refuse(
            "other_house",
            "house",
            house,
            f"eksporten er fra {house}, men uploadnøglen tilhører {expected_house}",
            [expected_house],
        )
    year = header.get("year")
    contract = book.get(house, year) if isinstance(year, int) else None
    if contract is None:
        years = [str(y) for y in book.years(house)]
        raise _refuse(
            "no_contract", "year", year, f"den nationale installation har ingen kontrakt for {house} i {year}", years
        )
    given = header.get("contract_sha256")
    if given is not None and given != contract.sha256:
        raise _refuse(
            "other_contract",
            "contract_sha256",
            given,
            f"huset måler efter en anden kontrakt end den, den nationale installation har (sha {contract.sha256})",
            [contract.sha256],
        )
    return header, check


def _lock(conn: Connection) -> None:
    """Serialise intakes: on SQLite the write lock BEGIN IMMEDIATE took (`db.write_transaction`); on
    PostgreSQL a transaction-scoped advisory lock, released at commit or rollback. Without it two
    exports of one house could both read the same stored head and both store rows after it."""
    if conn.dialect.name != "sqlite":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": INTAKE_LOCK_KEY})


def _stored_head(conn: Connection, house: str) -> tuple[int, str] | None:
    r = rows_table
    row = conn.execute(
        sa.select(r.c.position, r.c.hash).where(r.c.house == house).order_by(r.c.position.desc()).limit(1)
    ).first()
    return None if row is None else (int(row.position), str(row.hash))


def _stored_hash(conn: Connection, house: str, position: int) -> str | None:
    r = rows_table
    value = conn.execute(sa.select(r.c.hash).where(r.c.house == house, r.c.position == position)).scalar()
    return None if value is None else str(value)


def _file_hash_at(path: Path, position: int) -> str | None:
    return next((str(row["hash"]) for row in _file_rows(path) if row["position"] == position), None)


def _covering_export(conn: Connection, house: str, position: int) -> int:
    """The id of the first export of the house whose head is at or after `position`."""
    e = exports_table
    query = (
        sa.select(e.c.id)
        .where(e.c.house == house, e.c.head_position >= position)
        .order_by(e.c.head_position, e.c.id)
        .limit(1)
    )
    return int(conn.execute(query).scalar_one())


def add_export(
    engine: Engine,
    path: Path,
    *,
    houses: HouseBook,
    book: ContractBook,
    via: Literal["cli", "upload"],
    by: str,
    expected_house: str | None = None,
) -> Added:
    """Verify a house's export and store it read-only (see the module's docstring); refused →
    `ExportRefused`, and nothing is stored."""
    header, check = _check_file(path, houses, book, expected_house)
    house, year = str(header["house"]), int(header["year"])
    head_position, head_hash = int(header["head_position"]), str(header["head_hash"])
    file_sha256 = _sha256(path)
    with write_transaction(engine) as conn:
        _lock(conn)
        stored = _stored_head(conn, house)
        after = 0
        if stored is None and head_position == 0:  # an empty log: nothing to store but the export, once
            existing = conn.execute(
                sa.select(exports_table.c.id).where(exports_table.c.house == house).order_by(exports_table.c.id)
            ).scalar()
            if existing is not None:
                return Added("already_received", int(existing), house, year, 0, head_hash, 0)
        if stored is not None:
            stored_position, stored_hash = stored
            if head_position <= stored_position:
                if _stored_hash(conn, house, head_position) == head_hash:
                    export_id = _covering_export(conn, house, head_position)
                    return Added("already_received", export_id, house, year, head_position, head_hash, 0)
                raise _not_extending(stored_position, stored_hash)
            if _file_hash_at(path, stored_position) != stored_hash:
                raise _not_extending(stored_position, stored_hash)
            after = stored_position
        export_id = _insert_export(conn, header, check.in_year, file_sha256, via, by)
        new_rows = _insert_rows(conn, path, house, after)
    return Added("added", export_id, house, year, head_position, head_hash, new_rows)


def _not_extending(position: int, row_hash: str) -> ExportRefused:
    return _refuse(
        "not_extending",
        "head_hash",
        row_hash,
        f"eksporten forlænger ikke den seneste eksport fra huset (position {position}, hash {row_hash})",
    )


def _insert_export(conn: Connection, header: dict[str, Any], in_year: int, file_sha256: str, via: str, by: str) -> int:
    result = conn.execute(
        exports_table.insert().values(
            house=str(header["house"]),
            year=int(header["year"]),
            head_position=int(header["head_position"]),
            head_hash=str(header["head_hash"]),
            in_year=in_year,
            exported_at=str(header.get("exported_at", "")),
            file_sha256=file_sha256,
            contract_sha256=header.get("contract_sha256"),
            received_at=datetime.now(UTC),
            received_via=via,
            received_by=by,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _insert_rows(conn: Connection, path: Path, house: str, after: int) -> int:
    """Store the file's rows after position `after`, in batches; returns how many."""
    batch: list[dict[str, Any]] = []
    stored = 0
    for row in _file_rows(path):
        if row["position"] <= after:
            continue
        payload = {field: row[field] for field in CHAIN_FIELDS}
        batch.append(
            {
                "house": house,
                "position": row["position"],
                "event_id": row["event_id"],
                "type": row["type"],
                "hash": row["hash"],
                "payload": orjson.dumps(payload, option=orjson.OPT_SORT_KEYS).decode(),
            }
        )
        if len(batch) >= INSERT_BATCH:
            conn.execute(rows_table.insert(), batch)
            stored, batch = stored + len(batch), []
    if batch:
        conn.execute(rows_table.insert(), batch)
        stored += len(batch)
    return stored
