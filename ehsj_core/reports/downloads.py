"""The tables of the web pages as downloads: one pure function per page builds its `Table`.

Each is handed what its page is built from (the same status report, municipality report, history
entries or ledger rows, read by the same core calls with the same year, moment and filters), so a
download never disagrees with the page it was taken from. Who may see what is decided before:
the pages' own role checks, and `with_email` for the ledger's addresses (the director's only).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from ehsj_core.contract.model import SPECIALISED_COURSE_TYPES, Contract
from ehsj_core.events.reader import LogReader
from ehsj_core.events.records import HistoryEntry, HistoryQuery, RecordedEvent, utc
from ehsj_core.notify.ledger import DispatchRow
from ehsj_core.progress import MunicipalityMonths
from ehsj_core.projections.moment import MunicipalityReport, StatusReport
from ehsj_core.projections.status import TargetStatus
from ehsj_core.reports import labels
from ehsj_core.reports.house import fictitious_note
from ehsj_core.reports.spreadsheet import EPOCH, Cell, Column, Table

ROW_CAP = 100_000  # the history and the ledger: at most this many rows, the newest
HISTORY_CHUNK = 1_000  # the history is read in pages of this many events


def _basis(report: StatusReport | MunicipalityReport) -> tuple[tuple[str, str], ...]:
    """What a status table's figures are: the contract, the year and the moment of the log."""
    contract, at = report.contract.contract, report.as_of
    moment = f"ved udgangen af {labels.long_date(at.on_date)}" if at.label else f"nu, {labels.long_date(at.on_date)}"
    return (
        ("Kontrakt", contract.title),
        ("År", str(report.year)),
        ("Som kendt", moment),
        ("Loggen til og med hændelse nr.", labels.number(at.position)),
        *((("Fiktivt eksempel", fictitious_note(contract.house_name)),) if contract.fictitious else ()),
    )


def _fictitious(report: StatusReport | MunicipalityReport) -> str | None:
    """A fictitious example's sentence, also on a line after the last row (the CSV has no "Om udtrækket")."""
    contract = report.contract.contract
    return fictitious_note(contract.house_name) if contract.fictitious else None


def _fulfilment(t: TargetStatus) -> int | None:
    """The fulfilment the dashboard shows: the contract's steps, or for a count its share of the target."""
    if t.fulfilment_pct is not None:
        return t.fulfilment_pct
    if t.kind == "count" and t.target and t.actual is not None:
        return int(round(100 * t.actual / t.target))  # as the page rounds it (dashboard.html)
    return None


def _day(iso: str | None) -> date | None:
    return None if iso is None else date.fromisoformat(iso)


def goals_table(report: StatusReport) -> Table:
    """The dashboard: every target of every goal. A milestone has no figure, only its dates."""
    columns = (
        Column("Mål", width=6),
        Column("Målets titel", width=40),
        Column("Kategori", width=18),
        Column("Delmål", width=60),
        Column("Resultat", "decimal", 12),
        Column("Enhed", width=12),
        Column("Måltal", "decimal", 10),
        Column("Måltal, øvre grænse", "decimal", 10),
        Column("Forventet nu", "decimal", 12, decimals=1),
        Column("Status", width=16),
        Column("Opfyldelse (%)", "percent", 12, decimals=0),
        Column("Frist", "date", 12),
        Column("Nået", "date", 12),
        Column("Erhvervsstyrelsens tal", "decimal", 14),
        Column("Prognose for årets udgang", "decimal", 14),
    )
    rows: list[tuple[Cell, ...]] = []
    for goal in report.goals:
        for t in goal.targets:
            forecast = t.forecast.value if t.forecast and t.forecast.method != "final" else None
            rows.append(
                (
                    goal.id,
                    goal.title,
                    goal.category_label,
                    t.label,
                    None if t.kind == "milestone" else t.actual,
                    t.unit,
                    t.target if t.target is not None else t.target_min,
                    t.target_max if t.kind == "range" else None,
                    t.expected_by_now,
                    t.status_label,
                    _fulfilment(t),
                    _day(t.deadline),
                    _day(t.reached_on),
                    t.official.value if t.official else None,
                    forecast,
                )
            )
    return Table(
        title=f"Overblik {report.year}",
        sheet=f"Overblik {report.year}",
        columns=columns,
        rows=rows,
        about=_basis(report),
        note=_fictitious(report),
        stamp=report.as_of.on_date,
    )


def _course_columns(contract: Contract) -> tuple[Column, ...]:
    return tuple(Column(c.name, "int", 14) for c in contract.course_types)


def municipalities_table(report: MunicipalityReport) -> Table:
    """The 17 municipalities side by side, with the figures each one's page adds."""
    contract = report.contract.contract
    keys = [c.key for c in contract.course_types]
    columns = (
        Column("Kommune", width=16),
        *_course_columns(contract),
        Column("Specialiserede i alt", "int", 14),
        Column("Andel af specialiserede (%)", "percent", 14, decimals=2),
        Column("Befolkningsandel (%)", "percent", 14, decimals=2),
        Column("Afvigelse (procentpoint)", "decimal", 14, decimals=2),
        Column("Indbyggere", "int", 12),
        Column("Bidrag til erhvervshuset (kr.)", "int", 16),
        Column("Arrangementer i kommunen", "int", 14),
        Column("Nyhedsbreve", "int", 12),
        Column("Datoer tilbudt til byrådsoplæg", width=16),
    )
    rows: list[tuple[Cell, ...]] = [
        (
            m.name,
            *[m.courses[k] for k in keys],
            m.specialised_courses,
            m.specialised_share_pct,
            m.population_share_pct,
            m.deviation_pp,
            m.population,
            m.contribution_dkk,
            m.events_hosted,
            m.newsletters,
            labels.yes_no(m.council_presentation_offered),
        )
        for m in report.municipalities
    ]
    return Table(
        title=f"De {len(report.contract.contract.municipalities)} kommuner {report.year}",
        sheet=f"Kommuner {report.year}",
        columns=columns,
        rows=rows,
        about=_basis(report),
        note=_fictitious(report),
        stamp=report.as_of.on_date,
    )


def municipality_months_table(report: MunicipalityReport, months: MunicipalityMonths) -> Table:
    """One municipality's courses logged month by month (its page's chart, as figures)."""
    contract = report.contract.contract
    keys = [c.key for c in contract.course_types]
    columns = (
        Column("Måned", "month", 16),
        *_course_columns(contract),
        Column("Specialiserede forløb", "int", 14),
        Column("Forløb i alt", "int", 12),
    )
    rows: list[tuple[Cell, ...]] = [
        (
            date.fromisoformat(f"{key}-01"),
            *[courses.get(k, 0) for k in keys],
            sum(courses.get(k, 0) for k in SPECIALISED_COURSE_TYPES),
            sum(courses.values()),
        )
        for key, courses in months.months
    ]
    return Table(
        title=f"{months.name} Kommune {report.year}, måned for måned",
        sheet=f"{months.name} {report.year}",
        columns=columns,
        rows=rows,
        about=(("Kommune", months.name), *_basis(report)),
        stamp=report.as_of.on_date,
        note=_fictitious(report),
    )


def history_entries(
    log: LogReader, house: str, query: HistoryQuery, cap: int = ROW_CAP, chunk: int = HISTORY_CHUNK
) -> tuple[list[HistoryEntry], bool]:
    """Every event the history's filters find, newest first, read a page at a time; at most `cap`
    of them, and whether more were left out. The page's cursors (`before`/`after`) do not apply."""
    entries: list[HistoryEntry] = []
    before: int | None = None
    while True:
        wanted = min(chunk, cap - len(entries))
        found = log.find_history(house, replace(query, before=before, after=None, limit=wanted))
        entries.extend(found.entries)
        if found.older is None:
            return entries, False
        if len(entries) >= cap:
            return entries, True
        before = found.older


def _local(moment: datetime | None, tz: ZoneInfo) -> datetime | None:
    """A stored UTC moment as the business time zone's clock shows it (Excel knows no time zones)."""
    return None if moment is None else utc(moment).astimezone(tz).replace(tzinfo=None)


def history_table(
    entries: Sequence[HistoryEntry],
    truncated: bool,
    filters: Mapping[str, str],
    describe: Callable[[RecordedEvent], str],
    titles: Mapping[str, str],
    tz: ZoneInfo,
    cap: int = ROW_CAP,
    fictitious: str | None = None,
) -> Table:
    """The history with its filters: each event, what it says, who logged it, and its retraction.
    `filters`: the filters as the reader named and typed them ("Kommune": "Lolland"); `describe`
    and `titles`: the page's own words for an event and its type; `fictitious`: a fictitious
    example house's sentence (reports/house.py), said in "Om udtrækket" and after the last row."""
    columns = (
        Column("Nr.", "int", 8),
        Column("Dato", "date", 12),
        Column("Type", width=24),
        Column("Hvad", width=70),
        Column("Kommune", width=16),
        Column("CVR-nummer", width=12),
        Column("Registreret af", width=20),
        Column("Registreret", "datetime", 17),
        Column("Tilbagekaldt", width=12),
        Column("Tilbagekaldt af", width=20),
        Column("Tilbagekaldt den", "datetime", 17),
        Column("Begrundelse", width=40),
    )
    rows: list[tuple[Cell, ...]] = []
    for entry in entries:
        e, r = entry.event, entry.retraction
        rows.append(
            (
                e.position,
                e.occurred_on,
                titles.get(e.type, e.type),
                describe(e),
                getattr(e.data, "municipality", None),
                getattr(e.data, "company_cvr", None),
                e.recorded_by,
                _local(e.recorded_at, tz),
                labels.yes_no(r is not None),
                r.recorded_by if r else None,
                _local(r.recorded_at, tz) if r else None,
                r.reason if r else None,
            )
        )
    cut = f"Kun de nyeste {labels.number(cap)} hændelser er med; indsnævr filtrene for at få resten."
    chosen = "; ".join(f"{name}: {value}" for name, value in filters.items()) or "ingen (hele loggen)"
    newest = _local(entries[0].event.recorded_at, tz) if entries else None
    return Table(
        title="Historik",
        sheet="Historik",
        columns=columns,
        rows=rows,
        about=(
            ("Filtre", chosen),
            ("Hændelser", labels.number(len(rows))),
            ("Højst", f"{labels.number(cap)} hændelser, de nyeste først"),
            ("Afskåret", cut if truncated else "nej"),
            *((("Fiktivt eksempel", fictitious),) if fictitious else ()),
        ),
        stamp=newest.date() if newest else EPOCH,
        note=" ".join(n for n in (cut if truncated else None, fictitious) if n) or None,
    )


def _recipient(row: DispatchRow) -> str:
    """As the reports page names a recipient."""
    return f"Erhvervschef, {row.municipality}" if row.municipality else row.kind.replace("_", " ")


def ledger_table(
    rows: Sequence[DispatchRow],
    states: Mapping[str, str],
    with_email: bool,
    tz: ZoneInfo,
    fictitious: str | None = None,
) -> Table:
    """The dispatch ledger, newest first: what was sent when to whom; the addresses only `with_email`;
    `fictitious`: as for the history."""
    kinds = labels.dispatch_kinds()
    columns = (
        Column("Rapport", width=28),
        Column("Periode", width=16),
        Column("Modtager", width=24),
        *((Column("E-mail", width=32),) if with_email else ()),
        Column("Status", width=12),
        Column("Forsøg", "int", 8),
        Column("Seneste fejl", width=40),
        Column("Oprettet", "datetime", 17),
        Column("Sendt", "datetime", 17),
        Column("Logposition", "int", 12),
        Column("Fingeraftryk (SHA-256)", width=66),
    )
    table_rows: list[tuple[Cell, ...]] = [
        (
            kinds.get(r.kind, r.kind),
            labels.dispatch_period(r.period),
            _recipient(r),
            *((r.email,) if with_email else ()),
            states.get(r.state, r.state),
            r.attempts,
            r.last_error if r.state != "sent" else None,
            _local(r.created_at, tz),
            _local(r.sent_at, tz),
            r.position,
            r.sha256,
        )
        for r in rows
    ]
    moments = [m for r in rows for m in (_local(r.created_at, tz), _local(r.sent_at, tz)) if m is not None]
    return Table(
        title="Udsendte rapporter",
        sheet="Udsendelser",
        columns=columns,
        rows=table_rows,
        about=(
            ("Rækker", labels.number(len(rows))),
            ("Højst", f"{labels.number(ROW_CAP)} rækker, de nyeste først"),
            *((("Fiktivt eksempel", fictitious),) if fictitious else ()),
        ),
        stamp=max(moments).date() if moments else EPOCH,
        note=fictitious,
    )
