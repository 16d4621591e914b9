"""Event builders for the pure unit tests: events shaped like the validated log, folded in order.

Each builder returns an `Ev`: the type, house and date of an event with its data as the typed view
the fold reads (`ehsj_core.events.views.to_view` of the data as stored), plus an `event_id`, so a
retraction can name its target. `fold(events)` applies them in order through `facts.apply`; a
retraction folds to nothing itself and folds its target (among the events already folded) back out
with sign -1, exactly as the runner does with the stored log.
"""

from __future__ import annotations

import copy
import itertools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from ehsj_core.contract.loader import LoadedContract, parse_contract, read_contract_folder
from ehsj_core.contract.model import Contract, Goal, Target
from ehsj_core.events.schemas import is_valid_cvr
from ehsj_core.events.views import EventRetractedView, EventView, to_view
from ehsj_core.projections import facts as facts_module
from ehsj_core.projections.facts import LogFacts, YearFacts
from ehsj_core.projections.metrics import METRICS

HOUSE = "sjaelland"
CONTRACT_FILE = Path(__file__).resolve().parents[2] / "contracts" / "sjaelland-2019.yaml"
MID_2019 = date(2019, 6, 15)
_ids = itertools.count(1)


@lru_cache(maxsize=1)
def contract() -> Contract:
    """The 2019 contract of Erhvervshus Sjælland, as the product loads it."""
    return parse_contract(CONTRACT_FILE.read_text(encoding="utf-8"), CONTRACT_FILE.name).contract


def sjaelland_contract(loaded: Iterable[LoadedContract] | None = None, year: int = 2019) -> Contract:
    """Sjælland's contract of `year` among `loaded` (default: the contracts folder, which holds every
    house's 2019 contract: take Sjælland's by name, never the first file)."""
    items = loaded if loaded is not None else read_contract_folder(CONTRACT_FILE.parent)
    found = [i.contract for i in items if i.contract.house == HOUSE and i.contract.year == year]
    assert len(found) == 1, f"{len(found)} contracts of {HOUSE} {year}"
    return found[0]


def goal_and_target(goal_id: str, key: str) -> tuple[Goal, Target]:
    goal = contract().goal(goal_id)
    assert goal is not None, f"no goal {goal_id}"
    target = next((t for t in goal.targets if t.key == key), None)
    assert target is not None, f"no target {goal_id}.{key}"
    return goal, target


_CVRS: list[str] = []
_CANDIDATES = itertools.count(10_000_000)


def cvr(n: int) -> str:
    """The n-th valid CVR number (modulus 11) from 10000000 up: a distinct company per n."""
    while len(_CVRS) <= n:
        candidate = str(next(_CANDIDATES))
        if is_valid_cvr(candidate):
            _CVRS.append(candidate)
    return _CVRS[n]


@dataclass(frozen=True)
class Ev:
    type: str
    house: str
    occurred_on: date
    data: EventView = field(hash=False)
    event_id: str = field(default_factory=lambda: str(uuid.UUID(int=next(_ids))))


def _ev(event_type: str, on: date, data: dict[str, Any], house: str = HOUSE) -> Ev:
    """An event from its data as stored (JSON: absent optional fields left out, lists)."""
    return Ev(event_type, house, on, to_view(event_type, data))


def course(
    course_type: str = "action_plan",
    municipality: str = "Lolland",
    on: date = MID_2019,
    company: int | None = 0,
    topics: Iterable[str] = (),
    consultant: str = "Anne",
    house: str = HOUSE,
) -> Ev:
    """A completed course; `company` picks a distinct CVR (None: no CVR, as for short courses)."""
    data: dict[str, Any] = {"course_type": course_type, "municipality": municipality, "consultant": consultant}
    if company is not None:
        data["company_cvr"] = cvr(company)
    topics = list(topics)
    if topics:
        data["topics"] = topics
    return _ev("course.completed", on, data, house)


def short(municipality: str = "Lolland", on: date = MID_2019) -> Ev:
    return course("short", municipality, on, company=None)


def courses(
    n: int, course_type: str = "action_plan", municipality: str = "Lolland", on: date = MID_2019, first: int = 0
) -> list[Ev]:
    """n courses of one type in one municipality, for companies first, first + 1, …"""
    return [course(course_type, municipality, on, company=first + i) for i in range(n)]


_FRESH = itertools.count(90_000)


def evaluated(
    course_type: str = "action_plan",
    nps: int = 8,
    satisfaction: int = 3,
    competence: int = 3,
    effect: Iterable[str] = ("lav",) * 7,
    on: date = MID_2019,
    company: int | None = None,
    course_on: date | None = None,
) -> list[Ev]:
    """A course and the evaluation that follows it: what counts under the rule "per company in the
    course year". The course is on `course_on` (default: 1 January of the answer's year); without
    `company`, a company of its own."""
    company = next(_FRESH) if company is None else company
    taken = course(course_type, on=course_on or date(on.year, 1, 1), company=company)
    return [taken, evaluation(course_type, nps, satisfaction, competence, effect, on, company)]


def evaluation(
    course_type: str = "action_plan",
    nps: int = 8,
    satisfaction: int = 3,
    competence: int = 3,
    effect: Iterable[str] = ("lav",) * 7,
    on: date = MID_2019,
    company: int = 0,
) -> Ev:
    """An evaluation; the defaults are neutral: passive NPS, 3 on both scales, no effect."""
    return _ev(
        "evaluation.received",
        on,
        {
            "course_type": course_type,
            "company_cvr": cvr(company),
            "nps": nps,
            "satisfaction": satisfaction,
            "consultant_competence": competence,
            "effect": list(effect),
        },
    )


def referral(from_course: str = "action_plan", company: int = 0, on: date = MID_2019) -> Ev:
    return _ev(
        "company.referred",
        on,
        {
            "company_cvr": cvr(company),
            "from_course": from_course,
            "referred_to": "Innovationsfonden",
            "referral_kind": "other_public",
        },
    )


def meeting(meeting_kind: str, municipality: str | None = None, on: date = MID_2019) -> Ev:
    data: dict[str, Any] = {"meeting_kind": meeting_kind}
    if municipality is not None:
        data["municipality"] = municipality
    return _ev("meeting.held", on, data)


def newsletter(
    municipality: str | None = None, on: date = MID_2019, channel_kind: str = "local_business_council"
) -> Ev:
    data: dict[str, Any] = {"channel": "Erhvervsrådets nyhedsbrev", "channel_kind": channel_kind}
    if municipality is not None:
        data["municipality"] = municipality
    return _ev("newsletter.sent", on, data)


def event_held(
    event_kind: str = "event", municipality: str = "Sorø", participants: int = 40, on: date = MID_2019
) -> Ev:
    return _ev(
        "event.held",
        on,
        {"event_kind": event_kind, "title": "Arrangement", "municipality": municipality, "participants": participants},
    )


def agreement(agreement_kind: str, municipality: str | None = None, on: date = MID_2019) -> Ev:
    data: dict[str, Any] = {"partner": "Partner", "agreement_kind": agreement_kind}
    if municipality is not None:
        data["municipality"] = municipality
    return _ev("agreement.signed", on, data)


def staff(role: str, consultant: str, on: date = MID_2019) -> Ev:
    return _ev("staff.designated", on, {"consultant": consultant, "role": role})


def milestone(key: str, on: date = MID_2019) -> Ev:
    return _ev("milestone.reached", on, {"milestone": key})


def official(target: str, value: float, year: int = 2019, on: date = date(2020, 3, 2), note: str | None = None) -> Ev:
    """Erhvervsstyrelsen's figure for a target ("<goal>.<key>") of `year`, published on `on`."""
    data: dict[str, Any] = {
        "target": target,
        "year": year,
        "value": value,
        "source": "Erhvervsstyrelsen, brugerevalueringen",
        "published_on": on.isoformat(),
    }
    if note is not None:
        data["note"] = note
    return _ev("official_figure.reported", on, data)


def growth(measure: str, customers: float, control: float, year: int = 2019, on: date = date(2021, 6, 30)) -> Ev:
    """Erhvervsstyrelsen's growth measurement of goal 2's customers of `year` against the control group."""
    return _ev(
        "effect_measurement.reported",
        on,
        {
            "measure": measure,
            "year": year,
            "customers_growth_pct": customers,
            "control_growth_pct": control,
            "companies": 212,
            "control_companies": 6360,
            "source": "Erhvervsstyrelsen, effektmåling af vækstvirksomheder",
            "published_on": on.isoformat(),
        },
    )


def retraction(target: Ev, on: date | None = None) -> Ev:
    """Retracts `target`; dated like the target unless told (a retraction's own date is irrelevant)."""
    return _ev(
        "event.retracted",
        on or target.occurred_on,
        {"target_event_id": target.event_id, "reason": "fejlregistrering"},
        target.house,
    )


def fold_one(facts: LogFacts, event: Ev, sign: int = 1, position: int = 0) -> None:
    """`facts.apply` of one event, called as the runner calls it."""
    facts_module.apply(facts, event.type, event.house, event.occurred_on.isoformat(), event.data, sign, position)


class Folder:
    """A fold in progress: events are applied in order, and a retraction's target is resolved
    among the events folded so far (a KeyError if it has not been folded)."""

    def __init__(self, facts: LogFacts | None = None, seen: Iterable[Ev] = ()) -> None:
        self.facts = LogFacts() if facts is None else facts
        self.seen: dict[str, Ev] = {e.event_id: e for e in seen}

    def apply(self, *events: Ev) -> Folder:
        for event in events:
            fold_one(self.facts, event)
            if isinstance(event.data, EventRetractedView):
                fold_one(self.facts, self.seen[event.data.target_event_id], -1)
            self.seen[event.event_id] = event
        return self

    def year(self, year: int = 2019, house: str = HOUSE) -> YearFacts:
        return self.facts.year(house, year)

    def snapshot(self) -> LogFacts:
        """A deep copy of the facts so far (the folder goes on folding into its own)."""
        return copy.deepcopy(self.facts)


def fold(events: Iterable[Ev]) -> LogFacts:
    """Apply the events in order through `facts.apply`."""
    return Folder().apply(*events).facts


def facts_2019(*events: Any) -> YearFacts:
    """The 2019 facts of the house after folding the events (lists are flattened)."""
    return fold(flatten(events)).year(HOUSE, 2019)


def flatten(events: Iterable[Any]) -> list[Ev]:
    """Events from events and (nested) lists of them, in order."""
    flat: list[Ev] = []
    for item in events:
        flat.extend([item] if isinstance(item, Ev) else flatten(item))
    return flat


def measure(goal_id: str, key: str, facts: YearFacts, until: str | None = None) -> Any:
    """The actual figure of a contract target, computed by its metric from the facts."""
    _goal, target = goal_and_target(goal_id, key)
    return METRICS[target.metric](facts, target.params, contract(), until)
