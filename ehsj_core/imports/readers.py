"""Reading an export into a header and rows of cells: CSV (Danish conventions) or XLSX.

CSV: `;` is the usual separator (`,` and tab are recognised from the header line); the text is UTF-8
(with or without BOM) or Windows-1252, told apart line by line, so that a UTF-8 file with a few
Windows-1252 lines pasted in reports those lines instead of garbling them. XLSX: the first sheet,
read with openpyxl (through defusedxml); dates arrive as datetimes, numbers as numbers.

Every file is held to the import's limits (limits.py): its size, an XLSX's zip directory and declared
dimension before it is parsed, the rows (and an XLSX's columns) while it is read — reading stops at the
first row past the limit. A file past a limit is a file problem; nothing of it is imported.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ehsj_core.imports import limits as lim
from ehsj_core.imports.limits import ImportLimits, XmlBomb

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls
SEPARATORS = (";", ",", "\t")
UTF8, CP1252 = "UTF-8", "Windows-1252"
Cell = str | int | float | datetime | None
LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+\Z")  # a line and its end, as io.StringIO(newline="") splits


class TooLarge(Exception):
    """Reading went past a limit; the text (Danish) says which."""


@dataclass
class Sheet:
    """A file read: its header, its data rows (spreadsheet row number, cells), problems found."""

    headers: list[str]
    rows: list[tuple[int, list[Cell]]]
    encoding: str  # UTF-8, Windows-1252, or XLSX
    file_problems: list[str] = field(default_factory=list)  # the file cannot be read at all
    row_problems: dict[int, str] = field(default_factory=dict)  # row number → what is wrong with it


def read_sheet(data: bytes, filename: str = "", limits: ImportLimits | None = None) -> Sheet:
    limits = limits or ImportLimits()
    problem = lim.size_problem(len(data), limits)
    if problem is not None:
        return Sheet([], [], "", [problem])
    if data.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
        return _read_xlsx(data, limits)
    if data.startswith(OLE_MAGIC):
        return Sheet([], [], "", ["filen er i det gamle Excel-format (.xls); gem den som .xlsx eller CSV"])
    return _read_csv(data, limits)


def _read_xlsx(data: bytes, limits: ImportLimits) -> Sheet:
    from openpyxl import load_workbook

    problem = lim.defused_xml_problem() or lim.archive_problem(data, limits)
    if problem is not None:
        return Sheet([], [], "XLSX", [problem])
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        return Sheet([], [], "XLSX", [_unreadable(exc)])
    try:
        return Sheet(*_xlsx_rows(wb.worksheets[0], limits), "XLSX")
    except TooLarge as exc:
        return Sheet([], [], "XLSX", [str(exc)])
    except Exception as exc:  # a part that breaks only once it is read
        return Sheet([], [], "XLSX", [_unreadable(exc)])
    finally:
        wb.close()


XML_BOMB = "regnearket erklærer XML-entiteter (en såkaldt XML-bombe), som et regneark aldrig har; filen afvises"


def _unreadable(exc: BaseException) -> str:
    """Why openpyxl could not read the file; defusedxml's refusal is named (openpyxl wraps it)."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, XmlBomb):
            return XML_BOMB
        cause = cause.__cause__ or cause.__context__
    return f"filen kan ikke læses som et Excel-regneark (.xlsx): {type(exc).__name__}"


def _xlsx_rows(ws: Any, limits: ImportLimits) -> tuple[list[str], list[tuple[int, list[Cell]]]]:
    """The header and the data rows of a read-only sheet, held to the limits: its declared dimension
    first (the last row; a width past MAX_COLUMNS is not trusted, and every row is measured instead),
    then each row as it streams."""
    if ws.max_row is not None and ws.max_row - 1 > limits.max_rows:
        raise TooLarge(lim.declared_rows_problem(ws.max_row - 1, limits))
    if ws.max_column is not None and ws.max_column > lim.MAX_COLUMNS:
        ws.reset_dimensions()  # else every row is padded to the declared width
    rows = ws.iter_rows(values_only=True)
    header = _within(1, next(rows, ()))
    headers = ["" if h is None else str(h).strip() for h in header]
    out: list[tuple[int, list[Cell]]] = []
    for number, values in enumerate(rows, start=2):
        if number - 1 > limits.max_rows:
            raise TooLarge(lim.rows_problem(limits))
        cells = [_cell(v) for v in _within(number, values)]
        if any(c not in (None, "") for c in cells):
            out.append((number, cells))
    return headers, out


def _within(number: int, values: tuple[Any, ...]) -> tuple[Any, ...]:
    """A row cut to MAX_COLUMNS cells; past them it must be empty."""
    if len(values) <= lim.MAX_COLUMNS:
        return values
    if any(v not in (None, "") for v in values[lim.MAX_COLUMNS :]):
        raise TooLarge(lim.columns_problem(number))
    return values[: lim.MAX_COLUMNS]


def _cell(value: Any) -> Cell:
    if value is None or isinstance(value, str | int | float | datetime):
        return value
    return str(value)


def decode(data: bytes) -> tuple[str, str, dict[int, str]]:
    """(text, encoding, problems by physical line number) — see the module docstring."""
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff") or b"\x00" in data[:4096]:
        raise UnicodeError("filen er i UTF-16 (eller er ikke en tekstfil); gem den som CSV i UTF-8 eller Windows-1252")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), UTF8, {}
    except UnicodeDecodeError:
        pass
    lines = data.splitlines(keepends=True)
    utf8_lines = 0
    for line in lines:
        if not line.isascii():
            try:
                line.decode("utf-8")
                utf8_lines += 1
            except UnicodeDecodeError:
                pass
    problems: dict[int, str] = {}
    parts: list[str] = []
    for number, line in enumerate(lines, start=1):
        if utf8_lines:  # a UTF-8 file: the lines that are not are the problem
            try:
                parts.append(line.decode("utf-8"))
            except UnicodeDecodeError:
                parts.append(line.decode("utf-8", errors="replace"))
                problems[number] = (
                    "rækken er ikke UTF-8 som resten af filen (tegnsættet er blandet); "
                    "ret tegnene og gem filen som UTF-8"
                )
        else:
            try:
                parts.append(line.decode("cp1252"))
            except UnicodeDecodeError:
                parts.append(line.decode("cp1252", errors="replace"))
                problems[number] = "rækken har tegn, der hverken er UTF-8 eller Windows-1252 (forkert tegnsæt)"
    return "".join(parts), UTF8 if utf8_lines else CP1252, problems


def _read_csv(data: bytes, limits: ImportLimits) -> Sheet:
    try:
        text, encoding, line_problems = decode(data)
    except UnicodeError as exc:
        return Sheet([], [], "", [str(exc)])
    first = text.split("\n", 1)[0]
    separator = max(SEPARATORS, key=first.count)
    reader = csv.reader(_lines(text), delimiter=separator)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        return Sheet([], [], encoding, [f"overskriftslinjen kan ikke læses som CSV: {exc}"])
    if header is None:
        return Sheet([], [], encoding, ["filen er tom"])
    headers = [h.strip() for h in header]
    rows: list[tuple[int, list[Cell]]] = []
    problems: dict[int, str] = {}
    number, first_line = 1, reader.line_num + 1
    for cells in _records(reader):
        number += 1
        if number - 1 > limits.max_rows:
            return Sheet([], [], encoding, [lim.rows_problem(limits)])
        last_line = reader.line_num
        bad = next((line_problems[n] for n in range(first_line, last_line + 1) if n in line_problems), None)
        if isinstance(cells, str):
            problems[number] = cells
        elif any(c.strip() for c in cells):
            rows.append((number, list(cells)))
            if bad:
                problems[number] = bad
        first_line = last_line + 1
    return Sheet(headers, rows, encoding, [], problems)


def _lines(text: str) -> Iterable[str]:
    """The lines of `text` with their ends, one at a time (io.StringIO would hold the text again, at
    four bytes a character)."""
    return (match.group() for match in LINE.finditer(text))


def _records(reader: Any) -> Iterator[list[str] | str]:
    """The csv reader's records; a broken record becomes its problem text (and reading goes on)."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield f"rækken kan ikke læses som CSV: {exc}"
