"""Reading an export into a header and rows of cells: CSV (Danish conventions) or XLSX.

CSV: `;` is the usual separator (`,` and tab are recognised from the header line); the text is UTF-8
(with or without BOM) or Windows-1252, told apart line by line, so that a UTF-8 file with a few
Windows-1252 lines pasted in reports those lines instead of garbling them. XLSX: the first sheet,
read with openpyxl; dates arrive as datetimes, numbers as numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls
SEPARATORS = (";", ",", "\t")
UTF8, CP1252 = "UTF-8", "Windows-1252"
Cell = str | int | float | datetime | None


@dataclass
class Sheet:
    """A file read: its header, its data rows (spreadsheet row number, cells), problems found."""

    headers: list[str]
    rows: list[tuple[int, list[Cell]]]
    encoding: str  # UTF-8, Windows-1252, or XLSX
    file_problems: list[str] = field(default_factory=list)  # the file cannot be read at all
    row_problems: dict[int, str] = field(default_factory=dict)  # row number → what is wrong with it


def read_sheet(data: bytes, filename: str = "") -> Sheet:
    if data.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
        return _read_xlsx(data)
    if data.startswith(OLE_MAGIC):
        return Sheet([], [], "", ["filen er i det gamle Excel-format (.xls); gem den som .xlsx eller CSV"])
    return _read_csv(data)


def _read_xlsx(data: bytes) -> Sheet:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        return Sheet([], [], "XLSX", [f"filen kan ikke læses som et Excel-regneark (.xlsx): {type(exc).__name__}"])
    try:
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        headers = ["" if h is None else str(h).strip() for h in (header or ())]
        out: list[tuple[int, list[Cell]]] = []
        for number, values in enumerate(rows, start=2):
            cells = [_cell(v) for v in values]
            if any(c not in (None, "") for c in cells):
                out.append((number, cells))
    finally:
        wb.close()
    return Sheet(headers, out, "XLSX")


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


def _read_csv(data: bytes) -> Sheet:
    try:
        text, encoding, line_problems = decode(data)
    except UnicodeError as exc:
        return Sheet([], [], "", [str(exc)])
    first = text.split("\n", 1)[0]
    separator = max(SEPARATORS, key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
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


def _records(reader: Any) -> Iterator[list[str] | str]:
    """The csv reader's records; a broken record becomes its problem text (and reading goes on)."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield f"rækken kan ikke læses som CSV: {exc}"
