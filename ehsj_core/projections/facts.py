"""The goal-facts fold: the log reduced to the counts every measurement rule is computed from.

Pure: no I/O. `apply(facts, event, targets)` folds one event; a retraction folds its target back out
(sign -1), so every figure honours retractions. The facts keep raw tallies (answers per score, companies
per course type, dates per milestone), never contract thresholds, so one fold serves every contract.
Keys join their parts with SEP, a character no validated text field can contain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

SEP = "\x1f"
Tally = dict[str, int]
MonthTally = dict[str, dict[str, int]]  # key → month ("YYYY-MM") → count


class FoldableEvent(Protocol):
    @property
    def type(self) -> str: ...
    @property
    def house(self) -> str: ...
    @property
    def occurred_on(self) -> Any: ...  # a datetime.date, or its ISO text straight from the database
    @property
    def data(self) -> dict[str, Any]: ...


@dataclass
class YearFacts:
    """Tallies for one house and one contract year (the year of `occurred_on`)."""

    courses: Tally = field(default_factory=dict)  # course_type, municipality, month
    course_topics: Tally = field(default_factory=dict)  # course_type, topic, month
    course_companies: MonthTally = field(default_factory=dict)  # course_type, cvr → months
    referrals: MonthTally = field(default_factory=dict)  # from_course, cvr → months
    # Kept up to date as companies enter and leave the two tallies above, so that a referral rate
    # is a sum over a dozen months, not a scan of every company. `companies_with_course`:
    # course_type, the month of the company's first course → companies; `companies_referred`:
    # course_type, the month by which the company had both a course and a referral → companies.
    companies_with_course: Tally = field(default_factory=dict)
    companies_referred: Tally = field(default_factory=dict)
    meetings: Tally = field(default_factory=dict)  # meeting_kind, municipality ('' if none), month
    newsletters: Tally = field(default_factory=dict)  # municipality ('' if none), month
    events: Tally = field(default_factory=dict)  # event_kind, municipality, month
    event_sizes: Tally = field(default_factory=dict)  # event_kind, participants, month
    evaluations: Tally = field(default_factory=dict)  # course_type, question, answer, month
    agreements: Tally = field(default_factory=dict)  # agreement_kind, municipality, month
    staff: Tally = field(default_factory=dict)  # role, consultant, month
    milestones: Tally = field(default_factory=dict)  # milestone key, ISO date

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> YearFacts:
        def copy(tally: dict[str, Any]) -> dict[str, Any]:  # month tallies nest one level
            return {k: dict(v) if isinstance(v, dict) else v for k, v in tally.items()}

        return cls(**{f.name: copy(raw.get(f.name, {})) for f in fields(cls)})


@dataclass
class LogFacts:
    """Facts for every (house, year) seen in the log."""

    years: dict[tuple[str, int], YearFacts] = field(default_factory=dict)

    def year(self, house: str, year: int) -> YearFacts:
        return self.years.get((house, year)) or YearFacts()

    def _for(self, house: str, year: int) -> YearFacts:
        facts = self.years.get((house, year))
        if facts is None:
            facts = self.years[(house, year)] = YearFacts()
        return facts

    def to_json(self) -> dict[str, Any]:
        return {f"{house}{SEP}{year}": facts.to_json() for (house, year), facts in self.years.items()}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> LogFacts:
        years = {}
        for key, value in raw.items():
            house, year = key.split(SEP)
            years[(house, int(year))] = YearFacts.from_json(value)
        return cls(years)


def _bump(tally: Tally, key: str, sign: int) -> None:
    value = tally.get(key, 0) + sign
    if value:
        tally[key] = value
    else:
        del tally[key]


def apply(facts: LogFacts, event: FoldableEvent, targets: Mapping[str, FoldableEvent]) -> None:
    """Fold one event into `facts`. `targets` maps a retraction's target_event_id to that event."""
    if event.type == "event.retracted":
        target = targets[event.data["target_event_id"]]
        _fold(facts, target, -1)
    else:
        _fold(facts, event, 1)


def _fold(facts: LogFacts, event: FoldableEvent, sign: int) -> None:
    handler = _HANDLERS.get(event.type)
    if handler is None:
        return
    day = event.occurred_on
    iso = day if isinstance(day, str) else day.isoformat()
    handler(facts._for(event.house, int(iso[:4])), event.data, iso[:7], iso, sign)


def _course(f: YearFacts, d: dict[str, Any], month: str, _day: str, sign: int) -> None:
    ct = d["course_type"]
    _bump(f.courses, f"{ct}{SEP}{d['municipality']}{SEP}{month}", sign)
    for topic in dict.fromkeys(d.get("topics", ())):  # "topics include": once per course, stable order
        _bump(f.course_topics, f"{ct}{SEP}{topic}{SEP}{month}", sign)
    cvr = d.get("company_cvr")
    if cvr:
        _company(f, ct, cvr, month, sign, is_course=True)


def _referral(f: YearFacts, d: dict[str, Any], month: str, _day: str, sign: int) -> None:
    _company(f, d["from_course"], d["company_cvr"], month, sign, is_course=False)


def _company(f: YearFacts, ct: str, cvr: str, month: str, sign: int, is_course: bool) -> None:
    """Tally a company's course or referral by month and move it between the first-month counters."""
    own, other = (f.course_companies, f.referrals) if is_course else (f.referrals, f.course_companies)
    key = f"{ct}{SEP}{cvr}"
    first_before = _first(own.get(key))
    months = own.setdefault(key, {})
    _bump(months, month, sign)
    if not months:
        del own[key]
    first_after = _first(own.get(key))
    if first_before == first_after:
        return
    if is_course:
        _move(f.companies_with_course, ct, first_before, first_after)
    other_first = _first(other.get(key))
    if other_first is not None:
        _move(f.companies_referred, ct, _later(first_before, other_first), _later(first_after, other_first))


def _first(months: dict[str, int] | None) -> str | None:
    return min(months) if months else None


def _later(month: str | None, other: str) -> str | None:
    return None if month is None else max(month, other)


def _move(tally: Tally, ct: str, old: str | None, new: str | None) -> None:
    if old is not None:
        _bump(tally, f"{ct}{SEP}{old}", -1)
    if new is not None:
        _bump(tally, f"{ct}{SEP}{new}", 1)


def _meeting(f: YearFacts, d: dict[str, Any], month: str, _day: str, sign: int) -> None:
    _bump(f.meetings, f"{d['meeting_kind']}{SEP}{d.get('municipality', '')}{SEP}{month}", sign)


def _newsletter(f: YearFacts, d: dict[str, Any], month: str, _day: str, sign: int) -> None:
    _bump(f.newsletters, f"{d.get('municipality', '')}{SEP}{month}", sign)


def _event_held(f: YearFacts, d: dict[str, Any], month: str, _day: str, sign: int) -> None:
    kind = d["event_kind"]
    _bump(f.events, f"{kind}{SEP}{d['municipality']}{SEP}{month}", sign)
    _bump(f.event_sizes, f"{kind}{SEP}{d['participants']}{SEP}{month}", sign)


def _evaluation(f: YearFacts, d: dict[str, Any], month: str, _day: str, sign: int) -> None:
    ct = d["course_type"]
    _bump(f.evaluations, f"{ct}{SEP}nps{SEP}{d['nps']}{SEP}{month}", sign)
    _bump(f.evaluations, f"{ct}{SEP}satisfaction{SEP}{d['satisfaction']}{SEP}{month}", sign)
    _bump(f.evaluations, f"{ct}{SEP}competence{SEP}{d['consultant_competence']}{SEP}{month}", sign)
    answers = ",".join(sorted(set(d["effect"])))
    _bump(f.evaluations, f"{ct}{SEP}effect{SEP}{answers}{SEP}{month}", sign)


def _agreement(f: YearFacts, d: dict[str, Any], month: str, _day: str, sign: int) -> None:
    _bump(f.agreements, f"{d['agreement_kind']}{SEP}{d.get('municipality', '')}{SEP}{month}", sign)


def _staff(f: YearFacts, d: dict[str, Any], month: str, _day: str, sign: int) -> None:
    _bump(f.staff, f"{d['role']}{SEP}{d['consultant']}{SEP}{month}", sign)


def _milestone(f: YearFacts, d: dict[str, Any], _month: str, day: str, sign: int) -> None:
    _bump(f.milestones, f"{d['milestone']}{SEP}{day}", sign)


_HANDLERS = {
    "course.completed": _course,
    "company.referred": _referral,
    "meeting.held": _meeting,
    "newsletter.sent": _newsletter,
    "event.held": _event_held,
    "evaluation.received": _evaluation,
    "agreement.signed": _agreement,
    "staff.designated": _staff,
    "milestone.reached": _milestone,
}
