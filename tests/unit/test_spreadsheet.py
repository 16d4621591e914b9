"""A table written as XLSX and as Danish CSV: real numbers and dates, Excel's quoting, stable bytes."""

from __future__ import annotations

import io
from datetime import date, datetime

from openpyxl import load_workbook

from ehsj_core.reports.spreadsheet import Column, Table, to_csv, to_xlsx

TABLE = Table(
    title="Prøve",
    sheet="Prøve",
    columns=(
        Column("Navn", width=30),
        Column("Antal", "int", 8),
        Column("Tal", "decimal", 10),
        Column("Andel (%)", "percent", 10, decimals=2),
        Column("Dato", "date", 12),
        Column("Registreret", "datetime", 17),
        Column("Måned", "month", 14),
    ),
    rows=(
        ("Hansen; Søn & Co", 1234, 1234.5, 12.25, date(2019, 3, 4), datetime(2019, 3, 4, 14, 5), date(2019, 3, 1)),
        ('Det "gode" firma\nlinje 2', 0, -0.2, 100, None, None, None),
        ('=HYPERLINK("x")', None, 12.0, None, None, None, None),
    ),
    about=(("År", "2019"),),
    stamp=date(2019, 12, 31),
)


def test_the_csv_is_the_danish_dialect_excel_opens_with_a_double_click() -> None:
    body = to_csv(TABLE)
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte order mark
    assert body.decode("utf-8-sig").split("\r\n") == [
        "Navn;Antal;Tal;Andel (%);Dato;Registreret;Måned",
        '"Hansen; Søn & Co";1234;1234,5;12,25;04-03-2019;04-03-2019 14:05;01-03-2019',
        '"Det ""gode"" firma\nlinje 2";0;-0,2;100;;;',
        '"\'=HYPERLINK(""x"")";;12;;;;',  # text that would run as a formula starts with '
        "",
    ]


def test_the_xlsx_holds_numbers_and_dates_under_a_frozen_bold_header() -> None:
    ws = load_workbook(io.BytesIO(to_xlsx(TABLE)))["Prøve"]
    assert [c.value for c in ws[1]] == [c.header for c in TABLE.columns]
    assert all(c.font.b for c in ws[1]) and ws.freeze_panes == "A2"
    assert [ws.column_dimensions[letter].width for letter in "ABCDEFG"] == [30, 8, 10, 10, 12, 17, 14]
    name, count, number, share, day, moment, month = ws[2]
    assert name.value == "Hansen; Søn & Co" and name.data_type == "s"
    assert (count.value, count.data_type, count.number_format) == (1234, "n", "#,##0")
    assert (number.value, number.number_format) == (1234.5, "#,##0.0")
    assert (share.value, share.number_format) == (12.25, "#,##0.00")
    assert day.is_date and day.value == datetime(2019, 3, 4) and day.number_format == "dd-mm-yyyy"
    assert moment.is_date and moment.value == datetime(2019, 3, 4, 14, 5)
    assert month.is_date and month.number_format == "mmmm yyyy"
    formula = ws["A4"]
    assert formula.data_type == "s" and formula.value == '=HYPERLINK("x")'  # stored as text, never run
    assert ws["C4"].number_format == "#,##0" and ws["E3"].value is None


def test_the_same_table_gives_the_same_bytes_and_says_what_it_is() -> None:
    first, second = to_xlsx(TABLE), to_xlsx(TABLE)
    assert first == second and to_csv(TABLE) == to_csv(TABLE)
    book = load_workbook(io.BytesIO(first))
    assert book.sheetnames == ["Prøve", "Om udtrækket"]
    assert [c.value for c in book["Om udtrækket"][1]] == ["År", "2019"]
    assert book.properties.created == datetime(2019, 12, 31) and book.properties.title == "Prøve"


def test_a_cut_off_table_says_so_after_its_last_row() -> None:
    table = Table("Historik", "Historik", (Column("Nr.", "int"),), [(2,), (1,)], note="Kun de nyeste 2 hændelser.")
    assert to_csv(table).decode("utf-8-sig").split("\r\n")[-2] == "Kun de nyeste 2 hændelser."
    ws = load_workbook(io.BytesIO(to_xlsx(table))).active
    assert ws["A4"].value == "Kun de nyeste 2 hændelser." and ws.auto_filter.ref == "A1:A3"
