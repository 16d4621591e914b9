"""Exporting the log with its hash chain, and checking such a file without a database.

The file is JSON Lines, UTF-8: a header line, one line per stored row in position order — the whole
log up to the head, since each hash needs every row before it — and a trailer line. A row line holds
the ten hashed fields (chain.py), its `hash`, and `in_year`: whether the event counts in the year
the export was made for (its `occurred_on`, for a retraction that of the event it withdraws). The
year only marks rows; it never leaves any out. README, "Exporting the log", has the format.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from ehsj_core.audit.integrity import describe_break
from ehsj_core.contract.loader import ContractBook
from ehsj_core.events.chain import GENESIS_HASH, check_link
from ehsj_core.events.reader import LogReader
from ehsj_core.events.records import RETRACTED

FORMAT = "ehsj-event-log"
VERSION = 1
CHAIN_FIELDS = (
    "data",
    "event_id",
    "house",
    "occurred_on",
    "position",
    "prev_hash",
    "recorded_at",
    "recorded_by",
    "schema_version",
    "type",
)
ROW_FIELDS = frozenset((*CHAIN_FIELDS, "hash", "in_year"))


def _dumps(value: dict[str, Any]) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS) + b"\n"


def export_lines(
    log: LogReader,
    house: str,
    year: int,
    now: datetime | None = None,
    *,
    contract_sha256: str | None = None,
) -> Iterator[bytes]:
    """The export, line by line (each ending in a newline), of the log as it is when it starts.
    `contract_sha256`: the SHA-256 of the house's contract of `year`, which the national installation
    compares with its own copy (omitted from the header when None, as in exports made before it)."""
    head = log.head()
    wanted = log.retracted_ids(upto=head.position)
    moment = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    header: dict[str, Any] = {
        "record": "header",
        "format": FORMAT,
        "version": VERSION,
        "house": house,
        "year": year,
        "head_position": head.position,
        "head_hash": head.hash,
        "exported_at": moment,
        "genesis_hash": GENESIS_HASH,
        "hashed_fields": list(CHAIN_FIELDS),
    }
    if contract_sha256 is not None:
        header["contract_sha256"] = contract_sha256
    yield _dumps(header)
    years: dict[str, tuple[str, int]] = {}  # event id → (house, year), for the retracted events only
    rows = counted = 0
    last_hash = GENESIS_HASH
    for payload, row_hash in log.chain_rows(upto=head.position):
        counts = counts_in(payload, house, year, years)
        if payload["event_id"] in wanted:
            years[payload["event_id"]] = (payload["house"], int(payload["occurred_on"][:4]))
        counted += counts
        rows, last_hash = payload["position"], row_hash
        yield _dumps({**payload, "hash": row_hash, "in_year": counts})
    yield _dumps(
        {"record": "trailer", "events": rows, "in_year": counted, "head_position": rows, "head_hash": last_hash}
    )


def counts_in(row: dict[str, Any], house: str, year: int, years: dict[str, tuple[str, int]]) -> bool:
    """Whether a row counts in (house, year): by its own occurred_on, a retraction by its target's."""
    if row["type"] == RETRACTED:
        target = years.get(row["data"].get("target_event_id", ""))
        return target == (house, year)
    return bool(row["house"] == house and int(str(row["occurred_on"])[:4]) == year)


def export_to(
    log: LogReader, house: str, year: int, path: Path, *, contract_sha256: str | None = None
) -> tuple[int, str]:
    """Write the export to `path`; returns (head position, head hash) as stated in its header."""
    header: dict[str, Any] = {}
    with path.open("wb") as out:
        for line in export_lines(log, house, year, contract_sha256=contract_sha256):
            if not header:
                header = orjson.loads(line)
            out.write(line)
    return int(header["head_position"]), str(header["head_hash"])


# --- checking a file: pure Python over its lines, no database ---------------------------------------------
@dataclass(frozen=True)
class FileCheck:
    ok: bool
    rows: int  # rows that checked out before the first problem
    head_position: int | None
    head_hash: str | None
    in_year: int
    line: int | None  # the line of the first problem (1 = the header)
    position: int | None
    problem: str | None  # Danish

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class _Bad(Exception):
    def __init__(self, problem: str, position: int | None = None) -> None:
        super().__init__(problem)
        self.problem, self.position = problem, position


def contract_sha256_of(book: ContractBook, house: str, year: int) -> str | None:
    """The SHA-256 of the house's contract of `year` in the book, for an export's header (None: none)."""
    found = book.get(house, year)
    return None if found is None else found.sha256


def verify_file(path: Path) -> FileCheck:
    """Check an export: every hash, the chain from 64 zeros, gapless positions, the `in_year` marks,
    and the header and trailer against the rows. Stops at the first problem. Header fields it does
    not know (`contract_sha256`, which older exports lack) are not checked here."""
    targets = _retracted_ids(path)
    expected_prev, rows, counted = GENESIS_HASH, 0, 0
    header: dict[str, Any] | None = None
    years: dict[str, tuple[str, int]] = {}  # of the retracted events only
    last: tuple[int, dict[str, Any]] | None = None  # the line read last, which may be the trailer
    try:
        with path.open("rb") as lines:
            for number, raw in enumerate(lines, start=1):
                item = _parse(raw, number)
                if header is None:
                    if item.get("record") != "header" or item.get("format") != FORMAT or item.get("version") != VERSION:
                        raise _Bad(
                            f"første linje skal være filhovedet (record: header, format: {FORMAT}, version: {VERSION})"
                        )
                    header = item
                    continue
                if last is not None:
                    _check_row(last, expected_prev, rows + 1, header, years, targets)
                    expected_prev, rows, counted = last[1]["hash"], rows + 1, counted + bool(last[1]["in_year"])
                last = (number, item)
    except _Bad as bad:
        line = bad.line if isinstance(bad, _BadLine) else (last[0] if last else 1)
        return FileCheck(False, rows, None, None, counted, line, bad.position, bad.problem)
    end = last[0] if last else 1

    def fail(problem: str) -> FileCheck:
        return FileCheck(False, rows, None, None, counted, end, None, problem)

    if header is None:
        return fail("filen er tom")
    if last is None or last[1].get("record") != "trailer":
        return fail("sidste linje skal være afslutningen (record: trailer); filen er afkortet")
    trailer, head_hash = last[1], expected_prev
    if header.get("head_position") != rows or header.get("head_hash") != head_hash:
        return fail("filhovedets head_position og head_hash svarer ikke til den sidste række")
    if trailer.get("events") != rows or trailer.get("in_year") != counted or trailer.get("head_hash") != head_hash:
        return fail("afslutningens antal, in_year eller head_hash svarer ikke til rækkerne")
    return FileCheck(True, rows, rows, head_hash, counted, None, None, None)


class _BadLine(_Bad):
    def __init__(self, problem: str, line: int) -> None:
        super().__init__(problem)
        self.line = line


def _parse(raw: bytes, number: int) -> dict[str, Any]:
    try:
        item = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise _BadLine("linjen er ikke gyldig JSON", number) from None
    if not isinstance(item, dict):
        raise _BadLine("linjen er ikke et JSON-objekt", number)
    return item


def _retracted_ids(path: Path) -> set[str]:
    """The events the file's retractions name (a first, quick pass: only those lines are parsed)."""
    found: set[str] = set()
    marker = RETRACTED.encode()
    with path.open("rb") as lines:
        for raw in lines:
            if marker in raw:
                try:
                    item = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    continue  # the second pass reports it
                data = item.get("data") if isinstance(item, dict) else None
                if item.get("type") == RETRACTED and isinstance(data, dict):
                    found.add(str(data.get("target_event_id")))
    return found


def _check_row(
    last: tuple[int, dict[str, Any]],
    expected_prev: str,
    expected_position: int,
    header: dict[str, Any],
    years: dict[str, tuple[str, int]],
    targets: set[str],
) -> None:
    row = last[1]
    position = row.get("position") if isinstance(row.get("position"), int) else None
    if row.get("record") is not None:
        raise _Bad("afslutningen står før den sidste række", position)
    missing = [f for f in (*CHAIN_FIELDS, "hash", "in_year") if f not in row]
    extra = sorted(set(row) - ROW_FIELDS)
    if missing or extra:
        raise _Bad(
            f"rækken har ikke de rigtige felter (mangler: {', '.join(missing) or '–'}; "
            f"ukendte: {', '.join(extra) or '–'})",
            position,
        )
    found = check_link({field: row[field] for field in CHAIN_FIELDS}, row["hash"], expected_prev, expected_position)
    if found is not None:
        raise _Bad(describe_break(found), found.position)
    if row["in_year"] is not counts_in(row, header["house"], header["year"], years):
        counts = "tæller ikke" if row["in_year"] else "tæller"
        raise _Bad(f"in_year er forkert: hændelsen {counts} i {header['year']}", position)
    if row["event_id"] in targets:
        years[row["event_id"]] = (row["house"], int(str(row["occurred_on"])[:4]))
