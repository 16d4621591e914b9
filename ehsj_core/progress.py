"""Month by month: how a goal's targets and a municipality's courses grew through the year.

Built from the same facts and rules as everything else (`FactsAt.status(until=…)` and
`FactsAt.municipalities(months=…)`), so a chart can never disagree with the table beside it.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from ehsj_core.projections.metrics import Value
from ehsj_core.projections.moment import FactsAt


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


def goal_months(moment: FactsAt, goal_id: str) -> list[TargetMonths]:
    report = moment.status()
    goal = report.goal(goal_id)
    series: dict[str, list[tuple[str, Value]]] = {t.key: [] for t in goal.targets}
    for month_end in months_so_far(report.year, report.as_of.on_date):
        for t in moment.status(until=month_end).goal(goal.id).targets:
            series[t.key].append((month_end.isoformat()[:7], t.actual))
    return [
        TargetMonths(t.key, t.kind, t.label, t.target if t.target is not None else t.target_min, tuple(series[t.key]))
        for t in goal.targets
    ]


def municipality_months(moment: FactsAt, name: str) -> MunicipalityMonths:
    months: list[tuple[str, dict[str, int]]] = []
    for month_end in months_so_far(moment.year, moment.at.on_date):
        key = month_end.isoformat()[:7]
        found = next(m for m in moment.municipalities({key}).municipalities if m.name == name)
        months.append((key, dict(found.courses)))
    return MunicipalityMonths(name, tuple(months))
