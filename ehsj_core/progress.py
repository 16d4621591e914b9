"""Month by month: how a goal's targets and a municipality's courses grew through the year.

Built from the same status and figures as everything else (`Tracker.status(until=…)` and
`Tracker.municipalities(months=…)`), so a chart can never disagree with the table beside it.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime

from ehsj_core.projections.metrics import Value
from ehsj_core.tracker import Tracker

AsOfInput = str | int | datetime | None


@dataclass(frozen=True)
class TargetMonths:
    """A target's figure at the end of each month of the year so far (cumulative, as the contract counts)."""

    key: str
    kind: str
    label: str
    target: float | None
    months: tuple[tuple[str, Value], ...]  # ("2019-01", actual at the end of January), …


@dataclass(frozen=True)
class MunicipalityMonths:
    """A municipality's courses logged in each month of the year so far, per course type."""

    name: str
    months: tuple[tuple[str, dict[str, int]], ...]


def months_so_far(year: int, on_date: date) -> list[date]:
    """The last day of every month of `year` that had begun by `on_date`."""
    if on_date < date(year, 1, 1):
        return []
    last = 12 if on_date.year > year else on_date.month
    return [date(year, m, calendar.monthrange(year, m)[1]) for m in range(1, last + 1)]


def goal_months(tracker: Tracker, goal_id: str, year: int | None = None, as_of: AsOfInput = None) -> list[TargetMonths]:
    report, goal = tracker.goal(goal_id, year, as_of)
    series: dict[str, list[tuple[str, Value]]] = {t.key: [] for t in goal.targets}
    for month_end in months_so_far(report.year, report.as_of.on_date):
        at_month_end = tracker.status(report.year, as_of, until=month_end)
        for t in next(g for g in at_month_end.goals if g.id == goal.id).targets:
            series[t.key].append((month_end.isoformat()[:7], t.actual))
    return [
        TargetMonths(t.key, t.kind, t.label, t.target if t.target is not None else t.target_min, tuple(series[t.key]))
        for t in goal.targets
    ]


def municipality_months(tracker: Tracker, name: str, year: int | None = None, as_of: AsOfInput = None) -> MunicipalityMonths:
    report = tracker.municipalities(year, as_of)
    on_date = tracker.resolve_as_of(as_of).on_date
    months: list[tuple[str, dict[str, int]]] = []
    for month_end in months_so_far(report.year, on_date):
        key = month_end.isoformat()[:7]
        figures = tracker.municipalities(report.year, as_of, months={key}).municipalities
        found = next(m for m in figures if m.name == name)
        months.append((key, dict(found.courses)))
    return MunicipalityMonths(name, tuple(months))
