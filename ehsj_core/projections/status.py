"""Goal status: each target of a contract judged against one year's facts on a given date. Pure."""

from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass
from datetime import date
from fractions import Fraction
from typing import Any, Literal

from ehsj_core.contract.model import GOAL_CATEGORIES, Contract, Goal, Target
from ehsj_core.projections.facts import YearFacts
from ehsj_core.projections.forecast import Forecast, History, forecast_target
from ehsj_core.projections.metrics import (
    METRICS,
    EffectParts,
    GrowthComparison,
    OfficialFigure,
    UnmatchedAnswer,
    Value,
    effect_parts,
    growth_comparison,
    milestone_reached_on,
    official_figure,
    round_half_up,
    unmatched_answers,
)

Status = Literal["met", "met_late", "on_track", "behind", "not_started", "missed", "awaiting"]
STATUS_LABELS: dict[str, str] = {
    "met": "opfyldt",
    "met_late": "opfyldt for sent",
    "on_track": "i rute",
    "behind": "bagud",
    "not_started": "ikke startet",
    "missed": "ikke opfyldt",
    "awaiting": "afventer måling",
}
UNITS = {"rate": "%", "score": "NPS", "max_deviation": "procentpoint", "growth_vs_control": "procentpoint"}
GROWTH_RULES = {
    "points": "kundernes vækst minus kontrolgruppens vækst, i procentpoint",
    "relative": "forskellen i vækst som andel af kontrolgruppens vækst, i procent",
}


@dataclass(frozen=True)
class TargetStatus:
    key: str
    kind: str
    label: str
    actual: Value
    target: float | None
    target_min: float | None
    target_max: float | None
    unit: str | None
    status: Status
    status_label: str
    fulfilment_pct: int | None
    expected_by_now: float | None
    deadline: str | None
    reached_on: str | None
    note: str | None
    # Erhvervsstyrelsen's own figure, when one is recorded: it decides status and fulfilment, and
    # `actual` stays the house's own figure beside it; `difference` = official − own.
    official: OfficialFigure | None = None
    difference: float | None = None
    effect_parts: EffectParts | None = None  # effect targets: "høj" and "middel påvirkning"
    growth: GrowthComparison | None = None  # growth against the control group (goal 2)
    forecast: Forecast | None = None  # where the year will end (forecast.py); None: not forecast

    @property
    def decided_by(self) -> str:
        return "official" if self.official is not None else "own"

    def as_dict(self) -> dict[str, Any]:
        out = {**asdict(self), "decided_by": self.decided_by}
        if self.forecast is not None:
            out["forecast"]["word_label"] = self.forecast.word_label
        return out


@dataclass(frozen=True)
class GoalStatus:
    id: str
    title: str
    category: str
    targets: tuple[TargetStatus, ...]
    fulfilment_pct: int | None = None  # the goal as a whole, where the contract says how (goal 6)
    fulfilment_note: str | None = None
    unmatched: tuple[UnmatchedAnswer, ...] = ()  # answers of the goal's course types without a course

    @property
    def national(self) -> bool:
        return self.category == "national"

    @property
    def category_label(self) -> str:
        return GOAL_CATEGORIES[self.category]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "national": self.national,
            "category": self.category,
            "category_label": self.category_label,
            "fulfilment_pct": self.fulfilment_pct,
            "fulfilment_note": self.fulfilment_note,
            "targets": [t.as_dict() for t in self.targets],
            "unmatched_evaluations": [asdict(u) for u in self.unmatched],
        }


def year_fraction(year: int, on_date: date) -> float:
    """Share of the year elapsed by the end of `on_date` (0 before the year, 1 after it)."""
    if on_date < date(year, 1, 1):
        return 0.0
    if on_date > date(year, 12, 31):
        return 1.0
    days = 366 if calendar.isleap(year) else 365
    return (on_date - date(year, 1, 1)).days / days + 1 / days


def _number(value: float | None) -> float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def target_status(
    target: Target,
    goal: Goal,
    facts: YearFacts,
    contract: Contract,
    on_date: date,
    until: str | None = None,
    history: History = (),
) -> TargetStatus:
    """Judge one target on `on_date`; `until` ("YYYY-MM") leaves out what occurred after that month;
    `history`: the earlier contract years of the house, whose pattern the forecast follows."""
    year = contract.year
    before = on_date < date(year, 1, 1)
    over = on_date > date(year, 12, 31)
    fraction = year_fraction(year, on_date)
    actual: Value = None
    reached_on: str | None = None
    expected: float | None = None
    fulfilment: int | None = None
    official = official_figure(facts, f"{goal.id}.{target.key}", until)

    if target.kind == "milestone":
        reached_on = milestone_reached_on(facts, f"{goal.id}.{target.key}", until)
        deadline = target.deadline.isoformat() if target.deadline else None
        if reached_on is not None:
            status: Status = "met_late" if deadline and reached_on > deadline else "met"
        elif over:
            status = "missed"
        elif target.deadline and on_date > target.deadline:
            status = "behind"
        else:
            status = "not_started"
        actual = 1 if reached_on else 0
    else:
        actual = METRICS[target.metric](facts, target.params, contract, until)
        decisive: Value = official.value if official is not None else actual
        if target.kind in ("count", "range"):
            goal_min = target.target if target.kind == "count" else target.target_min
            assert goal_min is not None and decisive is not None
            expected = round_half_up(goal_min * fraction, 1)
            status = _count_status(target, float(decisive), expected, before, over)
        else:
            assert target.target is not None
            if decisive is None:
                waiting = target.kind == "growth_vs_control"  # measured years later, by Erhvervsstyrelsen
                status = "awaiting" if waiting else "missed" if over else "not_started"
            else:
                good = decisive <= target.target if target.kind == "max_deviation" else decisive >= target.target
                final = over or official is not None or target.kind == "growth_vs_control"
                status = ("met" if final else "on_track") if good else ("missed" if final else "behind")
            if target.steps:
                fulfilment = (
                    0
                    if decisive is None
                    else max((s.fulfilment_pct for s in target.steps if decisive >= s.at_least), default=0)
                )

    return TargetStatus(
        key=target.key,
        kind=target.kind,
        label=target.label,
        actual=actual,
        target=_number(target.target),
        target_min=_number(target.target_min),
        target_max=_number(target.target_max),
        unit=UNITS.get(target.kind),
        status=status,
        status_label=STATUS_LABELS[status],
        fulfilment_pct=fulfilment,
        expected_by_now=expected,
        deadline=target.deadline.isoformat() if target.deadline else None,
        reached_on=reached_on,
        note=target.note,
        official=official,
        difference=_difference(official, actual),
        effect_parts=(
            effect_parts(facts, target.params, contract, until)
            if target.metric == "evaluation_rate" and target.params.question == "effect"
            else None
        ),
        growth=(
            growth_comparison(facts, target.params.measure, contract, until)
            if target.params.measure is not None
            else None
        ),
        # Erhvervsstyrelsen's figure is the year's: nothing is left to forecast
        forecast=None
        if official is not None
        else forecast_target(target, facts, actual, contract, on_date, until, history),
    )


def _difference(official: OfficialFigure | None, own: Value) -> float | None:
    if official is None or own is None:
        return None
    return round_half_up(Fraction(str(official.value)) - Fraction(str(own)), 2)


def _count_status(target: Target, actual: float, expected: float, before: bool, over: bool) -> Status:
    if target.kind == "range":
        assert target.target_min is not None and target.target_max is not None
        if target.target_min <= actual <= target.target_max:
            return "met"
        if over:
            return "missed"
        if actual > target.target_max:
            return "behind"
    else:
        assert target.target is not None
        if actual >= target.target:
            return "met"
        if over:
            return "missed"
    if before or (actual == 0 and expected == 0):
        return "not_started"  # nothing counted and nothing due yet
    return "behind" if actual < expected else "on_track"


def goal_statuses(
    contract: Contract, facts: YearFacts, on_date: date, until: str | None = None, history: History = ()
) -> list[GoalStatus]:
    unmatched = unmatched_answers(facts, until) if contract.rules.evaluations == "per_company_in_course_year" else []
    out = []
    for goal in contract.goals:
        targets = tuple(target_status(t, goal, facts, contract, on_date, until, history) for t in goal.targets)
        evaluated = {ct for t in goal.targets if t.metric in ("evaluation_rate", "nps") for ct in t.params.course_types}
        out.append(
            GoalStatus(
                id=goal.id,
                title=goal.title,
                category=goal.category,
                targets=targets,
                fulfilment_pct=_goal_fulfilment(goal, targets),
                fulfilment_note=goal.fulfilment_note,
                unmatched=tuple(u for u in unmatched if u.course_type in evaluated),
            )
        )
    return out


def _goal_fulfilment(goal: Goal, targets: tuple[TargetStatus, ...]) -> int | None:
    """ "all_targets": 100 % when every target is met (in time or late), else 0 %."""
    if goal.fulfilment != "all_targets":
        return None
    return 100 if all(t.status in ("met", "met_late") for t in targets) else 0
