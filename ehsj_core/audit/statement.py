"""The final statement ("den endelige resultatopgørelse") of a contract year, as data.

Built from the facts at one log position (`moment.FactsAt`, handed in), the
dispatch ledger and the closes of the year; nothing here reads the clock except a live statement's
"now". `as_dict()` is canonical, and `content_digest` (SHA-256 of it) is printed in both documents:
the same as-of gives the same data, the same digest and — the renderers being pure — the same bytes.

It is also a report kind (`final_statement`, reports/kinds.py): sent to KKR once per close of the
year that is still in force, built at the close's log position (notify/closing.py). A statement
whose reports include an earlier final statement of the year is a corrected one (`corrected`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from fractions import Fraction
from functools import cached_property
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy.engine import Engine

from ehsj_core.audit.diff import EventRef, counting_years
from ehsj_core.events.closes import Close
from ehsj_core.events.reader import LogReader
from ehsj_core.events.records import PERIOD_CLOSED, RETRACTED
from ehsj_core.events.schemas import YEAR_IN_DATA
from ehsj_core.events.views import EventRetractedView
from ehsj_core.events.years import EVALUATION
from ehsj_core.houses import HouseBook
from ehsj_core.notify import ledger
from ehsj_core.projections.metrics import round_half_up
from ehsj_core.projections.moment import FactsAt
from ehsj_core.projections.municipalities import MunicipalityFigures
from ehsj_core.projections.status import GoalStatus

if TYPE_CHECKING:
    from ehsj_core.reports.agreements import Agreement
    from ehsj_core.reports.data import Basis

# The reports package renders and sends this statement as a report kind (reports/kinds.py, render.py),
# so what this module takes from it (labels, agreements, data) is imported on use: importing the
# statement first must not start the package's rendering, which imports the statement.
FINAL_STATEMENT = "final_statement"  # its report kind and the ledger's name for it


@dataclass(frozen=True)
class MunicipalityLine:
    figures: MunicipalityFigures
    dkk_per_specialised_course: int | None  # the contribution divided by the specialised courses


@dataclass(frozen=True)
class SentReport:
    id: int
    kind: str
    kind_label: str
    period: str
    recipient: str  # the municipality or the audience; e-mail addresses are left out (personal data)
    sent_at: datetime
    position: int
    sha256: str


@dataclass(frozen=True)
class ClosedYear:
    by: str
    recorded_at: datetime
    position: int
    note: str | None
    reopened_at: int | None


@dataclass(frozen=True)
class FinalStatement:
    house_name: str
    contract_title: str
    contract_filename: str
    contract_sha256: str
    year: int
    position: int  # the log position the statement is built at
    position_hash: str  # the hash of that row: the head of the chain the statement rests on
    as_of: str | None  # what was asked for; None for "now"
    judged_on: date
    timezone: str  # the contract's: moments are shown as dates there
    course_types: tuple[tuple[str, str], ...]  # key, Danish name
    goals: tuple[GoalStatus, ...]
    municipalities: tuple[MunicipalityLine, ...]
    reports: tuple[SentReport, ...]
    closes: tuple[ClosedYear, ...]
    after_close: tuple[EventRef, ...]  # events of the year recorded after it was closed
    agreements: tuple[Agreement, ...] = ()  # with local actors, signed in the year (goal 5A)
    # From the house file (reports/house.py), not data: left out of as_dict() and the content digest
    kkr: str = field(default="KKR", metadata={"presentation": True})
    municipality_count: int = field(default=0, metadata={"presentation": True})
    fictitious: bool = field(default=False, metadata={"presentation": True})

    def as_dict(self) -> dict[str, Any]:
        from ehsj_core.reports.data import to_json

        return {"kind": FINAL_STATEMENT, **to_json(self)}

    @property
    def basis(self) -> Basis:
        """What the statement rests on, in the words of the other reports (their e-mail footer)."""
        from ehsj_core.reports.data import Basis

        return Basis(
            self.house_name,
            self.contract_title,
            self.contract_sha256,
            self.year,
            self.position,
            self.judged_on,
            self.course_types,
            self.kkr,
            self.municipality_count,
            self.fictitious,
        )

    @property
    def deviation_limit_pp(self) -> float | None:
        """The largest deviation the geography target allows (goal 5B), if the contract has one."""
        return next((t.target for g in self.goals for t in g.targets if t.kind == "max_deviation"), None)

    @property
    def closed(self) -> bool:
        """Whether a close of the year is in force at the statement's position."""
        return any(c.reopened_at is None for c in self.closes)

    @property
    def corrected(self) -> bool:
        """Whether this statement corrects one sent before: a final statement of an earlier close
        (since reopened) was sent by this statement's moment, and a later close is in force."""
        active = next((c for c in self.closes if c.reopened_at is None), None)
        return active is not None and any(
            r.kind == FINAL_STATEMENT and r.position < active.position for r in self.reports
        )

    @cached_property
    def content_digest(self) -> str:
        """SHA-256 of the canonical JSON of the statement's data (sorted keys, UTF-8)."""
        return hashlib.sha256(orjson.dumps(self.as_dict(), option=orjson.OPT_SORT_KEYS)).hexdigest()

    @property
    def targets_met(self) -> int:
        return sum(t.status in ("met", "met_late") for g in self.goals for t in g.targets)

    @property
    def targets_total(self) -> int:
        return sum(len(g.targets) for g in self.goals)


def per_course(contribution_dkk: int, courses: int) -> int | None:
    """Kroner per specialised course, rounded half up to whole kroner; None without courses."""
    return None if courses == 0 else int(round_half_up(Fraction(contribution_dkk, courses)))


def build_statement(
    moment: FactsAt, log: LogReader, engine: Engine, tz: ZoneInfo, houses: HouseBook | None = None
) -> FinalStatement:
    """The statement of the moment's year from the facts at its position, the log (the closes, the
    events after a close) and the dispatch ledger (the reports sent by then). `houses`: the
    installation's house file (its KKR's name); without it the packaged houses.yaml."""
    from ehsj_core.reports.agreements import read_agreements
    from ehsj_core.reports.house import words_for

    status = moment.status()
    at = status.as_of
    c = status.contract.contract
    figures = moment.municipalities().municipalities
    closes = log.closes(upto=at.position).for_year(c.house, c.year)
    late = _after_close(log, c.house, c.year, closes, at.position, _course_companies(moment, c.house, c.year))
    agreements = read_agreements(log, c.house, c.year, at.position)
    words = words_for(c, houses)
    return FinalStatement(
        house_name=c.house_name,
        contract_title=c.title,
        contract_filename=status.contract.filename,
        contract_sha256=status.contract.sha256,
        year=c.year,
        position=at.position,
        position_hash=log.hash_at(at.position),
        as_of=at.label,
        judged_on=at.on_date,
        timezone=c.timezone,
        course_types=tuple((ct.key, ct.name) for ct in c.course_types),
        goals=tuple(status.goals),
        municipalities=tuple(
            MunicipalityLine(m, per_course(m.contribution_dkk, m.specialised_courses)) for m in figures
        ),
        reports=tuple(
            _sent_reports(engine, c.year, _moment(log, tz, at.label, at.position), words.kkr, words.municipalities)
        ),
        closes=tuple(ClosedYear(x.recorded_by, x.recorded_at, x.position, x.note, x.reopened_at) for x in closes),
        after_close=tuple(late),
        agreements=agreements,
        kkr=words.kkr,
        municipality_count=words.municipalities,
        fictitious=words.fictitious,
    )


def _moment(log: LogReader, tz: ZoneInfo, label: str | None, position: int) -> datetime | None:
    """Reports sent up to this moment are listed: the as-of timestamp, or the moment the as-of
    position was recorded; None (every report) for a statement as of now."""
    if label is None:
        return None
    if label.isascii() and label.isdigit():
        return log.recorded_at(position) or datetime.min.replace(tzinfo=tz)
    return datetime.fromisoformat(label)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _sent_reports(
    engine: Engine, year: int, moment: datetime | None, kkr: str, municipalities: int
) -> list[SentReport]:
    rows = [
        r
        for r in ledger.find_rows(engine, state="sent", limit=1_000_000)
        if r.period.startswith(str(year)) and r.sent_at is not None and (moment is None or _utc(r.sent_at) <= moment)
    ]
    from ehsj_core.reports import labels

    out = []
    audiences, titles = labels.audiences(kkr, municipalities), labels.dispatch_kinds()
    for r in sorted(rows, key=lambda r: (_utc(r.sent_at or datetime.min.replace(tzinfo=UTC)), r.id)):
        recipient = f"Erhvervschefen i {r.municipality}" if r.municipality else audiences.get(r.kind, r.kind)
        out.append(
            SentReport(
                r.id,
                r.kind,
                titles.get(r.kind, r.kind),
                r.period,
                recipient,
                _utc(r.sent_at or datetime.min.replace(tzinfo=UTC)),
                r.position,
                r.sha256 or "",
            )
        )
    return out


def _course_companies(moment: FactsAt, house: str, year: int) -> set[tuple[str, str]]:
    """(course type, CVR) of every company with a course in the year: the only ones whose answers of
    a later year can count in it (events/years.py)."""
    companies = moment.facts.year(house, year).course_companies
    return {(ct, str(cvr)) for ct, by_company in companies.items() for cvr in by_company}


def _after_close(
    log: LogReader, house: str, year: int, closes: list[Close], upto: int, coursed: set[tuple[str, str]]
) -> list[EventRef]:
    """Events counting in the year that were recorded while it was closed, in log order: by their
    `occurred_on`, or by the year they count in where that is another (an evaluation of a course of
    the year, answered later; Erhvervsstyrelsen's figures for the year); retractions by the year of
    the event they withdraw."""
    found: dict[int, EventRef] = {}
    for close in closes:
        end = upto if close.reopened_at is None else min(upto, close.reopened_at - 1)
        own = [
            e
            for e in log.read_all(
                after=close.position,
                upto=end,
                house=house,
                occurred_from=date(year, 1, 1),
                occurred_to=date(year, 12, 31),
            )
            if e.type not in (RETRACTED, PERIOD_CLOSED)
        ]
        own_year = counting_years(log, house, own)  # an answer may belong to a course of the year before
        found.update((e.position, EventRef.of(e)) for e in own if own_year(e) == year)
        later = list(
            log.read_all(
                after=close.position,
                upto=end,
                house=house,
                types=[EVALUATION, *YEAR_IN_DATA],
                occurred_from=date(year + 1, 1, 1),
            )
        )
        retractions = list(log.read_all(after=close.position, upto=end, types=[RETRACTED]))
        targets = log.get_many([e.data.target_event_id for e in retractions if isinstance(e.data, EventRetractedView)])
        year_of = counting_years(log, house, [*later, *targets.values()], coursed)
        found.update((e.position, EventRef.of(e)) for e in later if year_of(e) == year)
        for event in retractions:
            target = targets.get(event.data.target_event_id) if isinstance(event.data, EventRetractedView) else None
            if target is None or target.type == PERIOD_CLOSED or target.house != house or year_of(target) != year:
                continue
            found[event.position] = EventRef.of(event)
    return [found[p] for p in sorted(found)]
