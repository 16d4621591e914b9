"""The final statement as an HTML page (printable on A4) and as an XLSX workbook. Pure and
byte-stable: the same statement gives the same bytes."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.writer.excel import ExcelWriter

from ehsj_core.audit.statement import FinalStatement
from ehsj_core.reports import labels
from ehsj_core.reports.xlsx import (
    HEADER_FILL,
    HEADER_FONT,
    INTEGER,
    MIMETYPE,
    ONE_DECIMAL,
    TWO_DECIMALS,
)
from ehsj_core.reports.xlsx import _stable_zip as stable_zip

HTML_MIMETYPE = "text/html; charset=utf-8"
XLSX_MIMETYPE = MIMETYPE
DATE = "dd-mm-yyyy"
KINDS = {
    "count": "antal",
    "range": "interval",
    "rate": "andel",
    "score": "score",
    "max_deviation": "afvigelse",
    "milestone": "milepæl",
}


def heading(s: FinalStatement) -> str:
    """ "Endelig resultatopgørelse" once the year is closed ("Rettet …" when it corrects one sent
    before a reopening), else "Resultatopgørelse" (a preliminary one)."""
    if not s.closed:
        return "Resultatopgørelse"
    return "Rettet endelig resultatopgørelse" if s.corrected else "Endelig resultatopgørelse"


def title(s: FinalStatement) -> str:
    """The document's title; a fictitious example's says so (reports/house.py)."""
    return f"{heading(s)} {s.year} – {s.house_name}" + (" (fiktivt eksempel)" if s.fictitious else "")


def fictitious_note(s: FinalStatement) -> str | None:
    """The fictitious example's sentence, None for a real contract."""
    from ehsj_core.reports.house import fictitious_note as note

    return note(s.house_name) if s.fictitious else None


def kroner(value: int | None) -> str:
    return "–" if value is None else f"{labels.number(value)} kr."


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("ehsj_core.audit", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        n=labels.number,
        pct=labels.percent,
        pp=labels.points,
        date=labels.long_date,
        word=labels.status_word,
        kr=kroner,
        dispatch_period=labels.dispatch_period,
        actual=lambda t: labels.actual_text(t.kind, t.actual, t.reached_on),
        wanted=lambda t: labels.wanted_text(t.kind, t.target, t.target_min, t.target_max, t.deadline),
    )
    return env


def statement_html(s: FinalStatement) -> bytes:
    def local(moment: datetime) -> str:
        return labels.long_date(local_day(moment, s.timezone))

    page = (
        _environment()
        .get_template("statement.html")
        .render(s=s, title=title(s), local=local, fictitious_note=fictitious_note(s))
    )
    return page.encode("utf-8")


def statement_xlsx(s: FinalStatement) -> bytes:
    """Sheets: Grundlag, Mål, Milepæle, Kommuner, Aftaler, Rapporter, Efter lukning."""
    wb = Workbook()
    basis = wb.active
    basis.title = "Grundlag"
    _basis(basis, s)
    _goals(wb.create_sheet("Mål"), s)
    _milestones(wb.create_sheet("Milepæle"), s)
    _municipalities(wb.create_sheet("Kommuner"), s)
    _agreements(wb.create_sheet("Aftaler"), s)
    _reports(wb.create_sheet("Rapporter"), s)
    _after_close(wb.create_sheet("Efter lukning"), s)
    props = wb.properties
    props.creator = props.lastModifiedBy = s.house_name
    props.title = title(s)
    props.created = props.modified = datetime.combine(s.judged_on, time(0, 0))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()  # not wb.save(): that stamps the clock (reports/xlsx.py)
    return stable_zip(buffer.getvalue())


def _table(ws: Any, headers: list[str], widths: list[int], rows: list[list[Any]], formats: dict[int, str]) -> None:
    ws.append(headers)
    for column, cell in enumerate(ws[1], start=1):
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[cell.column_letter].width = widths[column - 1]
    for row in rows:
        ws.append(row)
    for row in ws.iter_rows(min_row=2):
        for column, fmt in formats.items():
            row[column - 1].number_format = fmt
    ws.freeze_panes = "A2"


def local_day(moment: datetime, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone)).date()


def _day(value: str | date | None) -> datetime | None:
    """A date as an Excel date cell (a naive datetime at midnight)."""
    if value is None:
        return None
    day = value if isinstance(value, date) else date.fromisoformat(value)
    return datetime.combine(day, time(0, 0))


def _basis(ws: Any, s: FinalStatement) -> None:
    closes = (
        "; ".join(
            f"lukket af {c.by} {labels.long_date(local_day(c.recorded_at, s.timezone))} (position {c.position})"
            + (f", genåbnet ved position {c.reopened_at}" if c.reopened_at else "")
            for c in s.closes
        )
        or "ikke lukket"
    )
    rows: list[list[Any]] = [
        ["Opgørelse", title(s)],
        ["Kontrakt", s.contract_title],
        ["Kontraktfil", s.contract_filename],
        ["SHA-256 af kontraktfilen", s.contract_sha256],
        ["Logposition", s.position],
        ["Pr.", s.as_of or "nu"],
        ["Hash ved positionen", s.position_hash],
        ["Opgjort pr.", _day(s.judged_on)],
        ["Årets lukning", closes],
        ["Delmål opfyldt", f"{s.targets_met} af {s.targets_total}"],
        ["Indholdets digest (SHA-256)", s.content_digest],
    ]
    if (note := fictitious_note(s)) is not None:
        rows.append(["Fiktivt eksempel", note])
    _table(ws, ["Felt", "Værdi"], [30, 90], rows, {})
    ws["B9"].number_format = DATE
    ws["B6"].number_format = INTEGER


def _goals(ws: Any, s: FinalStatement) -> None:
    rows = []
    for g in s.goals:
        for t in g.targets:
            wanted: Any = (
                t.target if t.kind != "range" else f"{labels.number(t.target_min)}–{labels.number(t.target_max)}"
            )
            rows.append(
                [
                    g.id,
                    g.title,
                    t.label,
                    KINDS.get(t.kind, t.kind),
                    t.actual,
                    wanted,
                    t.unit or "",
                    t.fulfilment_pct,
                    labels.status_word(t.status),
                ]
            )
    headers = ["Mål", "Målets titel", "Delmål", "Type", "Resultat", "Måltal", "Enhed", "Opfyldelse (%)", "Status"]
    _table(ws, headers, [6, 40, 50, 10, 10, 10, 12, 14, 16], rows, {5: ONE_DECIMAL, 6: ONE_DECIMAL, 8: INTEGER})


def _milestones(ws: Any, s: FinalStatement) -> None:
    rows = [
        [g.id, t.label, _day(t.deadline), _day(t.reached_on), labels.status_word(t.status)]
        for g in s.goals
        for t in g.targets
        if t.kind == "milestone"
    ]
    _table(ws, ["Mål", "Milepæl", "Frist", "Nået", "Status"], [6, 70, 12, 12, 16], rows, {3: DATE, 4: DATE})


def _municipalities(ws: Any, s: FinalStatement) -> None:
    names = [name for _key, name in s.course_types]
    headers = [
        "Kommune",
        "Indbyggere",
        "Befolkningsandel (%)",
        *names,
        "Specialiserede forløb",
        "Andel af specialiserede forløb (%)",
        "Afvigelse (procentpoint)",
        "Bidrag (kr.)",
        "Kr. pr. specialiseret forløb",
    ]
    rows = [
        [
            m.figures.name,
            m.figures.population,
            m.figures.population_share_pct,
            *[m.figures.courses.get(k, 0) for k, _n in s.course_types],
            m.figures.specialised_courses,
            m.figures.specialised_share_pct,
            m.figures.deviation_pp,
            m.figures.contribution_dkk,
            m.dkk_per_specialised_course,
        ]
        for m in s.municipalities
    ]
    n = len(names)
    formats = {
        2: INTEGER,
        3: "0.00",
        **{4 + i: INTEGER for i in range(n)},
        4 + n: INTEGER,
        5 + n: "0.00",
        6 + n: TWO_DECIMALS,
        7 + n: '#,##0 "kr."',
        8 + n: '#,##0 "kr."',
    }
    _table(ws, headers, [16, 12, 14, *[14] * n, 14, 16, 14, 14, 16], rows, formats)


def _agreements(ws: Any, s: FinalStatement) -> None:
    rows = [[a.partner, a.kind_label, a.municipality or "", _day(a.signed_on), a.position] for a in s.agreements]
    headers = ["Aftalepart", "Aftaletype", "Kommune", "Indgået", "Position"]
    _table(ws, headers, [40, 24, 16, 12, 10], rows, {4: DATE, 5: INTEGER})


def _reports(ws: Any, s: FinalStatement) -> None:
    tz = s.timezone
    rows = [
        [
            r.id,
            r.kind_label,
            labels.dispatch_period(r.period),
            r.recipient,
            _day(local_day(r.sent_at, tz)),
            r.position,
            r.sha256,
        ]
        for r in s.reports
    ]
    headers = ["Forsendelse", "Rapport", "Periode", "Modtager", "Sendt", "Position", "Digest (SHA-256)"]
    _table(ws, headers, [12, 22, 10, 30, 12, 10, 66], rows, {5: DATE, 6: INTEGER})


def _after_close(ws: Any, s: FinalStatement) -> None:
    tz = s.timezone
    rows = [
        [e.position, e.event_id, e.type, _day(e.occurred_on), _day(local_day(e.recorded_at, tz)), e.recorded_by]
        for e in s.after_close
    ]
    headers = ["Position", "Hændelse", "Type", "Hændt", "Registreret", "Registreret af"]
    _table(ws, headers, [10, 38, 20, 12, 12, 24], rows, {1: INTEGER, 4: DATE, 5: DATE})
