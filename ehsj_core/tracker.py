"""The composition root: one `Tracker` per process wires the store, the reader, the projection and
the contracts.

Only entry points use it — the API, the CLI and the worker. Core modules never import it: they are
handed what they need (facts at a position, the contract, the reader, the store), and an orchestrator
that must resolve positions of its own is handed the narrow `moment.MomentSource`, which a Tracker is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ehsj_core.audit.diff import DEFAULT_LIMIT, AuditDiff, diff
from ehsj_core.audit.statement import FinalStatement, build_statement
from ehsj_core.contract.loader import ContractBook, LoadedContract, contracts_table
from ehsj_core.db import engine_for
from ehsj_core.demo import EMPTY_ONLY, DemoError, load_demo
from ehsj_core.errors import NotFound
from ehsj_core.events import rulebook
from ehsj_core.events.reader import LogReader
from ehsj_core.events.records import AppendResult
from ehsj_core.events.rulebook import Appender
from ehsj_core.events.store import EventStore
from ehsj_core.events.validation import InvalidInput, NewEvent, Problem, UnknownReference, parse_event
from ehsj_core.houses import House, HouseError, house_book_for
from ehsj_core.imports.run import Destination
from ehsj_core.installation import has_installation_table, mismatch, record_house, recorded_house, resolve_house
from ehsj_core.national.rollup import RollUp, build_rollup
from ehsj_core.projections.moment import AsOf, FactsAt, MunicipalityReport, StatusReport
from ehsj_core.projections.runner import ProjectionRunner
from ehsj_core.projections.status import GoalStatus
from ehsj_core.settings import Settings

T = TypeVar("T")


class Tracker:
    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine if engine is not None else engine_for(settings.database_url)
        self.store = EventStore(self.engine)
        self.log = LogReader(self.engine)
        self.runner = ProjectionRunner(self.log, settings.snapshot_key(), settings.snapshot_every)
        self.tz = ZoneInfo(settings.timezone)
        self.houses = house_book_for(settings.contracts_dir)  # houses.yaml beside the contracts
        self._house: str | None = None  # resolved on first use (installation.py)
        self._house_recorded = False
        self._book: ContractBook | None = None
        self._book_marker: int | None = None

    # --- the house ---------------------------------------------------------------------------------
    @property
    def house(self) -> str:
        """This installation's house: EHSJ_HOUSE, else the house the database records, else Sjælland.
        HouseError (Danish) when EHSJ_HOUSE names an unknown house or another house than the recorded.
        Kept once known; on a database not migrated yet it is asked again next time."""
        if self._house is not None:
            return self._house
        migrated = has_installation_table(self.engine)
        house = resolve_house(self.settings.house, recorded_house(self.engine) if migrated else None, self.houses)
        if migrated:
            self._house = house
        return house

    def use_house(self, house: str) -> None:
        """Run as `house` (`ehsj demo --house`); recorded as the database's house at the first write.
        HouseError (Danish) when the house file does not know it, or EHSJ_HOUSE or the database names
        another house. Changes nothing in the database."""
        self.houses.require(house)
        if self.settings.house is not None and self.house != house:
            raise HouseError(f"--house {house} passer ikke med EHSJ_HOUSE={self.settings.house}; udelad en af dem")
        recorded = recorded_house(self.engine) if has_installation_table(self.engine) else None
        if recorded is not None and recorded != house:
            raise HouseError(mismatch(recorded, f"--house {house}", self.houses))
        self._house = house

    def _record_house(self) -> None:
        """Before the first write of this process: the database belongs to this house from now on."""
        if not self._house_recorded:
            record_house(self.engine, self.house, self.houses)
            self._house_recorded = True

    @property
    def house_info(self) -> House:
        """This installation's house as the house file describes it (name, KKR, sender, …)."""
        return self.houses.require(self.house)

    # --- contracts -------------------------------------------------------------------------------
    def contract_book(self) -> ContractBook:
        """The contracts in force (a query: re-read when a new version has been stored)."""
        with self.engine.connect() as conn:
            marker = conn.execute(sa.select(sa.func.max(contracts_table.c.id))).scalar()
        if self._book is None or marker != self._book_marker:
            self._book, self._book_marker = ContractBook.from_database(self.engine), marker
        return self._book

    def contract(self, year: int | None = None) -> LoadedContract:
        book = self.contract_book()
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
                raise UnknownReference(
                    [Problem("as_of", as_of, f"positionen findes ikke endnu; loggen slutter ved {head.position}")]
                )
            recorded = self.log.recorded_at(position) if position > 0 else None
            on_date = recorded.astimezone(self.tz).date() if recorded else self.today()
            return AsOf(position, on_date, str(position))
        moment = as_of if isinstance(as_of, datetime) else _parse_moment(as_of)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.tz)
        return AsOf(self.log.position_at(moment), moment.astimezone(self.tz).date(), moment.isoformat())

    # --- writing -----------------------------------------------------------------------------------
    def validate(self, raw: object) -> NewEvent:
        return parse_event(raw, self.contract_book(), self.house, self.today())

    def append(self, raw: object, by: Appender) -> list[AppendResult]:
        """Validate one event or a batch ({"events": [...]}) and append it atomically, through the
        rule book (events/rulebook.py): every entry point's one way in."""
        self._record_house()
        return rulebook.submit_raw(self.store, raw, by, self.contract_book(), self.house, self.today())

    def append_events(
        self, events: list[NewEvent], by: Appender, recorded_at: datetime | None = None
    ) -> list[AppendResult]:
        """Append events validated already (`validate`), through the rule book. `recorded_at`: the demo."""
        self._record_house()
        return rulebook.submit(self.store, events, by, self.house, recorded_at=recorded_at)

    def load_demo(self, seed: int = 2019, year: int | None = None, house: str | None = None) -> int:
        """Fill an empty log with the demo year of this house's contract of `year` (demo.py); with
        `house`, of that house, which the database then belongs to. Refused, nothing changed: a log
        with events (DemoError), a house the installation cannot be (HouseError), no contract (NotFound)."""
        if self.log.head().position > 0:  # before anything is recorded (demo.py checks it again)
            raise DemoError(f"{EMPTY_ONLY} Et nyt demoår kræver en ny, tom database.")
        if house is not None:
            self.use_house(house)
        contract = self.contract(year).contract
        return load_demo(self.import_destination(), contract, self.tz, seed, self.houses.get(self.house))

    def import_destination(self) -> Destination:
        """Where an import of this installation goes (imports/run.py); the demo's too."""
        self._record_house()
        return Destination(self.store, self.contract_book(), self.house, self.today())

    # --- reading -----------------------------------------------------------------------------------
    def facts_at(self, year: int | None, as_of: str | int | datetime | None) -> FactsAt:
        """The facts at a moment of the log and the contract of `year`: what reports, the audit and the
        month-by-month pages are built from. Folded from the newest snapshot at or before the position,
        never the live facts (which move on under other requests); see `moment.FactsAt`."""
        contract = self.contract(year)
        at = self.resolve_as_of(as_of)  # None: the head (label None), folded like any other position
        return FactsAt(contract, self.runner.at(at.position), at)

    def _read(self, year: int | None, as_of: str | int | datetime | None, read: Callable[[FactsAt], T]) -> T:
        """`read` the facts at `as_of`: an earlier moment from its snapshot (`runner.at`), now from the
        live facts in memory, under the runner's lock so that no other request folds into them meanwhile."""
        contract = self.contract(year)
        at = self.resolve_as_of(as_of)
        if at.label is not None:
            return read(FactsAt(contract, self.runner.at(at.position), at))
        with self.runner.lock:
            facts, position = self.runner.live()
            return read(FactsAt(contract, facts, AsOf(position, at.on_date, None)))

    def status(
        self, year: int | None = None, as_of: str | int | datetime | None = None, until: date | None = None
    ) -> StatusReport:
        """Status of every goal, as known at `as_of` (default: now, from the live facts). With `until`
        (the last day of a month), only what occurred by the end of that month counts."""
        return self._read(year, as_of, lambda moment: moment.status(until))

    def diff(
        self, year: int | None, start: str | int | datetime, end: str | int | datetime, limit: int = DEFAULT_LIMIT
    ) -> AuditDiff:
        """Which targets changed between two moments (positions or timestamps), each explained."""
        return diff(self.facts_at(year, start), self.facts_at(year, end), self.log, self.tz, limit)

    def statement(self, year: int, as_of: str | int | datetime | None = None) -> FinalStatement:
        """The final statement of `year` as known at `as_of` (default: now)."""
        return build_statement(self.facts_at(year, as_of), self.log, self.engine, self.tz, self.houses)

    def national_rollup(self, year: int, export_ids: Sequence[int] | None = None) -> RollUp:
        """The national roll-up of `year` over the stored exports (default: each house's newest),
        judged with this installation's copies of the houses' contracts (ehsj_core/national/rollup.py)."""
        return build_rollup(
            self.engine, year=year, houses=self.houses, book=self.contract_book(), tz=self.tz, export_ids=export_ids
        )

    def goal(
        self, goal_id: str, year: int | None = None, as_of: str | int | datetime | None = None
    ) -> tuple[StatusReport, GoalStatus]:
        report = self.status(year, as_of)
        return report, report.goal(goal_id)

    def municipalities(
        self, year: int | None = None, as_of: str | int | datetime | None = None, months: set[str] | None = None
    ) -> MunicipalityReport:
        """The municipalities side by side; `months` ("YYYY-MM") narrows the figures to a period."""
        return self._read(year, as_of, lambda moment: moment.municipalities(months))


def _parse_moment(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            [Problem("as_of", value, "skal være en logposition (heltal) eller et ISO-tidspunkt, fx 2019-10-01T08:00")]
        ) from None
