"""The figures of one moment of the log: the folded facts at a position, and the contract they are
judged against. Pure: everything here is computed from what it is handed, without I/O.

A report, the audit diff, the final statement and the month-by-month pages are built from a
`FactsAt` their caller resolved (the composition root, `tracker.py`, folds the log to the position);
they never ask for the log again. `MomentSource` is what an orchestrator that must resolve positions
of its own (dispatch, reproducing a sent report) is handed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from ehsj_core.contract.loader import LoadedContract
from ehsj_core.errors import NotFound
from ehsj_core.projections.facts import LogFacts, YearFacts
from ehsj_core.projections.municipalities import MunicipalityFigures, municipality_figures
from ehsj_core.projections.status import GoalStatus, goal_statuses


@dataclass(frozen=True)
class AsOf:
    """A resolved moment of the log: a position and the business date status is judged on."""

    position: int
    on_date: date
    label: str | None  # what the caller asked for; None for live


def contract_summary(item: LoadedContract) -> dict[str, Any]:
    c = item.contract
    return {"house": c.house, "year": c.year, "title": c.title, "sha256": item.sha256, "filename": item.filename}


def _heading(contract: LoadedContract, year: int, at: AsOf) -> dict[str, Any]:
    """What every status answer starts with: the contract judged against and the moment."""
    return {"contract": contract_summary(contract), "year": year, "position": at.position, "as_of": at.label}


@dataclass(frozen=True)
class StatusReport:
    contract: LoadedContract
    year: int
    as_of: AsOf
    goals: list[GoalStatus]

    def as_dict(self) -> dict[str, Any]:
        return {
            **_heading(self.contract, self.year, self.as_of),
            "on_date": self.as_of.on_date.isoformat(),
            "goals": [g.as_dict() for g in self.goals],
        }

    def goal(self, goal_id: str) -> GoalStatus:
        for goal in self.goals:
            if goal.id.casefold() == goal_id.casefold():
                return goal
        raise NotFound(f"mål {goal_id!r} findes ikke; mål: {', '.join(g.id for g in self.goals)}")


@dataclass(frozen=True)
class MunicipalityReport:
    contract: LoadedContract
    year: int
    as_of: AsOf
    municipalities: list[MunicipalityFigures]

    def as_dict(self) -> dict[str, Any]:
        return {
            **_heading(self.contract, self.year, self.as_of),
            "municipalities": [m.as_dict() for m in self.municipalities],
        }


@dataclass(frozen=True)
class FactsAt:
    """The facts at `at.position` (read-only: they may be shared with other readers of the same
    position) and the contract of the year they are judged for."""

    contract: LoadedContract
    facts: LogFacts
    at: AsOf

    @property
    def year(self) -> int:
        return self.contract.contract.year

    def status(self, until: date | None = None) -> StatusReport:
        """Every goal's status; with `until` (the last day of a month), only what occurred by the end
        of that month counts, judged on that day."""
        c = self.contract.contract
        on_date = self.at.on_date if until is None else min(self.at.on_date, until)
        month = None if until is None else until.isoformat()[:7]
        goals = goal_statuses(c, self.facts.year(c.house, c.year), on_date, month, self.history())
        return StatusReport(self.contract, c.year, AsOf(self.at.position, on_date, self.at.label), goals)

    def history(self) -> list[tuple[int, YearFacts]]:
        """The earlier contract years of the house in the log, oldest first: the forecast's pattern."""
        c = self.contract.contract
        return sorted((y, f) for (house, y), f in self.facts.years.items() if house == c.house and y < c.year)

    def municipalities(self, months: set[str] | None = None) -> MunicipalityReport:
        """The municipalities side by side; `months` ("YYYY-MM") narrows the figures to a period."""
        c = self.contract.contract
        figures = municipality_figures(c, self.facts.year(c.house, c.year), months)
        return MunicipalityReport(self.contract, c.year, self.at, figures)


class MomentSource(Protocol):
    """Resolves a year and a moment of the log to the facts there (the composition root does)."""

    def facts_at(self, year: int | None, as_of: str | int | None) -> FactsAt: ...
