"""The XLSX attachments, byte-stable: the half-year and annual reports' (goals and the 17
municipalities) and each chief's quarterly one (its own municipality's figures: the quarter, the year
to date and every month of it).

openpyxl stamps "now" into the document properties and the zip entries; both are fixed here (the
properties to the day the report is judged on, the zip entries to 1980-01-01 in a stable order), so
that the same report gives the same bytes and therefore the same digest.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from ehsj_core.projections.municipalities import MunicipalityFigures
from ehsj_core.projections.status import GoalStatus
from ehsj_core.reports import labels
from ehsj_core.reports.data import AnnualStatus, HalfYearReport, QuarterlyStatus
from ehsj_core.reports.labels import MONTHS

MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
INTEGER, ONE_DECIMAL, TWO_DECIMALS = "#,##0", "#,##0.0", "+0.00;-0.00;0.00"
DATE = "dd-mm-yyyy"
HEADER_FILL = PatternFill("solid", fgColor="1F3A5F")
HEADER_FONT = Font(bold=True, color="FFFFFF")
FIRST_ENTRIES = ("[Content_Types].xml", "_rels/.rels")


def workbook_bytes(report: HalfYearReport | AnnualStatus) -> bytes:
    """The report as an .xlsx file: sheet "Mål" and sheet "Kommuner", Danish headers."""
    wb = Workbook()
    goals = wb.active
    goals.title = "Mål"
    _goal_sheet(goals, report.goals)
    municipalities = wb.create_sheet("Kommuner")
    course_types = report.basis.course_types
    _municipality_sheet(municipalities, report.municipalities, course_types)
    return _saved(wb, report.basis.house_name, f"{labels.REPORT_TITLES[_kind(report)]} {report.period.label}", report)


def chief_workbook_bytes(report: QuarterlyStatus) -> bytes:
    """A chief's quarterly status as an .xlsx file of the municipality's figures: sheet "Kommunen"
    (the quarter and the year to date) and sheet "Måneder" (each month from January to the quarter's
    end), with the columns of the K17 report's "Kommuner". Real numbers and dates, Danish headers, the
    header row frozen. (The goals, the same for all 17, are in the e-mail and K17's workbook: a sheet
    of them here would triple the time each of the 17 workbooks takes.)"""
    period, year = report.period, report.period.year
    wb = Workbook()
    own = wb.active
    own.title = "Kommunen"
    _period_sheet(
        own,
        [
            (period.label, period.start, period.end, report.quarter),
            ("År til dato", date(year, 1, 1), period.end, report.year_to_date),
        ],
        report.basis.course_types,
    )
    months = [(_month_label(key), *_month_span(key), figures) for key, figures in report.months]
    _period_sheet(wb.create_sheet("Måneder"), months, report.basis.course_types)
    title = f"{labels.REPORT_TITLES['quarterly_status']} {period.label}: {report.municipality} Kommune"
    return _saved(wb, report.basis.house_name, title, report)


def _saved(wb: Workbook, creator: str, title: str, report: QuarterlyStatus | HalfYearReport | AnnualStatus) -> bytes:
    """The workbook's bytes, with no clock in them: its properties dated the day the report is judged
    on, its zip entries at a fixed time in a fixed order."""
    moment = datetime.combine(report.basis.judged_on, time(0, 0))
    props = wb.properties
    props.creator = props.lastModifiedBy = creator
    props.title = title
    props.created = props.modified = moment
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # compressed once, by _stable_zip
        ExcelWriter(wb, archive).write_data()  # not wb.save(): that stamps the clock into `modified`
    return _stable_zip(buffer.getvalue())


def _month_label(key: str) -> str:
    """ "2019-03" → "marts 2019"."""
    year, month = key.split("-")
    return f"{MONTHS[int(month) - 1]} {year}"


def _month_span(key: str) -> tuple[date, date]:
    year, month = (int(x) for x in key.split("-"))
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return date(year, month, 1), date.fromordinal(following.toordinal() - 1)


def _kind(report: HalfYearReport | AnnualStatus) -> str:
    return "half_year_report" if isinstance(report, HalfYearReport) else "annual_status"


def _stable_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed timestamps and attributes and a stable entry order."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        entries = {name: source.read(name) for name in source.namelist()}
    order = [n for n in FIRST_ENTRIES if n in entries] + sorted(n for n in entries if n not in FIRST_ENTRIES)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0o600 << 16
            target.writestr(info, entries[name], compresslevel=6)
    return out.getvalue()


def _header(ws: Any, titles: Sequence[str], widths: Sequence[int]) -> None:
    ws.append(list(titles))
    for column, (cell, width) in enumerate(zip(ws[1], widths, strict=True), start=1):
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(titles))}1"


def _formats(ws: Any, formats: dict[int, str]) -> None:
    for row in ws.iter_rows(min_row=2):
        for column, fmt in formats.items():
            row[column - 1].number_format = fmt


def _goal_sheet(ws: Any, goals: Iterable[GoalStatus]) -> None:
    t = labels.TEXT
    _header(
        ws,
        [
            t["goal"],
            t["target"],
            "Type",
            t["result"],
            t["target_value"],
            "Enhed",
            t["pace"],
            t["status"],
            f"{t['fulfilment']} (%)",
            t["deadline"],
            t["reached"],
        ],
        [6, 60, 10, 10, 10, 12, 12, 16, 12, 12, 12],
    )
    kinds = {
        "count": "antal",
        "range": "interval",
        "rate": "andel",
        "score": "score",
        "max_deviation": "afvigelse",
        "milestone": "milepæl",
    }
    for goal in goals:
        for target in goal.targets:
            wanted: float | str | None = target.target
            if target.kind == "range":
                wanted = f"{labels.number(target.target_min)}–{labels.number(target.target_max)}"
            ws.append(
                [
                    goal.id,
                    target.label,
                    kinds.get(target.kind, target.kind),
                    target.actual,
                    wanted,
                    target.unit or "",
                    target.expected_by_now,
                    labels.status_word(target.status),
                    target.fulfilment_pct,
                    _excel_date(target.deadline),
                    _excel_date(target.reached_on),
                ]
            )
    _formats(ws, {4: ONE_DECIMAL, 5: ONE_DECIMAL, 7: ONE_DECIMAL, 9: INTEGER, 10: DATE, 11: DATE})
    for row in ws.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
        if row[2].value == "antal":  # counts are whole numbers
            for cell in (row[3], row[4]):
                cell.number_format = INTEGER


def _excel_date(iso: str | None) -> datetime | None:
    return None if iso is None else datetime.fromisoformat(iso)


def _figure_titles(course_types: Sequence[tuple[str, str]]) -> list[str]:
    """The headers of a municipality's figures (after its name or period), as in "Kommuner"."""
    t = labels.TEXT
    return [
        t["population"],
        f"{t['population_share']} (%)",
        *[name for _key, name in course_types],
        t["specialised"],
        f"{t['specialised_share']} (%)",
        t["deviation"],
        t["events"],
        t["newsletters"],
        t["council"],
    ]


def _figure_cells(m: MunicipalityFigures, course_types: Sequence[tuple[str, str]]) -> list[Any]:
    return [
        m.population,
        m.population_share_pct,
        *[m.courses.get(k, 0) for k, _n in course_types],
        m.specialised_courses,
        m.specialised_share_pct,
        m.deviation_pp,
        m.events_hosted,
        m.newsletters,
        labels.yes_no(m.council_presentation_offered),
    ]


def _figure_formats(first: int, course_types: Sequence[tuple[str, str]]) -> dict[int, str]:
    """Number formats of the figure columns, the first of them in column `first`."""
    n = len(course_types)
    return {
        first: INTEGER,
        first + 1: "0.00",
        **{first + 2 + i: INTEGER for i in range(n)},
        first + 2 + n: INTEGER,
        first + 3 + n: "0.00",
        first + 4 + n: TWO_DECIMALS,
        first + 5 + n: INTEGER,
        first + 6 + n: INTEGER,
    }


def _figure_widths(course_types: Sequence[tuple[str, str]]) -> list[int]:
    return [12, 14, *[14] * len(course_types), 14, 16, 14, 14, 12, 16]


def _municipality_sheet(
    ws: Any, municipalities: Iterable[MunicipalityFigures], course_types: Sequence[tuple[str, str]]
) -> None:
    _header(ws, [labels.TEXT["municipality"], *_figure_titles(course_types)], [16, *_figure_widths(course_types)])
    for m in municipalities:
        ws.append([m.name, *_figure_cells(m, course_types)])
    _formats(ws, _figure_formats(2, course_types))


def _period_sheet(
    ws: Any,
    rows: Sequence[tuple[str, date, date, MunicipalityFigures]],
    course_types: Sequence[tuple[str, str]],
) -> None:
    """One municipality's figures, a row per period: its name, first and last day, then the figures."""
    _header(ws, ["Periode", "Fra", "Til", *_figure_titles(course_types)], [18, 12, 12, *_figure_widths(course_types)])
    for label, start, end, m in rows:
        ws.append([label, _midnight(start), _midnight(end), *_figure_cells(m, course_types)])
    _formats(ws, {2: DATE, 3: DATE, **_figure_formats(4, course_types)})


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0))
