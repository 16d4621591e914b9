"""The report kinds, in one place: one entry per kind, read by dispatch, rendering, the API, the CLI
and the Celery tasks.

    spec = kinds.get("quarterly_status")
    spec.resolve("2019Q3")                       # the period (or a week's Monday)
    spec.build(source, BuildRequest(period, position, municipality="Lolland"))
    spec.template, spec.role, spec.calendar, spec.label

`source` is what the data builders read from: a `ReportSource` (the facts at a log position, the
log itself, and the final statement at a position), which a Tracker is. Every call of a data builder
is in this module, once per kind, in the `_build_*` functions below.

Two kinds take periods beside the calendar's (periods.py): the annual status also for one request of
KKR's (`on_request`: "2019-k3j5h2m4x9q"), and the final statement per close of the year
(`built_at_close`: "2019", "2019-2" …), which is built at the close's log position.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, Protocol, get_args

from ehsj_core.audit.statement import FinalStatement
from ehsj_core.events.reader import LogReader
from ehsj_core.events.validation import InvalidInput, Problem
from ehsj_core.houses import HouseBook
from ehsj_core.projections.moment import FactsAt
from ehsj_core.reports.agreements import read_agreements
from ehsj_core.reports.consultant import ConsultantReminder, build_consultant_reminder
from ehsj_core.reports.data import (
    AnnualStatus,
    FailedDispatch,
    HalfYearReport,
    QuarterlyStatus,
    Reminder,
    build_annual,
    build_half_year,
    build_quarterly,
    build_reminder,
)
from ehsj_core.reports.periods import Period, is_request_period, parse_closing_period, parse_period

KindName = Literal[
    "quarterly_status", "half_year_report", "annual_status", "final_statement", "reminder", "consultant_reminder"
]
PeriodKind = Literal["quarter", "half_year", "year", "week"]
REMINDERS = "reminders"  # the calendar entry of the weekly reminders (calendar.reminders)


class ReportSource(Protocol):
    """What the builders read: the facts at a position (for a contract year), the log, and the house
    file (the KKR and the other words reports take from it, reports/house.py)."""

    log: LogReader
    houses: HouseBook

    def facts_at(self, year: int | None, as_of: str | int | None) -> FactsAt: ...

    def statement(self, year: int, as_of: str | int | None = None) -> FinalStatement: ...


@dataclass(frozen=True)
class BuildRequest:
    """What one report is built for: its period, the log position, and — by kind — the chief's
    municipality, the recipient's name, or the failed dispatches the director's reminder lists."""

    period: Period | date
    position: int
    municipality: str | None = None
    recipient_name: str | None = None
    failed: Callable[[], Sequence[FailedDispatch]] = field(default=lambda: ())
    key: str = ""  # the period as the ledger names it ("2019", "2019-k3j5h2m4x9q", "2019-2")


@dataclass(frozen=True)
class ReportKind:
    name: KindName
    label: str  # the Danish title ("Kvartalsstatus")
    # who reads it, in Danish: "{kkr}" and "{municipalities}" are the house file's words (audience_for)
    audience: str
    role: str  # the recipients' role (recipients.RECIPIENT_ROLES)
    period: PeriodKind
    calendar: str  # the contract calendar's entry: a `calendar.reports` kind, or REMINDERS
    template: str  # templates/<template>.html and .txt
    data_type: type  # what `build` returns
    build: Callable[[ReportSource, BuildRequest], Any]
    per_municipality: bool = False  # one report per chief's municipality
    per_recipient: bool = False  # built for each recipient by name (the consultant's own courses)
    only_when_open: bool = False  # no e-mail when the report says nothing (`is_empty`)
    on_request: bool = False  # also sent when asked for, one ledger period per request
    built_at_close: bool = False  # sent per close of the year, built at the close's position

    def audience_for(self, kkr: str, municipalities: int) -> str:
        """Who reads it, in the house's words: "KKR Sjælland", "erhvervscheferne i de 17 kommuner"."""
        return self.audience.format(kkr=kkr, municipalities=municipalities)

    def resolve(self, period: str) -> Period | date:
        """The period a key names: "2019Q3", "2019H1", "2019", or an ISO week ("2026-W48" → its Monday);
        for a kind `on_request` also a request's period, for one `built_at_close` also "2019-2" …"""
        if self.on_request and isinstance(period, str) and is_request_period(period):
            return Period("year", int(period[:4]))
        if self.built_at_close:
            return Period("year", parse_closing_period(period)[0])
        if self.period == "week":
            try:
                year, week = period.split("-W")
                return date.fromisocalendar(int(year), int(week), 1)
            except ValueError:
                raise InvalidInput([Problem("period", period, "skal være en ISO-uge, fx 2026-W48")]) from None
        return parse_period(period, self.period)


# --- the one call of each data builder -------------------------------------------------------------
def _period(request: BuildRequest) -> Period:
    assert isinstance(request.period, Period)
    return request.period


def _day(request: BuildRequest) -> date:
    assert isinstance(request.period, date) and not isinstance(request.period, Period)
    return request.period


def _build_quarterly(source: ReportSource, request: BuildRequest) -> QuarterlyStatus:
    if not request.municipality:
        raise InvalidInput([Problem("municipality", request.municipality, "kvartalsrapporten skrives til én kommune")])
    period = _period(request)
    moment = source.facts_at(period.year, request.position)
    return build_quarterly(moment, period, request.municipality, source.houses)


def _build_half_year(source: ReportSource, request: BuildRequest) -> HalfYearReport:
    period = _period(request)
    moment = source.facts_at(period.year, request.position)
    house = moment.contract.contract.house
    agreements = read_agreements(source.log, house, period.year, request.position, until=period.end)
    return build_half_year(moment, period, agreements, source.houses)


def _build_annual(source: ReportSource, request: BuildRequest) -> AnnualStatus:
    year = _period(request).year
    moment = source.facts_at(year, request.position)
    agreements = read_agreements(source.log, moment.contract.contract.house, year, request.position)
    return build_annual(moment, agreements, on_request=is_request_period(request.key), houses=source.houses)


def _build_final_statement(source: ReportSource, request: BuildRequest) -> FinalStatement:
    """The final statement as `ehsj statement YEAR --as-of POSITION` builds it (the tracker's)."""
    return source.statement(_period(request).year, request.position)


def _build_reminder(source: ReportSource, request: BuildRequest) -> Reminder:
    day = _day(request)
    return build_reminder(source.facts_at(day.year, request.position), day, list(request.failed()), source.houses)


def _build_consultant_reminder(source: ReportSource, request: BuildRequest) -> ConsultantReminder:
    if not request.recipient_name:
        raise InvalidInput(
            [Problem("consultant", request.recipient_name, "påmindelsen bygges til én navngiven forretningsudvikler")]
        )
    day = _day(request)
    return build_consultant_reminder(
        source.facts_at(day.year, request.position), source.log, request.recipient_name, day, source.houses
    )


KINDS: dict[str, ReportKind] = {
    k.name: k
    for k in (
        ReportKind(
            "quarterly_status",
            "Kvartalsstatus",
            "erhvervscheferne i de {municipalities} kommuner",
            "chief",
            "quarter",
            "quarterly_status",
            "quarterly_status",
            QuarterlyStatus,
            _build_quarterly,
            per_municipality=True,
        ),
        ReportKind(
            "half_year_report",
            "Halvårsrapport",
            "kommunaldirektørkredsen K17",
            "k17",
            "half_year",
            "half_year_report",
            "half_year_report",
            HalfYearReport,
            _build_half_year,
        ),
        ReportKind(
            "annual_status",
            "Årsstatus",
            "{kkr}",
            "kkr",
            "year",
            "annual_status",
            "annual_status",
            AnnualStatus,
            _build_annual,
            on_request=True,
        ),
        ReportKind(
            "final_statement",
            "Endelig resultatopgørelse",
            "{kkr}",
            "kkr",
            "year",
            "final_statement",
            "final_statement",
            FinalStatement,
            _build_final_statement,
            built_at_close=True,
        ),
        ReportKind(
            "reminder",
            "Påmindelse",
            "direktøren",
            "director",
            "week",
            REMINDERS,
            "reminder",
            Reminder,
            _build_reminder,
            only_when_open=True,
        ),
        ReportKind(
            "consultant_reminder",
            "Påmindelse",
            "forretningsudvikleren",
            "consultant",
            "week",
            REMINDERS,
            "consultant_reminder",
            ConsultantReminder,
            _build_consultant_reminder,
            per_recipient=True,
            only_when_open=True,
        ),
    )
}
NAMES: tuple[KindName, ...] = get_args(KindName)
_BY_TYPE = {k.data_type: k for k in KINDS.values()}


def get(name: str) -> ReportKind:
    """The kind of a name; an unknown name is the caller's input error."""
    spec = KINDS.get(name)
    if spec is None:
        raise InvalidInput([Problem("kind", name, "ukendt rapporttype", list(KINDS))])
    return spec


def of_report(report: object) -> ReportKind:
    """The kind of a built report (by its data type)."""
    return _BY_TYPE[type(report)]


def on_calendar(entry: str) -> list[ReportKind]:
    """The kinds a calendar entry sends: a `calendar.reports` kind, or REMINDERS (director and consultants)."""
    return [k for k in KINDS.values() if k.calendar == entry]
