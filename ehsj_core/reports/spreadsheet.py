"""A table as a download: one `Table` written as XLSX (openpyxl) or as CSV in the Danish dialect.

Pure and byte-stable: the same table gives the same bytes. The workbook's created/modified
properties are the table's `stamp` (never the clock) and its zip entries are rewritten with fixed
times in a fixed order (`xlsx._stable_zip`, as the K17/KKR spreadsheets are).

Numbers and dates are written as numbers and dates, never as text: Excel can add them up and sort
them. In XLSX a number format only decides how a value looks (Excel shows "#,##0.0" as 1.234,5 in
Danish). A percent column holds the figure in percent, as the page and the API give it (87.2 for
87,2 %); its header says "(%)". The CSV is what a Danish Excel opens with a double-click: `;`
between fields, a decimal comma, dates as dd-mm-åååå, UTF-8 with a byte order mark, CRLF, and
quotes only where a field needs them.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from ehsj_core.reports.xlsx import HEADER_FILL, HEADER_FONT, MIMETYPE, _stable_zip

XLSX_MIMETYPE = MIMETYPE
CSV_MIMETYPE = "text/csv; charset=utf-8"
ColumnKind = Literal["text", "int", "decimal", "percent", "date", "datetime", "month"]
Cell = str | int | float | date | datetime | None
EPOCH = date(2000, 1, 1)  # the stamp of a table with no date of its own
MAX_DECIMALS = 4  # a number "as given" shows at most this many places
DATE_FORMAT, DATETIME_FORMAT, MONTH_FORMAT = "dd-mm-yyyy", "dd-mm-yyyy hh:mm", "mmmm yyyy"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # text Excel would run as a formula (CSV injection)
ABOUT_SHEET = "Om udtrækket"
CREATOR = "EHSJ målopfølgning"


@dataclass(frozen=True)
class Column:
    """One column: its Danish header, what its values are, its width in characters.

    `decimals` (decimal and percent): the places every value shows; None: as many as the value has."""

    header: str
    kind: ColumnKind = "text"
    width: int = 14
    decimals: int | None = None


@dataclass(frozen=True)
class Table:
    """A table as a page shows it, with real values: ints and floats, dates, naive local datetimes
    ("month": the month's first day), text; None is an empty cell."""

    title: str  # the document's title
    sheet: str  # the sheet's name (Excel allows 31 characters)
    columns: tuple[Column, ...]
    rows: Sequence[tuple[Cell, ...]]
    about: tuple[tuple[str, str], ...] = ()  # what the figures are: the sheet "Om udtrækket"
    stamp: date = EPOCH  # the workbook's created and modified date
    note: str | None = None  # said on a line of its own after the last row (a cut-off export)


def to_xlsx(table: Table) -> bytes:
    """The table on one sheet (bold header, frozen header row, filter, widths, number formats),
    and "Om udtrækket" on a second sheet when the table says what its figures are."""
    wb = Workbook(write_only=True)  # rows go straight to the file: a 100.000-row history fits
    ws = wb.create_sheet(table.sheet[:31])
    ws.freeze_panes = "A2"
    for number, column in enumerate(table.columns, start=1):
        ws.column_dimensions[get_column_letter(number)].width = column.width
    last = get_column_letter(len(table.columns))
    ws.auto_filter.ref = f"A1:{last}{len(table.rows) + 1}"
    ws.append([_header_cell(ws, c.header) for c in table.columns])
    for row in table.rows:
        ws.append([_cell(ws, column, value) for column, value in zip(table.columns, row, strict=True)])
    if table.note:
        ws.append([_text_cell(ws, table.note, Font(italic=True))])
    if table.about:
        about = wb.create_sheet(ABOUT_SHEET)
        about.column_dimensions["A"].width = 24
        about.column_dimensions["B"].width = 80
        for label, text in table.about:
            about.append([_text_cell(about, label, Font(bold=True)), _text_cell(about, text)])
    props = wb.properties
    props.creator = props.lastModifiedBy = CREATOR
    props.title = table.title
    props.created = props.modified = datetime.combine(table.stamp, time(0, 0))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()  # not wb.save(): that stamps the clock into `modified`
    return _stable_zip(buffer.getvalue())


def _header_cell(ws: Any, text: str) -> WriteOnlyCell:
    cell = _text_cell(ws, text, HEADER_FONT)
    cell.fill = HEADER_FILL
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def _text_cell(ws: Any, text: str, font: Font | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"  # never a formula, whatever the text starts with
    if font is not None:
        cell.font = font
    return cell


def _cell(ws: Any, column: Column, value: Cell) -> WriteOnlyCell | None:
    if value is None:
        return None
    if column.kind == "text" or isinstance(value, str):
        return _text_cell(ws, str(value))
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = _number_format(column, value)
    return cell


def _number_format(column: Column, value: Cell) -> str:
    if column.kind == "date":
        return DATE_FORMAT
    if column.kind == "datetime":
        return DATETIME_FORMAT
    if column.kind == "month":
        return MONTH_FORMAT
    places = 0 if column.kind == "int" else _places(column, value)
    return "#,##0" + ("." + "0" * places if places else "")


def _places(column: Column, value: Cell) -> int:
    if column.decimals is not None:
        return column.decimals
    exponent = Decimal(str(value)).normalize().as_tuple().exponent
    return min(-exponent, MAX_DECIMALS) if isinstance(exponent, int) and exponent < 0 else 0


def to_csv(table: Table) -> bytes:
    """The table as CSV for a Danish Excel: BOM, `;`, decimal comma, dd-mm-åååå, CRLF."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quotechar='"', quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([c.header for c in table.columns])
    for row in table.rows:
        writer.writerow([csv_text(column, value) for column, value in zip(table.columns, row, strict=True)])
    if table.note:
        writer.writerow([table.note])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def csv_text(column: Column, value: Cell) -> str:
    """One value as the Danish CSV writes it: 1234,5; 01-03-2019; 01-03-2019 14:05."""
    if value is None:
        return ""
    if column.kind == "text" or isinstance(value, str):
        text = str(value)
        return "'" + text if text.startswith(FORMULA_STARTS) else text
    if isinstance(value, datetime):
        return f"{value:%d-%m-%Y %H:%M}" if column.kind == "datetime" else f"{value:%d-%m-%Y}"
    if isinstance(value, date):
        return f"{value:%d-%m-%Y}"
    if column.kind == "int" or isinstance(value, int):
        return str(int(value))
    exact = Decimal(str(value))  # the value itself, as XLSX holds it: `decimals` only decides the look there
    if exact == exact.to_integral_value():
        exact = exact.quantize(Decimal(1))
    return f"{exact:f}".replace(".", ",")
