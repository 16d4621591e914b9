"""The demo year: a deterministic, realistic year of logged events for a contract, and loading it.

The same seed gives the same events, ids and recorded_at: one `random.Random(seed)`, ids by uuid5
over (seed, index), no clock except the `now` cut-off, which only bites while the year is running.

Why `iter_year` can stream in recorded_at order: the year is generated working day by working day,
and everything generated on day g is recorded on day g or later (a referral, an evaluation or a
correction is generated on the day it happens, never earlier). So once day g has been generated, the
events recorded on day g are complete: sort that one bucket and yield it. Memory holds a few days of
events plus the referrals and evaluations still to come, whatever the scale.
"""

from __future__ import annotations

import random
import uuid
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

from ehsj_core.contract.model import Contract
from ehsj_core.demo_companies import (
    ACTIVITIES, COMMUNICATION, CONSULTANTS, DIGITAL_EXPERTS, DIRECTOR, EVALUATION_CLERK, EVENT_MONTHS,
    EVENT_TITLES, MILESTONES, NEWSLETTER_CHANNELS, NEWSLETTER_MONTHS, REFERRALS, TEAMS, CompanyPool,
    Deck, activity, working_days,
)
from ehsj_core.events.schemas import TOPICS
from ehsj_core.events.validation import NewEvent, parse_event
from ehsj_core.tracker import Tracker

NAMESPACE = uuid.UUID("5d2c4a1e-7b3f-5e09-9c61-e45f0a8d2019")
COURSES = {"short": 420, "action_plan": 310, "growth_plan": 305, "development_plan": 16}
COURSE_TYPES = tuple(COURSES)
COMPANIES = 800  # the company pool at scale 1
CORRECTIONS = 4  # corrected courses at scale 1 (plus one event and one newsletter)
RECORD_LAG_WEIGHTS = (45, 75, 88, 96, 100)  # cumulative: recorded 0, 1, 2, 3 or 4 working days later
OTHER_TOPICS, OTHER_TOPIC_WEIGHTS = TOPICS[1:], (20, 12, 20, 25, 15, 8)
# Decks per course type: referred?, evaluated?, NPS answer, satisfaction, competence, effect felt?
REFERRED = {"action_plan": {True: 3, False: 1}, "growth_plan": {True: 83, False: 17},
            "development_plan": {True: 19, False: 1}}
EVALUATED = {True: 16, False: 9}
QUALITY: dict[str, tuple[dict[int, int], dict[int, int], dict[int, int], dict[bool, int]]] = {
    "action_plan": ({10: 34, 9: 31, 8: 17, 7: 11, 6: 4, 5: 2, 3: 1}, {5: 50, 4: 38, 3: 8, 2: 3, 1: 1},
                    {5: 58, 4: 33, 3: 6, 2: 2, 1: 1}, {True: 72, False: 28}),
    "growth_plan": ({10: 41, 9: 31, 8: 14, 7: 10, 6: 2, 5: 1, 4: 1}, {5: 52, 4: 37, 3: 8, 2: 2, 1: 1},
                    {5: 60, 4: 32, 3: 6, 2: 2}, {True: 73, False: 27}),
    "development_plan": ({10: 7, 9: 6, 8: 4, 7: 2, 6: 1}, {5: 12, 4: 7, 3: 1}, {5: 14, 4: 5, 3: 1},
                         {True: 1}),
}
_Job = tuple[str, tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class DemoEvent:
    raw: dict[str, Any]  # the API envelope: event_id, type, occurred_on, data
    recorded_at: datetime  # UTC
    recorded_by: str


class DemoError(ValueError):
    pass


def generate_year(contract: Contract, seed: int = 2019, scale: float = 1.0, now: datetime | None = None) -> list[DemoEvent]:
    """The demo year of `contract`, sorted by recorded_at (then generation order)."""
    return list(iter_year(contract, seed, scale, now))


def iter_year(contract: Contract, seed: int = 2019, scale: float = 1.0, now: datetime | None = None) -> Iterator[DemoEvent]:
    """Like `generate_year`, streamed; stops before the first event recorded after `now`."""
    cutoff = now if now is not None else datetime.now(UTC)
    for event in _Year(contract, seed, scale).run():
        if event.recorded_at > cutoff:
            return
        yield event


def load_demo(tracker: Tracker, seed: int = 2019, year: int | None = None) -> int:
    """Fill an empty log with the demo year; one append per (recorded_at, recorded_by) group."""
    if tracker.store.head().position > 0:
        raise DemoError("Demoåret kan kun indlæses i en tom log; loggen indeholder allerede hændelser.")
    contract = tracker.contract(year).contract
    book, today, appended = tracker.book, tracker.today(), 0
    batch: list[NewEvent] = []
    key: tuple[datetime, str] | None = None
    for event in iter_year(contract, seed):
        if batch and key != (event.recorded_at, event.recorded_by):
            appended += _append(tracker, batch, key)
            batch = []
        key = (event.recorded_at, event.recorded_by)
        on = max(today, event.recorded_at.astimezone(tracker.tz).date())
        batch.append(parse_event(event.raw, book, tracker.house, on))
    if batch:
        appended += _append(tracker, batch, key)
    return appended


def _append(tracker: Tracker, batch: list[NewEvent], key: tuple[datetime, str] | None) -> int:
    assert key is not None
    results = tracker.append_validated(batch, recorded_by=key[1], recorded_at=key[0])
    return sum(1 for r in results if not r.duplicate)


class _Year:
    def __init__(self, contract: Contract, seed: int, scale: float) -> None:
        self.c, self.seed, self.rng = contract, seed, random.Random(seed)
        year, tz = contract.year, ZoneInfo(contract.timezone)
        self.days = working_days(date(year, 1, 1), date(year, 12, 31))
        self.n = len(self.days)
        record_days = self.days + working_days(date(year + 1, 1, 1), date(year + 1, 1, 31))[:8]
        self.iso = [d.isoformat() for d in self.days]
        # Weekday office hours never meet a DST switch, so local time = local midnight + seconds.
        self.midnight = [int(datetime(d.year, d.month, d.day, tzinfo=tz).timestamp()) for d in record_days]
        self.names = [m.name for m in contract.municipalities]
        self.shares = [m.share_pct for m in contract.municipalities]
        self.teams = {m: next((t for t, area in TEAMS if m in area), CONSULTANTS) for m in self.names}
        self.referral_by_topic = {t: [r for r in REFERRALS if r[2] == t] or list(REFERRALS) for t in TOPICS}
        self.index = self.ordinal = 0
        self.buckets: defaultdict[int, list[tuple[int, int, str, dict[str, Any]]]] = defaultdict(list)
        self.jobs: defaultdict[int, list[_Job]] = defaultdict(list)
        self.scripted: defaultdict[int, list[tuple[str, dict[str, Any], str, str]]] = defaultdict(list)
        self.sessions: dict[tuple[str, int], int] = {}
        self.moments: dict[int, datetime] = {}
        self._plan_courses(scale)
        self._plan_activities()

    # --- planning -------------------------------------------------------------------------------
    def _plan_courses(self, scale: float) -> None:
        rng = self.rng
        self.pool = CompanyPool(self.names, self.shares, round(COMPANIES * scale), self.seed)
        counts = [round(base * scale * rng.uniform(0.98, 1.03)) for base in COURSES.values()]
        # Specialised courses: the geography target (5B) is judged on their total, so allocate the
        # total exactly over noisy weights (max deviation 1.0–1.8 points), then deal out the types.
        for _ in range(200):
            weights = [s * max(0.5, 1 + rng.gauss(0, 0.1)) for s in self.shares]
            deviation = max(abs(100 * w / sum(weights) - s) for w, s in zip(weights, self.shares, strict=True))
            if 1.0 <= deviation <= 1.8:
                break
        spread = [m for m, n in enumerate(_allocate(sum(counts[1:]), weights)) for _ in range(n)]
        rng.shuffle(spread)
        types = [t for t in (1, 2, 3) for _ in range(counts[t])]
        short = [s * max(0.5, 1 + rng.gauss(0, 0.12)) for s in self.shares]
        codes = [t * 128 + m for t, m in zip(types, spread, strict=True)]
        codes += [m for m, n in enumerate(_allocate(counts[0], short)) for _ in range(n)]
        rng.shuffle(codes)
        self.day_courses: list[list[int]] = [[] for _ in range(self.n)]
        cum = list(accumulate(activity(d) for d in self.days))
        for day, code in zip(rng.choices(range(self.n), cum_weights=cum, k=len(codes)), codes, strict=True):
            self.day_courses[day].append(code)
        eligible = sum(len(c) for c in self.day_courses[: self.n - 15])
        self.corrupt = set(rng.sample(range(eligible), min(eligible, max(1, round(CORRECTIONS * scale)))))
        decks = {t: QUALITY[t] for t in COURSE_TYPES[1:]}
        self.referred = {t: Deck(rng, REFERRED[t]) for t in decks}
        self.evaluated = {t: Deck(rng, EVALUATED) for t in decks}
        self.quality = {t: tuple(Deck(rng, dict(q)) for q in d) for t, d in decks.items()}

    def _plan_activities(self) -> None:
        rng, names = self.rng, self.names
        for type_, month, day, where, template in ACTIVITIES:
            m = self._where(where) if where else ""
            data = {k: v.replace("{m}", m) if isinstance(v, str) else v for k, v in template.items()}
            if m:
                data["municipality"] = m
            by = DIRECTOR if type_ != "event.held" and data.get("meeting_kind") != "local_business_service" else rng.choice(self.teams[m])
            self._schedule_activity(month, day, type_, data, by)
        offered = rng.sample(names, max(0, len(names) - 2))  # realistic shortfall: two never offered
        for m in offered:
            self._schedule_activity(rng.randint(2, 11), 0, "meeting.held", {
                "meeting_kind": "council_presentation_offered", "municipality": m,
                "title": f"Datoer tilbudt til oplæg for byrådet/kommunalbestyrelsen i {m} Kommune"}, DIRECTOR)
        slip = rng.randrange(len(NEWSLETTER_MONTHS) - 1)
        for i, (month, m) in enumerate(zip(NEWSLETTER_MONTHS, rng.sample(names, min(len(names), 11)), strict=False)):
            data = {"channel": rng.choice(NEWSLETTER_CHANNELS).replace("{m}", m), "municipality": m, "recipients": rng.randint(250, 2400)}
            self._schedule_activity(month, 0, "newsletter.sent", data, COMMUNICATION, "duplicate" if i == slip else "")
        slip = rng.randrange(len(EVENT_TITLES) - 1)
        for i, (title, month) in enumerate(zip(EVENT_TITLES, EVENT_MONTHS, strict=True)):
            m = self._where("*")
            data = {"event_kind": "event", "title": title, "municipality": m, "participants": rng.randint(14, 85)}
            self._schedule_activity(month, 0, "event.held", data, rng.choice(self.teams[m]), "participants" if i == slip else "")
        targets = {f"{g.id}.{t.key}": t for g in self.c.goals for t in g.targets}
        keys = self.c.milestone_keys()
        unknown = [k for k in keys if k not in MILESTONES and targets[k].deadline is None]
        never = set(rng.sample(unknown, 2)) if len(unknown) > 4 else set()
        for key, label in keys.items():
            known, deadline = MILESTONES.get(key, (0, 0, "")), targets[key].deadline
            if known is None or key in never:
                continue
            month, day, evidence = known
            if not month:
                month, day = (deadline.month, 1) if deadline else (rng.randint(2, 11), 0)
            self._schedule_activity(month, day, "milestone.reached", {"milestone": key, "evidence": evidence or f"Opfyldt: {label}"[:500]}, DIRECTOR)

    def _where(self, name: str) -> str:
        return name if name in self.names else self.rng.choices(self.names, weights=self.shares)[0]

    def _schedule_activity(self, month: int, day: int, type_: str, data: dict[str, Any], by: str, slip: str = "") -> None:
        first = bisect_left(self.days, date(self.c.year, month, 1))
        if day:
            index = bisect_left(self.days, date(self.c.year, month, day))
        else:
            index = self.rng.randrange(first, max(first + 1, bisect_left(self.days, date(self.c.year + month // 12, month % 12 + 1, 1))))
        self.scripted[min(index, self.n - 1)].append((type_, data, by, slip))

    # --- generating -----------------------------------------------------------------------------
    def run(self) -> Iterator[DemoEvent]:
        for g in range(len(self.midnight)):
            if g < self.n:
                for code in self.day_courses[g]:
                    self._course(g, code >> 7, code & 127)
                for type_, data, by, slip in self.scripted.pop(g, ()):
                    self._activity(g, type_, data, by, slip)
            for kind, args in self.jobs.pop(g, ()):
                getattr(self, kind)(g, *args)
            bucket = sorted(self.buckets.pop(g, ()))
            for seconds, _index, by, raw in bucket:
                yield DemoEvent(raw, self._moment(self.midnight[g] + seconds), by)

    def _emit(self, type_: str, day: int, data: dict[str, Any], by: str, rec: int | None = None) -> tuple[str, int]:
        index, self.index = self.index, self.index + 1
        event_id = str(uuid.uuid5(NAMESPACE, f"{self.seed}:{index}"))
        if rec is None:
            rec = day + bisect_left(RECORD_LAG_WEIGHTS, self.rng.random() * 100)
        session = self.sessions.get((by, rec))
        if session is None:  # one sitting per person and day, at an office hour
            session = self.sessions[(by, rec)] = 8 * 3600 + int(self.rng.random() * 8.5 * 3600)
        raw = {"event_id": event_id, "type": type_, "occurred_on": self.iso[day], "data": data}
        self.buckets[rec].append((session, index, by, raw))
        return event_id, rec

    def _moment(self, epoch: int) -> datetime:
        moment = self.moments.get(epoch)
        if moment is None:
            moment = self.moments[epoch] = datetime.fromtimestamp(epoch, UTC)
        return moment

    def _course(self, g: int, t: int, m: int) -> None:
        rng, course_type = self.rng, COURSE_TYPES[t]
        number = self.pool.pick(rng, m)
        company = self.pool.company(number)
        if t == 0:
            topics = [rng.choices(OTHER_TOPICS, OTHER_TOPIC_WEIGHTS)[0]] if rng.random() < 0.6 else []
        else:
            topics = ["digital_business_model"] if rng.random() < 0.15 else []
            for topic in rng.choices(OTHER_TOPICS, OTHER_TOPIC_WEIGHTS, k=1 if rng.random() < 0.7 else 2):
                if topic not in topics:
                    topics.append(topic)
        team = self.teams[company.municipality]
        by = rng.choice(DIGITAL_EXPERTS) if topics[:1] == ["digital_business_model"] and rng.random() < 0.5 else team[int(rng.random() * len(team))]
        data: dict[str, Any] = {"course_type": course_type, "municipality": company.municipality, "consultant": by,
                                "topics": topics, "segment": company.segment}
        if t == 0 and rng.random() < 0.12:  # a would-be entrepreneur without a CVR number yet
            data["segment"] = "entrepreneur"
        else:
            data["company_cvr"], data["company_name"] = company.cvr, company.name
        ordinal, self.ordinal = self.ordinal, self.ordinal + 1
        if ordinal in self.corrupt:
            wrong = dict(data)
            if t in (1, 2) and rng.random() < 0.3:
                wrong["course_type"] = COURSE_TYPES[3 - t]
                reason = f"Forkert forløbstype registreret; det var en {self.c.course_type(course_type).name.lower()}"
            else:
                wrong["municipality"] = self.names[(m + 1 + int(rng.random() * (len(self.names) - 1))) % len(self.names)]
                reason = "Forkert kommune registreret"
            event_id, rec = self._emit("course.completed", g, wrong, by)
            self.jobs[rec + rng.randint(2, 6)].append(("_correct", (event_id, reason, by, (g, "course.completed", data))))
        else:
            self._emit("course.completed", g, data, by)
        if t == 0:
            return
        if self.referred[course_type].draw():
            day = min(g + int(rng.random() ** 2 * 16), self.n - 1)
            args = (company.cvr, company.municipality, course_type, topics, by)
            if day == g:
                self._referral(day, *args)
            else:
                self.jobs[day].append(("_referral", args))
        if self.evaluated[course_type].draw() and (day := g + rng.randint(8, 30)) < self.n:
            self.jobs[day].append(("_evaluation", (company.cvr, course_type)))

    def _referral(self, g: int, cvr: str, m: str, course_type: str, topics: list[str], by: str) -> None:
        options = self.referral_by_topic[topics[0]] if topics and self.rng.random() < 0.7 else REFERRALS
        to, kind, _topic = self.rng.choice(options)
        data = {"company_cvr": cvr, "from_course": course_type, "referred_to": to, "referral_kind": kind, "municipality": m}
        self._emit("company.referred", g, data, by)

    def _evaluation(self, g: int, cvr: str, course_type: str) -> None:
        rng = self.rng
        nps, satisfaction, competence, felt = (deck.draw() for deck in self.quality[course_type])
        if felt:
            k = rng.randint(1, 5)
            effect = rng.choices(("hoj", "nogen"), (2, 3), k=k) + rng.choices(("nogen", "lav", "slet_ikke", "ved_ikke"), (2, 4, 1, 2), k=7 - k)
            rng.shuffle(effect)
        else:
            effect = rng.choices(("lav", "slet_ikke", "ved_ikke"), (4, 2, 3), k=7)
        data = {"course_type": course_type, "company_cvr": cvr, "nps": nps, "satisfaction": satisfaction,
                "consultant_competence": competence, "effect": effect}
        self._emit("evaluation.received", g, data, EVALUATION_CLERK, g + 1)  # imported the next working day

    def _activity(self, g: int, type_: str, data: dict[str, Any], by: str, slip: str) -> None:
        if slip == "participants":  # a typo: ten times the real number of participants
            event_id, rec = self._emit(type_, g, {**data, "participants": data["participants"] * 10}, by)
            reason = f"Forkert deltagerantal registreret ({data['participants'] * 10} i stedet for {data['participants']})"
            self.jobs[rec + self.rng.randint(2, 6)].append(("_correct", (event_id, reason, by, (g, type_, data))))
            return
        _event_id, rec = self._emit(type_, g, data, by)
        if slip == "duplicate":  # registered twice by mistake; the copy is withdrawn, nothing re-logged
            copy_id, rec = self._emit(type_, g, dict(data), by, rec)
            reason = "Nyhedsbrevet blev registreret to gange ved en fejl"
            self.jobs[rec + self.rng.randint(2, 6)].append(("_correct", (copy_id, reason, by, None)))

    def _correct(self, g: int, target: str, reason: str, by: str, fixed: tuple[int, str, dict[str, Any]] | None) -> None:
        _event_id, rec = self._emit("event.retracted", g, {"target_event_id": target, "reason": reason}, by)
        if fixed is not None:  # the right version, logged in the same sitting as the retraction
            day, type_, data = fixed
            self._emit(type_, day, data, by, rec)


def _allocate(total: int, weights: list[float]) -> list[int]:
    """Largest-remainder split of `total` by `weights`."""
    quotas = [total * w / sum(weights) for w in weights]
    counts = [int(q) for q in quotas]
    for i in sorted(range(len(quotas)), key=lambda i: counts[i] - quotas[i])[: total - sum(counts)]:
        counts[i] += 1
    return counts
