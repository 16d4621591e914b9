"""The composition root: one `Tracker` per process wires the store, the projection and the contracts.

The API routes, the CLI commands and (later) the worker tasks all call these methods, so each use
case has exactly one implementation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ehsj_core.contract.loader import ContractBook, LoadedContract, contracts_table
from ehsj_core.db import engine_for
from ehsj_core.events import rulebook
from ehsj_core.events.reader import LogReader
from ehsj_core.events.records import AppendResult
from ehsj_core.events.rulebook import Appender
from ehsj_core.events.store import EventStore
from ehsj_core.events.validation import InvalidInput, NewEvent, Problem, parse_event
from ehsj_core.projections.facts import LogFacts
from ehsj_core.projections.municipalities import MunicipalityFigures, municipality_figures
from ehsj_core.projections.runner import ProjectionRunner
from ehsj_core.projections.status import GoalStatus, goal_statuses
from ehsj_core.settings import Settings


class NotFound(LookupError):
    pass


@dataclass(frozen=True)
class AsOf:
    """A resolved moment of the log: a position and the business date status is judged on."""

    position: int
    on_date: date
    label: str | None  # what the caller asked for; None for live


@dataclass(frozen=True)
class StatusReport:
    contract: LoadedContract
    year: int
    as_of: AsOf
    goals: list[GoalStatus]

    def as_dict(self) -> dict[str, Any]:
        return {
            "contract": contract_summary(self.contract),
            "year": self.year,
            "position": self.as_of.position,
            "as_of": self.as_of.label,
            "on_date": self.as_of.on_date.isoformat(),
            "goals": [g.as_dict() for g in self.goals],
        }


@dataclass(frozen=True)
class MunicipalityReport:
    contract: LoadedContract
    year: int
    as_of: AsOf
    municipalities: list[MunicipalityFigures]

    def as_dict(self) -> dict[str, Any]:
        return {
            "contract": contract_summary(self.contract),
            "year": self.year,
            "position": self.as_of.position,
            "as_of": self.as_of.label,
            "municipalities": [m.as_dict() for m in self.municipalities],
        }


def contract_summary(item: LoadedContract) -> dict[str, Any]:
    c = item.contract
    return {"house": c.house, "year": c.year, "title": c.title, "sha256": item.sha256, "filename": item.filename}


class Tracker:
    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine if engine is not None else engine_for(settings.database_url)
        self.store = EventStore(self.engine)
        self.log = LogReader(self.engine)
        self.runner = ProjectionRunner(self.log, settings.snapshot_key(), settings.snapshot_every)
        self.tz = ZoneInfo(settings.timezone)
        self.house = settings.house
        self._book: ContractBook | None = None
        self._book_marker: Any = None

    # --- contracts -------------------------------------------------------------------------------
    @property
    def book(self) -> ContractBook:
        """The contracts in force, re-read when a new version has been stored."""
        with self.engine.connect() as conn:
            marker = conn.execute(sa.select(sa.func.max(contracts_table.c.id))).scalar()
        if self._book is None or marker != self._book_marker:
            self._book, self._book_marker = ContractBook.from_database(self.engine), marker
        return self._book

    def contract(self, year: int | None = None) -> LoadedContract:
        book = self.book
        years = book.years(self.house)
        if not years:
            raise NotFound("der er ingen kontrakt indlæst; kør `ehsj init`")
        if year is None:
            this_year = self.today().year
            year = max((y for y in years if y <= this_year), default=years[0])
        item = book.get(self.house, year)
        if item is None:
            raise NotFound(f"ingen kontrakt for {year}; indlæste år: {', '.join(map(str, years))}")
        return item

    # --- time --------------------------------------------------------------------------------------
    def today(self) -> date:
        return datetime.now(self.tz).date()

    def resolve_as_of(self, as_of: str | int | datetime | None) -> AsOf:
        """None → live; an int (or digits) → a log position; otherwise an ISO timestamp."""
        head = self.log.head()
        if as_of is None or as_of == "":
            return AsOf(head.position, self.today(), None)
        if isinstance(as_of, int) or (isinstance(as_of, str) and as_of.strip().isascii() and as_of.strip().isdigit()):
            position = int(as_of)
            if position > head.position:
                raise InvalidInput([Problem("as_of", as_of, f"positionen findes ikke endnu; loggen slutter ved {head.position}")])
            recorded = self.log.recorded_at(position) if position > 0 else None
            on_date = recorded.astimezone(self.tz).date() if recorded else self.today()
            return AsOf(position, on_date, str(position))
        moment = as_of if isinstance(as_of, datetime) else _parse_moment(as_of)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.tz)
        return AsOf(self.log.position_at(moment), moment.astimezone(self.tz).date(), moment.isoformat())

    # --- writing -----------------------------------------------------------------------------------
    def validate(self, raw: Any) -> NewEvent:
        return parse_event(raw, self.book, self.house, self.today())

    def append(self, raw: Any, by: Appender) -> list[AppendResult]:
        """Validate one event or a batch ({"events": [...]}) and append it atomically, through the
        rule book (events/rulebook.py): every entry point's one way in."""
        return rulebook.submit_raw(self.store, raw, by, self.book, self.house, self.today())

    def append_events(self, events: list[NewEvent], by: Appender, recorded_at: datetime | None = None) -> list[AppendResult]:
        """Append events validated already (`validate`), through the rule book. `recorded_at`: the demo."""
        return rulebook.submit(self.store, events, by, self.house, recorded_at=recorded_at)

    # --- reading -----------------------------------------------------------------------------------
    def _with_facts(self, as_of: AsOf, build: Any) -> Any:
        if as_of.label is None:
            with self.runner.lock:
                facts, position = self.runner.live()
                live = AsOf(position, as_of.on_date, None)
                return build(facts, live)
        return build(self.runner.at(as_of.position), as_of)

    def status(
        self, year: int | None = None, as_of: str | int | datetime | None = None, until: date | None = None
    ) -> StatusReport:
        """Status of every goal, as known at `as_of` (default: now). With `until` (the last day of a
        month), only what occurred by the end of that month counts, judged on that day."""
        contract = self.contract(year)
        resolved = self.resolve_as_of(as_of)
        c = contract.contract
        month = None if until is None else until.isoformat()[:7]

        def build(facts: LogFacts, at: AsOf) -> StatusReport:
            on_date = at.on_date if until is None else min(at.on_date, until)
            goals = goal_statuses(c, facts.year(c.house, c.year), on_date, month)
            return StatusReport(contract, c.year, AsOf(at.position, on_date, at.label), goals)

        report: StatusReport = self._with_facts(resolved, build)
        return report

    def goal(self, goal_id: str, year: int | None = None, as_of: str | int | datetime | None = None) -> tuple[StatusReport, GoalStatus]:
        report = self.status(year, as_of)
        for goal in report.goals:
            if goal.id.casefold() == goal_id.casefold():
                return report, goal
        raise NotFound(f"mål {goal_id!r} findes ikke; mål: {', '.join(g.id for g in report.goals)}")

    def municipalities(
        self, year: int | None = None, as_of: str | int | datetime | None = None, months: set[str] | None = None
    ) -> MunicipalityReport:
        """The municipalities side by side; `months` ("YYYY-MM") narrows the figures to a period."""
        contract = self.contract(year)
        resolved = self.resolve_as_of(as_of)
        c = contract.contract

        def build(facts: LogFacts, at: AsOf) -> MunicipalityReport:
            figures = municipality_figures(c, facts.year(c.house, c.year), months)
            return MunicipalityReport(contract, c.year, at, figures)

        report: MunicipalityReport = self._with_facts(resolved, build)
        return report


def _parse_moment(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            [Problem("as_of", value, "skal være en logposition (heltal) eller et ISO-tidspunkt, fx 2019-10-01T08:00")]
        ) from None
