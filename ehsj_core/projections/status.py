"""Goal status: each target of a contract judged against one year's facts on a given date. Pure."""

from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Literal

from ehsj_core.contract.model import Contract, Goal, Target
from ehsj_core.projections.facts import YearFacts
from ehsj_core.projections.metrics import METRICS, Value, milestone_reached_on, round_half_up

Status = Literal["met", "met_late", "on_track", "behind", "not_started", "missed"]
STATUS_LABELS: dict[str, str] = {
    "met": "opfyldt",
    "met_late": "opfyldt for sent",
    "on_track": "i rute",
    "behind": "bagud",
    "not_started": "ikke startet",
    "missed": "ikke opfyldt",
}
UNITS = {"rate": "%", "score": "NPS", "max_deviation": "procentpoint"}


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

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GoalStatus:
    id: str
    title: str
    national: bool
    targets: tuple[TargetStatus, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "national": self.national,
            "targets": [t.as_dict() for t in self.targets],
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
    target: Target, goal: Goal, facts: YearFacts, contract: Contract, on_date: date, until: str | None = None
) -> TargetStatus:
    """Judge one target on `on_date`; `until` ("YYYY-MM") leaves out what occurred after that month."""
    year = contract.year
    before = on_date < date(year, 1, 1)
    over = on_date > date(year, 12, 31)
    fraction = year_fraction(year, on_date)
    actual: Value = None
    reached_on: str | None = None
    expected: float | None = None
    fulfilment: int | None = None

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
        if target.kind in ("count", "range"):
            goal_min = target.target if target.kind == "count" else target.target_min
            assert goal_min is not None and actual is not None
            expected = round_half_up(goal_min * fraction, 1)
            status = _count_status(target, float(actual), expected, before, over)
        else:
            assert target.target is not None
            if actual is None:
                status = "missed" if over else "not_started"
            else:
                good = actual <= target.target if target.kind == "max_deviation" else actual >= target.target
                status = ("met" if over else "on_track") if good else ("missed" if over else "behind")
            if target.steps:
                fulfilment = (
                    0
                    if actual is None
                    else max((s.fulfilment_pct for s in target.steps if actual >= s.at_least), default=0)
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
    )


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


def goal_statuses(contract: Contract, facts: YearFacts, on_date: date, until: str | None = None) -> list[GoalStatus]:
    return [
        GoalStatus(
            id=goal.id,
            title=goal.title,
            national=goal.national,
            targets=tuple(target_status(t, goal, facts, contract, on_date, until) for t in goal.targets),
        )
        for goal in contract.goals
    ]
