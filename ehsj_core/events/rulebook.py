"""The rule book: every decision about a batch of new events, for every entry point.

The API, the web forms, the CLI, the imports and the demo all append through `submit` (`submit_raw`
validates raw input first). Under the append lock it reads what the rules need (reader.py), decides
(`decide`, pure), and hands the store what to persist; the store decides nothing. A refusal stores
nothing and keeps the one error shape (`field`, `value`, `problem`, `allowed`): `Forbidden` (HTTP
403) where the appender's role breaks a rule, `InvalidInput` (422) otherwise, `EventConflict` (409)
for a known id with other content.

The rules, in the order they are applied to each event of a batch:
1. validation of the envelope and the data (validation.py, schemas.py) — before the lock;
2. idempotency: a known event id with identical content is a duplicate, a safe retry to which no
   rule is applied again; with other content it is a conflict;
3. the house: every event belongs to this installation's house;
4. who may log which type: consultants and the director append; `period.closed` and Erhvervsstyrelsen's
   figures (`official_figure.reported`, `effect_measurement.reported`) are the director's;
5. retractions: the target exists (stored, or earlier in the batch), belongs to the house, is not
   itself a retraction and is not retracted yet; a consultant retracts only events they logged
   themselves, the director anyone's; retracting a close (reopening a year) is the director's;
6. closed years: an event that counts in a closed year — a retraction by the year of the event it
   withdraws — needs the director; a close lies after its year, and a year is closed once. The year
   an event counts in is that of its `occurred_on`, except for an evaluation (the year of the
   company's course it follows, `counts_in_year`) and the figures that name their year (`data.year`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol

from sqlalchemy.engine import Connection

from ehsj_core.contract.loader import ContractBook
from ehsj_core.events import reader
from ehsj_core.events.closes import Close, CloseHistory
from ehsj_core.events.reader import CourseAnswered
from ehsj_core.events.records import (
    PERIOD_CLOSED,
    RETRACTED,
    AppendResult,
    Head,
    RetractionRef,
    StoredSummary,
)
from ehsj_core.events.schemas import YEAR_IN_DATA
from ehsj_core.events.store import EventConflict, EventStore
from ehsj_core.events.validation import InvalidInput, NewEvent, Problem, parse_event, parse_events
from ehsj_core.events.years import EVALUATION, counts_in_year
from ehsj_core.users import PERMISSIONS


def permitted(role: str, permission: str) -> bool:
    """The role table (`users.PERMISSIONS`): append, retract_own, retract_any, close_year."""
    return permission in PERMISSIONS.get(role, frozenset())


ONLY_OWN = "du kan kun tilbagekalde hændelser, du selv har registreret"
COURSE = "course.completed"
OFFICIAL_TYPES = YEAR_IN_DATA  # Erhvervsstyrelsen's figures: the permission `report_official`
OFFICIAL_ONLY = "kun direktøren kan registrere Erhvervsstyrelsens tal"


class Forbidden(InvalidInput):
    """Refused for the appender's role (HTTP 403); the problems say which rule and why."""


class Appender(Protocol):
    """Who appends: a signed-in user (`users.Principal`), or the demo acting for a consultant."""

    @property
    def name(self) -> str: ...

    @property
    def role(self) -> str: ...


@dataclass(frozen=True)
class Refusal:
    index: int  # of the event in the batch
    problem: Problem
    forbidden: bool  # the role's rule (403), not the input's (422)


@dataclass(frozen=True)
class LogState:
    """What the rules read of the log, under the append lock."""

    head: Head
    stored: dict[str, StoredSummary]  # the batch's ids and its retractions' targets, where stored
    retracted: dict[str, RetractionRef]  # those of the targets already retracted
    closes: CloseHistory
    # for the evaluations judged against a close: the day of the company's latest stored course of
    # the type on or before the answer (absent: none)
    latest_courses: dict[CourseAnswered, date] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    results: tuple[AppendResult, ...]  # one per event of the batch, in order
    fresh: tuple[NewEvent, ...]  # what the store persists, numbered head+1, head+2, … in this order
    retraction_targets: dict[str, tuple[str, int]] = field(
        default_factory=dict
    )  # retraction id → (target id, position)
    refusals: tuple[Refusal, ...] = ()
    conflicts: tuple[tuple[int, str, int], ...] = ()  # (index, event id, stored position): same id, other content

    def raise_refusals(self) -> None:
        if self.conflicts:
            _index, event_id, position = self.conflicts[0]
            raise EventConflict(event_id, position)
        forbidden = [r.problem for r in self.refusals if r.forbidden]
        if forbidden:
            raise Forbidden(forbidden)
        if self.refusals:
            raise InvalidInput([r.problem for r in self.refusals])


def may_retract(by: Appender, recorded_by: str) -> bool:
    """The director retracts anyone's events; a consultant only those they logged themselves."""
    return permitted(by.role, "retract_any") or (permitted(by.role, "retract_own") and recorded_by == by.name)


def retraction_problem(by: Appender, recorded_by: str) -> str | None:
    """Why `by` may not retract an event `recorded_by` logged; None when they may (so far as the
    roles go: the target's own state is judged by `decide`)."""
    return append_problem(by.role) or (None if may_retract(by, recorded_by) else ONLY_OWN)


def append_problem(role: str) -> str | None:
    """Why a role may not log anything at all; None when it may. Every entry point's gate says this."""
    return None if permitted(role, "append") else f"rollen '{role}' må ikke registrere hændelser"


def _same_content(known: StoredSummary, event: NewEvent) -> bool:
    return (known.type, known.occurred_on, known.house, known.data) == (
        event.type,
        event.occurred_on,
        event.house,
        event.data,
    )


@dataclass
class _Batch:
    """The running state of `decide` over one batch."""

    by: Appender
    house: str
    state: LogState
    position: int
    many: bool
    closes: list[Close]
    refusals: list[Refusal] = field(default_factory=list)
    placed: dict[str, tuple[NewEvent, int]] = field(default_factory=dict)  # fresh events so far
    retracted_now: set[str] = field(default_factory=set)

    def closed_at(self, house: str, year: int) -> Close | None:
        """The close in force for (house, year) at the position being judged."""
        if not self.closes:
            return None  # the common case, and a bulk append's hot path
        return CloseHistory(tuple(self.closes)).closed_at(house, year, self.position)

    def refuse(
        self,
        index: int,
        name: str,
        value: Any,
        problem: str,
        *,
        forbidden: bool = False,
        allowed: list[str] | None = None,
    ) -> None:
        prefix = f"events[{index}]." if self.many else ""
        self.refusals.append(Refusal(index, Problem(prefix + name, value, problem, allowed), forbidden))

    def course_before(self, course_type: str, cvr: str, day: date) -> date | None:
        """The latest course of the company and type on or before `day`: stored, or earlier in the batch."""
        found = [self.state.latest_courses.get((course_type, cvr, day))]
        for event, _position in self.placed.values():
            data = event.data
            if event.type == COURSE and data.get("company_cvr") == cvr and data["course_type"] == course_type:
                found.append(event.occurred_on if event.occurred_on <= day else None)
        days = [d for d in found if d is not None]
        return max(days) if days else None

    @property
    def is_director(self) -> bool:
        """Closes, reopens, and logs for a closed year (the permission `close_year`)."""
        return permitted(self.by.role, "close_year")


def decide(events: Sequence[NewEvent], by: Appender, house: str, state: LogState) -> Decision:
    """Apply every rule to the batch, as if appended after `state.head`. Pure."""
    batch = _Batch(by, house, state, state.head.position, len(events) > 1, list(state.closes.closes))
    results: list[AppendResult] = []
    fresh: list[NewEvent] = []
    targets: dict[str, tuple[str, int]] = {}
    conflicts: list[tuple[int, str, int]] = []
    for index, event in enumerate(events):
        known = state.stored.get(event.event_id)
        earlier = batch.placed.get(event.event_id)
        if known is not None or earlier is not None:
            position = known.position if known is not None else earlier[1] if earlier is not None else 0
            same = _same_content(known, event) if known is not None else earlier is not None and earlier[0] == event
            if not same:
                conflicts.append((index, event.event_id, position))
            results.append(AppendResult(event.event_id, position, True))
            continue
        batch.position += 1
        _judge(batch, index, event, targets)
        batch.placed[event.event_id] = (event, batch.position)
        fresh.append(event)
        results.append(AppendResult(event.event_id, batch.position, False))
    return Decision(tuple(results), tuple(fresh), targets, tuple(batch.refusals), tuple(conflicts))


def _judge(batch: _Batch, index: int, event: NewEvent, targets: dict[str, tuple[str, int]]) -> None:
    if event.house != batch.house:
        batch.refuse(index, "house", event.house, "hændelsen tilhører et andet erhvervshus", allowed=[batch.house])
    problem = append_problem(batch.by.role)
    if problem is not None:
        batch.refuse(index, "type", event.type, problem, forbidden=True)
        return
    if event.type == PERIOD_CLOSED and not batch.is_director:
        batch.refuse(index, "type", event.type, "kun direktøren kan lukke et år", forbidden=True)
    if event.type in OFFICIAL_TYPES and not permitted(batch.by.role, "report_official"):
        batch.refuse(index, "type", event.type, OFFICIAL_ONLY, forbidden=True)
    if event.type == PERIOD_CLOSED:
        _judge_close(batch, index, event)
    elif event.type == RETRACTED:
        _judge_retraction(batch, index, event, targets)
    elif batch.closes:  # no close in the log: nothing to judge (the hot path of a bulk append)
        year = counts_in_year(event.type, event.occurred_on, event.data, batch.course_before)
        name, value = ("data.year", event.data["year"]) if event.type in YEAR_IN_DATA else ("occurred_on", None)
        _judge_closed_year(batch, index, name, value or event.occurred_on.isoformat(), event.house, year)


def _judge_close(batch: _Batch, index: int, event: NewEvent) -> None:
    year = int(event.data["year"])
    if event.occurred_on.year <= year:
        problem = f"et år kan først lukkes, når det er slut: datoen skal ligge efter 31. december {year}"
        batch.refuse(index, "occurred_on", event.occurred_on.isoformat(), problem)
    already = batch.closed_at(event.house, year)
    if already is not None:
        batch.refuse(index, "data.year", year, f"året er allerede lukket: {already.describe()}")
    batch.closes.append(
        Close(event.house, year, event.event_id, batch.position, datetime.min.replace(tzinfo=UTC), batch.by.name, None)
    )


@dataclass(frozen=True)
class _Target:
    type: str
    house: str
    occurred_on: date
    recorded_by: str
    position: int
    data: dict[str, Any]


def _target(batch: _Batch, target_id: str) -> _Target | None:
    stored = batch.state.stored.get(target_id)
    if stored is not None:
        return _Target(stored.type, stored.house, stored.occurred_on, stored.recorded_by, stored.position, stored.data)
    earlier = batch.placed.get(target_id)
    if earlier is not None:
        event, position = earlier
        return _Target(event.type, event.house, event.occurred_on, batch.by.name, position, event.data)
    return None


def _judge_retraction(batch: _Batch, index: int, event: NewEvent, targets: dict[str, tuple[str, int]]) -> None:
    target_id = event.data["target_event_id"]
    name = "data.target_event_id"
    target = _target(batch, target_id)
    if target is None:
        batch.refuse(index, name, target_id, "der findes ingen hændelse med dette id")
        return
    if target.type == RETRACTED:
        batch.refuse(
            index,
            name,
            target_id,
            "en tilbagekaldelse kan ikke tilbagekaldes; registrér hændelsen igen for at genoprette den",
        )
        return
    if target.house != event.house:
        batch.refuse(index, name, target_id, "hændelsen tilhører et andet erhvervshus")
        return
    if target_id in batch.state.retracted or target_id in batch.retracted_now:
        batch.refuse(index, name, target_id, "hændelsen er allerede tilbagekaldt")
        return
    batch.retracted_now.add(target_id)
    targets[event.event_id] = (target_id, target.position)
    if not may_retract(batch.by, target.recorded_by):
        batch.refuse(index, name, target_id, ONLY_OWN, forbidden=True)
    if target.type == PERIOD_CLOSED:
        if not batch.is_director:
            batch.refuse(index, name, target_id, "kun direktøren kan genåbne et lukket år", forbidden=True)
        batch.closes = [_reopened(c, batch.position) if c.event_id == target_id else c for c in batch.closes]
        return
    if batch.closes:
        year = counts_in_year(target.type, target.occurred_on, target.data, batch.course_before)
        _judge_closed_year(batch, index, name, target_id, target.house, year)


def _reopened(close: Close, position: int) -> Close:
    return Close(
        close.house,
        close.year,
        close.event_id,
        close.position,
        close.recorded_at,
        close.recorded_by,
        close.note,
        position,
    )


def _judge_closed_year(batch: _Batch, index: int, name: str, value: Any, house: str, year: int) -> None:
    close = batch.closed_at(house, year)
    if close is not None and not batch.is_director:
        problem = f"{close.describe()}; kun direktøren kan registrere eller tilbagekalde hændelser for et lukket år"
        batch.refuse(index, name, value, problem, forbidden=True)


# --- reading what the rules need, and the one way in --------------------------------------------------
def read_state(conn: Connection, events: Sequence[NewEvent], *, known: bool = True) -> LogState:
    """What the rules need, read in `conn`. With `known=False` the batch's own ids are not looked up
    (the optimistic first try of `submit`): only the events its retractions name."""
    target_ids = [e.data["target_event_id"] for e in events if e.type == RETRACTED]
    ids = [*(e.event_id for e in events), *target_ids] if known else target_ids
    stored = reader.summaries(conn, ids) if ids else {}
    retracted = reader.retracted_among(conn, target_ids) if target_ids else {}
    closes = reader.closes(conn)
    latest: dict[CourseAnswered, date] = {}
    if closes.closes:  # the year an evaluation counts in matters only to the closed-year rule
        answers = [(e.type, e.occurred_on, e.data) for e in events]
        answers += [(s.type, s.occurred_on, s.data) for i, s in stored.items() if i in set(target_ids)]
        keys = [(d["course_type"], d["company_cvr"], day) for t, day, d in answers if t == EVALUATION]
        latest = reader.latest_courses(conn, events[0].house, keys) if keys else {}
    return LogState(reader.head(conn), stored, retracted, closes, latest)


def review(store: EventStore, events: Sequence[NewEvent], by: Appender, house: str) -> Decision:
    """The decision `submit` would make now, without the lock and without storing: for an import's
    row-by-row report. `submit` decides again under the lock."""
    with store.engine.connect() as conn:
        return decide(events, by, house, read_state(conn, events))


def submit(
    store: EventStore, events: Sequence[NewEvent], by: Appender, house: str, *, recorded_at: datetime | None = None
) -> list[AppendResult]:
    """Decide on a validated batch under the append lock and persist it atomically, or refuse it
    whole. `recorded_at` is for the demo alone, which backdates its year."""
    if not events:
        return []
    with store.locked() as conn:
        # Most batches are new events: first try without looking up the batch's own ids. Should the
        # rules refuse anything, or the insert meet a stored id, decide again knowing what is stored
        # (a retry of a stored batch is a duplicate, not a refusal); that second decision is final.
        state = read_state(conn, events, known=False)
        decision = decide(events, by, house, state)
        if not decision.refusals and store.try_persist(
            conn, state.head, decision.fresh, decision.retraction_targets, by.name, recorded_at
        ):
            return list(decision.results)
        state = read_state(conn, events)
        decision = decide(events, by, house, state)
        decision.raise_refusals()
        store.persist(conn, state.head, decision.fresh, decision.retraction_targets, by.name, recorded_at)
    return list(decision.results)


def submit_raw(
    store: EventStore, raw: Any, by: Appender, book: ContractBook, house: str, today: date
) -> list[AppendResult]:
    """Validate one event or a batch (`{"events": [...]}`), then `submit` it."""
    if isinstance(raw, dict) and set(raw) == {"events"}:
        if not isinstance(raw["events"], list) or not raw["events"]:
            raise InvalidInput([Problem("events", raw["events"], "skal være en ikke-tom liste")])
        events = parse_events(raw["events"], book, house, today)
    else:
        events = [parse_event(raw, book, house, today)]
    return submit(store, events, by, house)
