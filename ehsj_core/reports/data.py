"""Reports as data: each built from the projection at a stated log position, so that it can be built
again, exactly, from that position later (the dispatch ledger stores the position and the digest).

Builders are handed the facts at that position (`moment.FactsAt`, resolved by the composition root)
and compute every status and figure from them; nothing here reads the log or the clock. A report's
`as_dict()` is JSON-able and deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from typing import Any

from ehsj_core.events.validation import InvalidInput, Problem
from ehsj_core.houses import HouseBook
from ehsj_core.projections.forecast import Forecast, elapsed
from ehsj_core.projections.metrics import Value, round_half_up
from ehsj_core.projections.moment import FactsAt, StatusReport
from ehsj_core.projections.municipalities import MunicipalityFigures
from ehsj_core.projections.status import GoalStatus, TargetStatus
from ehsj_core.reports import memo
from ehsj_core.reports.agreements import Agreement
from ehsj_core.reports.house import PRESENTATION, words_for
from ehsj_core.reports.periods import Period, period_of

PACE_KINDS = ("count", "range")  # targets with a pace (expected_by_now)
RATE_KINDS = ("rate", "score")  # evaluation and referral figures
LOCAL_MEETING_KIND = "local_business_service"


@dataclass(frozen=True)
class Basis:
    """What every report was built from: the contract, the log position and the day judged on."""

    house_name: str
    contract_title: str
    contract_sha256: str
    year: int
    position: int
    judged_on: date
    course_types: tuple[tuple[str, str], ...]  # key, Danish name, in contract order
    # From the house file (reports/house.py), not data: left out of as_dict()
    kkr: str = field(default="KKR", metadata=PRESENTATION)
    municipality_count: int = field(default=0, metadata=PRESENTATION)
    fictitious: bool = field(default=False, metadata=PRESENTATION)


@dataclass(frozen=True)
class TargetRef:
    """One target picked out of the status (behind pace, changed, …), with what the reader needs."""

    goal_id: str
    key: str
    label: str
    kind: str
    status: str
    actual: Value
    target: float | None
    target_min: float | None  # a range target (1–3) has these instead of `target`
    target_max: float | None
    expected_by_now: float | None
    unit: str | None
    forecast: Forecast | None = None  # where the year will end (projections/forecast.py)


@dataclass(frozen=True)
class MunicipalityOutlook:
    """The chief's municipality at the year end, if the year goes on as it has (the year's own rate,
    forecast.elapsed): its specialised courses against its share of the population."""

    specialised_so_far: int
    expected_year_end: float  # the municipality's specialised courses by 31 December
    expected_total: float  # … of all 17
    population_share_pct: float
    expected_share_pct: float | None
    short_of_share: float  # courses more than expected the municipality needs to reach its share (≥ 0)


def municipality_outlook(figures: MunicipalityFigures, total_so_far: int, year: int, on: date) -> MunicipalityOutlook:
    share = elapsed(year, on)
    scale = 1 / share if share > 0 else 0.0
    mine, everyone = figures.specialised_courses * scale, total_so_far * scale
    expected_share = None if everyone == 0 else round_half_up(100 * mine / everyone, 1)
    short = max(0.0, everyone * figures.population_share_pct / 100 - mine)
    return MunicipalityOutlook(
        figures.specialised_courses,
        round_half_up(mine, 1),
        round_half_up(everyone, 1),
        figures.population_share_pct,
        expected_share,
        round_half_up(short, 1),
    )


@dataclass(frozen=True)
class Change:
    """A target whose figure or status moved since the end of the previous period."""

    goal_id: str
    key: str
    label: str
    kind: str
    unit: str | None
    actual_before: Value
    actual: Value
    status_before: str
    status: str


@dataclass(frozen=True)
class QuarterlyStatus:
    """For the business chief of one municipality: the overall status and the municipality's own."""

    basis: Basis
    period: Period
    municipality: str
    goals: tuple[GoalStatus, ...]
    quarter: MunicipalityFigures  # the municipality's figures in the quarter
    year_to_date: MunicipalityFigures  # … from 1 January to the end of the quarter
    deviation_limit_pp: float | None  # the geography target of the contract (5B)
    previous: Period | None
    changes: tuple[Change, ...]  # empty for the first quarter
    outlook: MunicipalityOutlook | None = None  # the municipality at the year end
    # The municipality's figures in each month from January to the end of the quarter ("2019-01", …):
    # the months sheet of the chief's workbook (xlsx.chief_workbook_bytes).
    months: tuple[tuple[str, MunicipalityFigures], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"kind": "quarterly_status", **to_json(self)}


@dataclass(frozen=True)
class HalfYearReport:
    """For K17: every goal, the 17 municipalities side by side (year to date), what is behind, and
    the agreements with local actors signed by the end of the half-year."""

    basis: Basis
    period: Period
    goals: tuple[GoalStatus, ...]
    municipalities: tuple[MunicipalityFigures, ...]
    deviation_limit_pp: float | None
    behind: tuple[TargetRef, ...]  # status "behind" or "missed"
    agreements: tuple[Agreement, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"kind": "half_year_report", **to_json(self)}


@dataclass(frozen=True)
class GoalFulfilment:
    goal_id: str
    title: str
    met: int  # targets met (on time or late)
    total: int


@dataclass(frozen=True)
class AnnualStatus:
    """For KKR: every goal with its fulfilment, the municipalities side by side, and the year's
    agreements with local actors (goal 5A). `on_request`: sent because KKR asked for it (seed L218–219:
    "1 gang årligt, eller når KKR Sjælland i øvrigt anmoder om det"), not on the calendar."""

    basis: Basis
    period: Period
    goals: tuple[GoalStatus, ...]
    fulfilment: tuple[GoalFulfilment, ...]
    municipalities: tuple[MunicipalityFigures, ...]
    deviation_limit_pp: float | None
    agreements: tuple[Agreement, ...] = ()
    on_request: bool = False

    @property
    def targets_met(self) -> int:
        return sum(f.met for f in self.fulfilment)

    @property
    def targets_total(self) -> int:
        return sum(f.total for f in self.fulfilment)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": "annual_status",
            **to_json(self),
            "targets_met": self.targets_met,
            "targets_total": self.targets_total,
        }


@dataclass(frozen=True)
class FailedDispatch:
    """A report the dispatch ledger gave up sending."""

    kind: str
    period: str
    recipient: str
    last_error: str


@dataclass(frozen=True)
class MilestoneAlert:
    goal_id: str
    key: str
    label: str
    deadline: date
    days_left: int  # negative once the deadline has passed


@dataclass(frozen=True)
class Reminder:
    """For the director: what needs attention on `basis.judged_on`."""

    basis: Basis
    on_date: date
    behind_pace: tuple[TargetRef, ...]  # count targets below their pace
    milestones: tuple[MilestoneAlert, ...]  # deadline near, or passed unmet
    quarter_without_local_meeting: Period | None  # no meeting with the local actors yet
    local_meeting_label: str | None
    trailing_rates: tuple[TargetRef, ...]  # evaluation and referral figures below target
    failed_dispatches: tuple[FailedDispatch, ...]
    expected_to_miss: tuple[TargetRef, ...] = ()  # the forecast says the year will end short: first

    @property
    def is_empty(self) -> bool:
        return self.attention_count == 0

    @property
    def attention_count(self) -> int:
        """How many things need attention (a quarter without a local meeting counts as one)."""
        lists = (self.expected_to_miss, self.behind_pace, self.milestones, self.trailing_rates, self.failed_dispatches)
        return sum(map(len, lists)) + (self.quarter_without_local_meeting is not None)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": "reminder", **to_json(self), "is_empty": self.is_empty}


Report = QuarterlyStatus | HalfYearReport | AnnualStatus | Reminder


def to_json(value: Any) -> Any:
    """Report data as JSON-able values: dataclasses as dicts (field order), dates as ISO text."""
    if isinstance(value, Period):
        return value.as_dict()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in fields(value) if not f.metadata.get("presentation")}
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


# --- builders ----------------------------------------------------------------------------------------
def build_quarterly(
    moment: FactsAt, period: Period, municipality: str, houses: HouseBook | None = None
) -> QuarterlyStatus:
    _expect(moment, period, "quarter")
    contract = moment.contract.contract
    name = contract.canonical_municipality(municipality)
    if name is None:
        names = [m.name for m in contract.municipalities]
        raise InvalidInput([Problem("municipality", municipality, "ukendt kommune", names)])
    at = moment.at
    key = ("quarter", moment.contract.sha256, contract.year, at.position, at.on_date, at.label, period)
    shared = memo.once(moment.facts, key, lambda: _quarter_of_all(moment, period))
    status, to_date = shared.status, shared.to_date
    return QuarterlyStatus(
        basis=basis_of(status, houses),
        period=period,
        municipality=name,
        goals=tuple(status.goals),
        quarter=shared.quarter[name],
        year_to_date=to_date[name],
        deviation_limit_pp=_deviation_limit(status),
        previous=period.previous(),
        changes=shared.changes,
        outlook=municipality_outlook(
            to_date[name], sum(m.specialised_courses for m in to_date.values()), contract.year, status.as_of.on_date
        ),
        months=tuple((month, figures[name]) for month, figures in shared.months),
    )


@dataclass(frozen=True)
class _QuarterOfAll:
    """What every chief's report of a quarter reads: the same for all 17 (memo.once keeps it)."""

    status: StatusReport
    changes: tuple[Change, ...]
    quarter: dict[str, MunicipalityFigures]
    to_date: dict[str, MunicipalityFigures]
    months: tuple[tuple[str, dict[str, MunicipalityFigures]], ...]


def _quarter_of_all(moment: FactsAt, period: Period) -> _QuarterOfAll:
    status = moment.status(until=period.end)
    previous = period.previous()
    changes = () if previous is None else _changes(moment.status(until=previous.end), status)
    return _QuarterOfAll(
        status,
        changes,
        _figures(moment, period.months),
        _figures(moment, period.months_to_date),
        tuple((month, _figures(moment, (month,))) for month in period.months_to_date),
    )


def build_half_year(
    moment: FactsAt, period: Period, agreements: tuple[Agreement, ...] = (), houses: HouseBook | None = None
) -> HalfYearReport:
    _expect(moment, period, "half_year")
    status = moment.status(until=period.end)
    figures = _figures(moment, period.months_to_date)
    return HalfYearReport(
        basis=basis_of(status, houses),
        period=period,
        goals=tuple(status.goals),
        municipalities=tuple(figures.values()),
        deviation_limit_pp=_deviation_limit(status),
        behind=tuple(_ref(g, t) for g, t in _targets(status) if t.status in ("behind", "missed")),
        agreements=agreements,
    )


def build_annual(
    moment: FactsAt,
    agreements: tuple[Agreement, ...] = (),
    on_request: bool = False,
    houses: HouseBook | None = None,
) -> AnnualStatus:
    period = Period("year", moment.year)
    status = moment.status(until=period.end)
    figures = _figures(moment, period.months)
    fulfilment = tuple(
        GoalFulfilment(g.id, g.title, sum(t.status in ("met", "met_late") for t in g.targets), len(g.targets))
        for g in status.goals
    )
    return AnnualStatus(
        basis=basis_of(status, houses),
        period=period,
        goals=tuple(status.goals),
        fulfilment=fulfilment,
        municipalities=tuple(figures.values()),
        deviation_limit_pp=_deviation_limit(status),
        agreements=agreements,
        on_request=on_request,
    )


def build_reminder(
    moment: FactsAt, on_date: date, failed_dispatches: list[FailedDispatch], houses: HouseBook | None = None
) -> Reminder:
    """Judged on `on_date` (or the day the moment's position was recorded, if earlier), with the facts
    of `on_date`'s year. Statuses cut off at month ends, so what occurred later in `on_date`'s month
    counts too — for the weekly reminder of today at the head of the log, nothing can have occurred later."""
    status = moment.status(until=on_date)
    contract = status.contract.contract
    judged_on = status.as_of.on_date
    warning = contract.calendar.reminders.deadline_warning_days
    targets = _targets(status)
    missing = tuple(_ref(g, t) for g, t in targets if t.forecast is not None and t.forecast.word == "expected_missed")
    behind = tuple(_ref(g, t) for g, t in targets if t.kind in PACE_KINDS and t.status == "behind")
    rates = tuple(_ref(g, t) for g, t in targets if t.kind in RATE_KINDS and t.status == "behind")
    alerts = tuple(
        MilestoneAlert(g.id, t.key, t.label, deadline, (deadline - judged_on).days)
        for g, t in targets
        if t.kind == "milestone"
        and t.deadline
        and t.reached_on is None
        and ((deadline := date.fromisoformat(t.deadline)) - judged_on).days <= warning
    )
    quarter, label = _quarter_without_local_meeting(moment, status, judged_on)
    return Reminder(
        basis=basis_of(status, houses),
        on_date=on_date,
        behind_pace=behind,
        milestones=alerts,
        quarter_without_local_meeting=quarter,
        local_meeting_label=label,
        trailing_rates=rates,
        failed_dispatches=tuple(failed_dispatches),
        expected_to_miss=missing,
    )


# --- helpers -----------------------------------------------------------------------------------------
def _expect(moment: FactsAt, period: Period, kind: str) -> None:
    if period.kind != kind:
        raise InvalidInput([Problem("period", period.key, f"rapporten dækker en periode af typen {kind}", [kind])])
    if period.year != moment.year:
        raise InvalidInput([Problem("period", period.key, f"faktaene gælder kontraktåret {moment.year}")])


def basis_of(status: StatusReport, houses: HouseBook | None = None) -> Basis:
    """`houses`: the installation's house file (`Tracker.houses`); without it the packaged one."""
    c = status.contract.contract
    words = words_for(c, houses)
    return Basis(
        house_name=c.house_name,
        contract_title=c.title,
        contract_sha256=status.contract.sha256,
        year=status.year,
        position=status.as_of.position,
        judged_on=status.as_of.on_date,
        course_types=tuple((ct.key, ct.name) for ct in c.course_types),
        kkr=words.kkr,
        municipality_count=words.municipalities,
        fictitious=words.fictitious,
    )


def _figures(moment: FactsAt, months: tuple[str, ...]) -> dict[str, MunicipalityFigures]:
    report = moment.municipalities(set(months))
    return {m.name: m for m in report.municipalities}


def _targets(status: StatusReport) -> list[tuple[GoalStatus, TargetStatus]]:
    return [(g, t) for g in status.goals for t in g.targets]


def _ref(goal: GoalStatus, t: TargetStatus) -> TargetRef:
    return TargetRef(
        goal.id,
        t.key,
        t.label,
        t.kind,
        t.status,
        t.actual,
        t.target,
        t.target_min,
        t.target_max,
        t.expected_by_now,
        t.unit,
        t.forecast,
    )


def _changes(before: StatusReport, now: StatusReport) -> tuple[Change, ...]:
    old = {(g.id, t.key): t for g, t in _targets(before)}
    out = []
    for goal, t in _targets(now):
        prior = old[(goal.id, t.key)]
        if prior.actual != t.actual or prior.status != t.status:
            out.append(Change(goal.id, t.key, t.label, t.kind, t.unit, prior.actual, t.actual, prior.status, t.status))
    return tuple(out)


def _deviation_limit(status: StatusReport) -> float | None:
    goals = status.contract.contract.goals
    return next((t.target for g in goals for t in g.targets if t.metric == "geographic_deviation"), None)


def _quarter_without_local_meeting(
    moment: FactsAt, status: StatusReport, judged_on: date
) -> tuple[Period | None, str | None]:
    """The quarter of `judged_on`, if no meeting with the local actors has occurred in it yet."""
    found = [
        (g.id, t)
        for g in status.contract.contract.goals
        for t in g.targets
        if t.metric == "meetings" and LOCAL_MEETING_KIND in t.params.meeting_kinds
    ]
    if not found or judged_on.year != status.year:
        return None, None
    goal_id, target = found[0]

    def held(report: StatusReport) -> float:
        return float(next(t.actual or 0 for g, t in _targets(report) if g.id == goal_id and t.key == target.key))

    quarter = period_of("quarter", judged_on)
    previous = quarter.previous()
    before = 0.0 if previous is None else held(moment.status(until=previous.end))
    return (quarter if held(status) <= before else None), target.label
