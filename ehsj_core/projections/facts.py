"""The goal-facts fold: the log reduced to the counts every measurement rule is computed from.

Pure: no I/O. `apply` folds one event, given as its typed view (`ehsj_core.events.views`), in
(sign 1) or back out (sign -1); the runner folds a retracted event back out, so every figure honours
retractions. The facts keep raw tallies (answers per score, companies per course type, dates per
milestone), never contract thresholds, so one fold serves every contract.

This is the replay's hot loop, run once per event of the log, so it is built for speed: a tally is
a plain dict (a `Counter` defines `__delitem__` in Python, which makes every store into it slower)
keyed by a plain tuple (a NamedTuple is several times dearer to build), with the parts named by the
key aliases below. The month ("YYYY-MM") is the last part, so a cut-off month is one comparison
(the counted evaluations, below, end in a month interval instead). A count that falls to zero is
removed, and so is a year left with nothing, so two folds that cancel out leave equal facts.

Evaluations belong to the course they evaluate (`contracts/*.yaml`, `rules.evaluations`): an answer
counts in the contract year of the company's latest course of that type on or before the answer
date, and each company counts once per course type and year, with its latest answer. Which year an
answer counts in therefore depends on the company's courses, which may be logged (or retracted)
before or after it, so the fold keeps, per house, every evaluated course day and every answer of
each company (`Evaluations`) and recomputes the company's contribution whenever either changes. A
contribution is counted in the course year's `counted_scores`/`counted_effects` over the months in
which it was the company's latest answer: from the month of the answer up to (not including) the
month of the next one, so "as of the end of month M" is two comparisons. An answer without such a
course is `unmatched`, in the year of the answer. The answer-year tallies (`evaluation_scores`,
`evaluation_effects`: every answer in the year it was given) serve the other rule a contract may
choose.
"""

from __future__ import annotations

import marshal
from bisect import bisect_right, insort
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

from ehsj_core.events.views import (
    VIEWS,
    AgreementSignedView,
    CompanyReferredView,
    CourseCompletedView,
    EffectMeasurementReportedView,
    EvaluationReceivedView,
    EventHeldView,
    EventView,
    MeetingHeldView,
    MilestoneReachedView,
    NewsletterSentView,
    OfficialFigureReportedView,
    StaffDesignatedView,
)

Month = str  # "YYYY-MM"
CourseKey = tuple[str, str, Month]  # course_type, municipality, month
TopicKey = tuple[str, str, Month]  # course_type, topic, month
FirstMonthKey = tuple[str, Month]  # course_type, month
MeetingKey = tuple[str, str | None, Month]  # meeting_kind, municipality (None if none), month
NewsletterKey = tuple[str | None, str, Month]  # municipality (None if none), channel kind, month
EventKey = tuple[str, str, Month]  # event_kind, municipality, month
EventSizeKey = tuple[str, int, Month]  # event_kind, participants, month
ScoreKey = tuple[str, str, int, Month]  # course_type, question ("nps", "satisfaction", "competence"), score, month
EffectKey = tuple[str, frozenset[str], Month]  # course_type, the distinct answers of the 7, month
# course_type, question, score, first month counted, the month it stops counting (None: still counts)
CountedScoreKey = tuple[str, str, int, Month, Month | None]
CountedEffectKey = tuple[str, frozenset[str], Month, Month | None]
UnmatchedKey = tuple[str, str, str]  # course_type, CVR, ISO answer date
# measure, published_on, customers' growth, control's growth, companies, control companies, source
MeasurementKey = tuple[str, str, float, float, int, int, str]
OfficialKey = tuple[str, str, float, str, str | None]  # "<goal>.<key>", published_on, value, source, note
AgreementKey = tuple[str, str | None, Month]  # agreement_kind, municipality (None if none), month
StaffKey = tuple[str, str, Month]  # role, consultant, month
MilestoneKey = tuple[str, str]  # milestone key, ISO date "YYYY-MM-DD"
# course_type (of the course, or the referral's from_course) → CVR number as an int → the company's
# counts per month, packed into one int of 12 slots of 16 bits (slot m-1 holds month m). A million-
# event log has some 700,000 of these; two ints an entry instead of a key tuple and a dict of months
# is what keeps the live facts small and a snapshot quick to read.
MonthTally = dict[str, dict[int, int]]
SLOT_BITS = 16

K = TypeVar("K")
Tally = dict[K, int]  # key → count, never 0
V = TypeVar("V", bound=EventView)


@dataclass
class YearFacts:
    """Tallies for one house and one contract year (the year of `occurred_on`)."""

    courses: Tally[CourseKey] = field(default_factory=dict)
    course_topics: Tally[TopicKey] = field(default_factory=dict)
    course_companies: MonthTally = field(default_factory=dict)
    referrals: MonthTally = field(default_factory=dict)
    # Kept up to date as companies enter and leave the two tallies above, so that a referral rate
    # is a sum over a dozen months, not a scan of every company. `companies_with_course`: the
    # month of the company's first course of the type → companies; `companies_referred`: the month
    # by which the company had both a course of the type and a referral from it → companies.
    companies_with_course: Tally[FirstMonthKey] = field(default_factory=dict)
    companies_referred: Tally[FirstMonthKey] = field(default_factory=dict)
    meetings: Tally[MeetingKey] = field(default_factory=dict)
    newsletters: Tally[NewsletterKey] = field(default_factory=dict)
    events: Tally[EventKey] = field(default_factory=dict)
    event_sizes: Tally[EventSizeKey] = field(default_factory=dict)
    evaluation_scores: Tally[ScoreKey] = field(default_factory=dict)
    evaluation_effects: Tally[EffectKey] = field(default_factory=dict)
    counted_scores: Tally[CountedScoreKey] = field(default_factory=dict)
    counted_effects: Tally[CountedEffectKey] = field(default_factory=dict)
    # … the contributions that still count (no later answer): what a status as of now reads, without
    # scanning the months of every superseded answer
    latest_scores: Tally[ScoreKey] = field(default_factory=dict)  # the month part: "" (none)
    latest_effects: Tally[EffectKey] = field(default_factory=dict)
    unmatched: Tally[UnmatchedKey] = field(default_factory=dict)
    effect_measurements: Tally[MeasurementKey] = field(default_factory=dict)
    official_figures: Tally[OfficialKey] = field(default_factory=dict)
    agreements: Tally[AgreementKey] = field(default_factory=dict)
    staff: Tally[StaffKey] = field(default_factory=dict)
    milestones: Tally[MilestoneKey] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in _TALLIES)


_TALLIES = tuple(f.name for f in fields(YearFacts))


# An answer as the fold keeps it: the ISO day (interned: one string object per day of the log), the
# log position (orders two answers of one day), NPS, satisfaction, competence, the effect answers.
Answer = tuple[str, int, int, int, int, frozenset[str]]
# What one answer of a company contributes: (course year, first month, last month exclusive or None,
# the answer), or (None, …) for an unmatched one.
Counted = tuple[int | None, Month, Month | None, Answer]
CompanyKey = tuple[str, str, int]  # house, course type, CVR


@dataclass
class Evaluations:
    """Per house, what placing the answers needs: the ISO day of every course of an evaluated type per
    company (one day, or the sorted days of a company with several), every answer per company, and
    what each company's answers count now."""

    course_days: dict[tuple[str, str], dict[int, str | list[str]]] = field(default_factory=dict)
    answers: dict[CompanyKey, list[Answer]] = field(default_factory=dict)
    counted: dict[CompanyKey, tuple[Counted, ...]] = field(default_factory=dict)


_EVALUATION_PARTS = tuple(f.name for f in fields(Evaluations))


@dataclass
class LogFacts:
    """Facts for every (house, year) seen in the log, and the evaluations' bookkeeping."""

    years: dict[tuple[str, int], YearFacts] = field(default_factory=dict)
    evaluations: Evaluations = field(default_factory=Evaluations)

    def year(self, house: str, year: int) -> YearFacts:
        return self.years.get((house, year)) or YearFacts()

    def dumps(self) -> bytes:
        """The facts as bytes for a snapshot: `marshal` of the plain dicts, tuples, frozensets, strings
        and ints they are made of. Read back by `loads` in a fraction of the time a JSON encoding
        takes (no object is rebuilt); runner.py signs the bytes, and marshal's format belongs to the
        Python version, which is part of the snapshot's version key."""
        years = {key: {name: getattr(f, name) for name in _TALLIES} for key, f in self.years.items()}
        evaluations = {name: getattr(self.evaluations, name) for name in _EVALUATION_PARTS}
        return marshal.dumps((years, evaluations))

    @classmethod
    def loads(cls, blob: bytes) -> LogFacts:
        years, evaluations = marshal.loads(blob)
        return cls({key: YearFacts(**tallies) for key, tallies in years.items()}, Evaluations(**evaluations))


def apply(
    facts: LogFacts, event_type: str, house: str, day: str, data: EventView, sign: int, position: int = 0
) -> None:
    """Fold one event in (sign 1) or back out (sign -1). `day` is the ISO occurred_on, "YYYY-MM-DD";
    `position` orders two answers of one company given on the same day (the later logged is the
    latest). Retractions and period.closed fold to nothing: the runner folds a retracted event out."""
    handler = _HANDLERS.get(event_type)
    if handler is None:
        return
    if event_type in _YEAR_IN_DATA:
        key = (house, data.year)  # type: ignore[union-attr]  # the types of _YEAR_IN_DATA have a year
    else:
        key = (house, _YEARS.get(day[:4]) or _year(day))
    year = facts.years.get(key)
    if year is None:
        year = facts.years[key] = YearFacts()
    handler(year, data, day, sign)
    if sign < 0 and year.is_empty():
        del facts.years[key]
    if event_type == _EVALUATION:
        _answer(facts, house, data, day, sign, position)  # type: ignore[arg-type]
    elif event_type == _COURSE and data.company_cvr and data.course_type != "short":  # type: ignore[union-attr]
        _course_day(facts, house, data, day, sign)  # type: ignore[arg-type]


_EVALUATION, _COURSE = "evaluation.received", "course.completed"
_YEAR_IN_DATA = frozenset({"effect_measurement.reported", "official_figure.reported"})


_YEARS: dict[str, int] = {}  # "2019" → 2019: a dict hit is cheaper than int() on every event of the log


def _year(day: str) -> int:
    return _YEARS.setdefault(day[:4], int(day[:4]))


def _bump(tally: MutableMapping[K, int], key: K, sign: int) -> None:
    n = tally.get(key, 0) + sign
    if n:
        tally[key] = n
    else:
        del tally[key]


def _course(f: YearFacts, d: CourseCompletedView, day: str, sign: int) -> None:
    ct, month = d.course_type, day[:7]
    _bump(f.courses, (ct, d.municipality, month), sign)
    for topic in d.topics:  # "topics include": once per course (the registry model stores each once)
        _bump(f.course_topics, (ct, topic, month), sign)
    if d.company_cvr:
        _company(f, ct, d.company_cvr, month, sign, is_course=True)


def _referral(f: YearFacts, d: CompanyReferredView, day: str, sign: int) -> None:
    _company(f, d.from_course, d.company_cvr, day[:7], sign, is_course=False)


def _first_slot(packed: int) -> int:
    """The first month (0–11) with a count, of a non-zero packed tally."""
    return ((packed & -packed).bit_length() - 1) // SLOT_BITS


def _company(f: YearFacts, ct: str, cvr: str, month: Month, sign: int, is_course: bool) -> None:
    """Tally a company's course or referral by month and move it between the first-month counters."""
    own = (f.course_companies if is_course else f.referrals).setdefault(ct, {})
    company = int(cvr)  # 8 digits, the first never 0: the int says the same, in less memory
    slot = int(month[5:7]) - 1
    packed = own.get(company, 0)
    before = _first_slot(packed) if packed else None
    packed += sign << (SLOT_BITS * slot)
    if packed:
        own[company] = packed
        after: int | None = _first_slot(packed)
    else:
        del own[company]
        if not own:
            del (f.course_companies if is_course else f.referrals)[ct]
        after = None
    if before != after:
        year = month[:5]
        _first_month_moved(f, ct, company, _month(year, before), _month(year, after), is_course)


def unpacked(tally: MonthTally, year: int) -> dict[tuple[str, str], dict[Month, int]]:
    """A company tally as (course type, CVR) → month → count: for reading it, not for the fold."""
    out: dict[tuple[str, str], dict[Month, int]] = {}
    mask = (1 << SLOT_BITS) - 1
    for ct, companies in tally.items():
        for company, packed in companies.items():
            counts = {f"{year}-{slot + 1:02d}": packed >> (SLOT_BITS * slot) & mask for slot in range(12)}
            out[(ct, str(company))] = {month: n for month, n in counts.items() if n}
    return out


def _month(year: str, slot: int | None) -> Month | None:
    return None if slot is None else f"{year}{slot + 1:02d}"


def _first_month_moved(
    f: YearFacts, ct: str, company: int, before: Month | None, after: Month | None, is_course: bool
) -> None:
    """A company's first course (or first referral) month moved: move it in the counters."""
    if is_course:
        _move(f.companies_with_course, ct, before, after)
    other = (f.referrals if is_course else f.course_companies).get(ct, {}).get(company)
    if other:
        other_first = _month((before or after or "")[:5], _first_slot(other))
        assert other_first is not None
        _move(f.companies_referred, ct, _later(before, other_first), _later(after, other_first))


def _later(month: Month | None, other: Month) -> Month | None:
    return None if month is None else max(month, other)


def _move(tally: Tally[FirstMonthKey], ct: str, old: Month | None, new: Month | None) -> None:
    if old is not None:
        _bump(tally, (ct, old), -1)
    if new is not None:
        _bump(tally, (ct, new), 1)


def _meeting(f: YearFacts, d: MeetingHeldView, day: str, sign: int) -> None:
    _bump(f.meetings, (d.meeting_kind, d.municipality, day[:7]), sign)


def _newsletter(f: YearFacts, d: NewsletterSentView, day: str, sign: int) -> None:
    _bump(f.newsletters, (d.municipality, d.channel_kind, day[:7]), sign)


def _event_held(f: YearFacts, d: EventHeldView, day: str, sign: int) -> None:
    kind, month = d.event_kind, day[:7]
    _bump(f.events, (kind, d.municipality, month), sign)
    _bump(f.event_sizes, (kind, d.participants, month), sign)


def _evaluation(f: YearFacts, d: EvaluationReceivedView, day: str, sign: int) -> None:
    ct, month, scores = d.course_type, day[:7], f.evaluation_scores
    _bump(scores, (ct, "nps", d.nps, month), sign)
    _bump(scores, (ct, "satisfaction", d.satisfaction, month), sign)
    _bump(scores, (ct, "competence", d.consultant_competence, month), sign)
    _bump(f.evaluation_effects, (ct, _effect_set(d.effect), month), sign)


def _effect_measurement(f: YearFacts, d: EffectMeasurementReportedView, _day: str, sign: int) -> None:
    key = (
        d.measure,
        d.published_on,
        float(d.customers_growth_pct),
        float(d.control_growth_pct),
        d.companies,
        d.control_companies,
        d.source,
    )
    _bump(f.effect_measurements, key, sign)


def _official_figure(f: YearFacts, d: OfficialFigureReportedView, _day: str, sign: int) -> None:
    _bump(f.official_figures, (d.target, d.published_on, float(d.value), d.source, d.note), sign)


# --- evaluations placed by the course they follow -------------------------------------------------------
_DAYS: dict[str, str] = {}  # each ISO day once: the days kept per company share their string objects
_EFFECT_SETS: dict[frozenset[str], frozenset[str]] = {}  # each of the (at most 31) answer sets once


def _effect_set(answers: Sequence[str]) -> frozenset[str]:
    found = frozenset(answers)
    return _EFFECT_SETS.setdefault(found, found)


def _course_day(facts: LogFacts, house: str, d: CourseCompletedView, day: str, sign: int) -> None:
    """Keep the day of a company's course of an evaluated type; re-place its answers, if it has any."""
    assert d.company_cvr is not None
    book = facts.evaluations
    days = book.course_days.get((house, d.course_type))
    if days is None:
        days = book.course_days[(house, d.course_type)] = {}
    company = int(d.company_cvr)
    day = _DAYS.setdefault(day, day)
    held = days.get(company)
    if sign > 0:
        if held is None:
            days[company] = day
        elif isinstance(held, str):
            days[company] = sorted((held, day))
        else:
            insort(held, day)
    elif held is None or isinstance(held, str):
        del days[company]
        if not days:
            del book.course_days[(house, d.course_type)]
    else:
        held.remove(day)
        if len(held) == 1:
            days[company] = held[0]
    if (house, d.course_type, company) in book.answers:
        _place(facts, house, d.course_type, company)


def _answer(facts: LogFacts, house: str, d: EvaluationReceivedView, day: str, sign: int, position: int) -> None:
    book = facts.evaluations
    key = (house, d.course_type, int(d.company_cvr))
    answer: Answer = (
        _DAYS.setdefault(day, day),
        position,
        d.nps,
        d.satisfaction,
        d.consultant_competence,
        _effect_set(d.effect),
    )
    given = book.answers.get(key)
    if sign > 0:
        if given is None:
            book.answers[key] = [answer]
        else:
            insort(given, answer)
    else:
        assert given is not None
        given.remove(answer)
        if not given:
            del book.answers[key]
    _place(facts, house, d.course_type, key[2])


def _place(facts: LogFacts, house: str, course_type: str, company: int) -> None:
    """Recompute what a company's answers of one course type count, and move the tallies to match
    (only what changed: a new answer moves one or two contributions, not all of the company's)."""
    book = facts.evaluations
    key = (house, course_type, company)
    by_company = book.course_days.get((house, course_type))
    held = None if by_company is None else by_company.get(company)
    given = book.answers.get(key, ())
    before = book.counted.pop(key, ())
    if not before and len(given) == 1 and (held is None or isinstance(held, str)):  # a first answer
        answer = given[0]
        matched = held is not None and held <= answer[0]
        first: Counted = (int(held[:4]) if matched else None, answer[0][:7], None, answer)  # type: ignore[index]
        book.counted[key] = (first,)
        _count(facts, house, course_type, company, first, 1)
        return
    now: list[Counted] = []
    if len(given) == 1 and (held is None or isinstance(held, str)):  # the common case: one of each
        answer = given[0]
        matched = held is not None and held <= answer[0]
        now.append((int(held[:4]) if matched else None, answer[0][:7], None, answer))  # type: ignore[index]
    else:
        days = [] if held is None else [held] if isinstance(held, str) else held
        groups: dict[int | None, list[Answer]] = {}
        for answer in given:
            i = bisect_right(days, answer[0])
            groups.setdefault(int(days[i - 1][:4]) if i else None, []).append(answer)
        for course_year, answers in groups.items():
            if course_year is None:
                now.extend((None, a[0][:7], None, a) for a in answers)
                continue
            for i, answer in enumerate(answers):  # in answer order: each counts until the next one
                start = answer[0][:7]
                end = answers[i + 1][0][:7] if i + 1 < len(answers) else None
                if start != end:
                    now.append((course_year, start, end, answer))
    if now:
        book.counted[key] = tuple(now)
    if len(before) == len(now) and all(a == b for a, b in zip(before, now, strict=True)):
        return
    gone, come = list(before), []
    for item in now:
        if item in gone:
            gone.remove(item)
        else:
            come.append(item)
    for item in gone:
        _count(facts, house, course_type, company, item, -1)
    for item in come:
        _count(facts, house, course_type, company, item, 1)


def _count(facts: LogFacts, house: str, ct: str, company: int, item: Counted, sign: int) -> None:
    course_year, start, end, (day, _p, nps, satisfaction, competence, effect) = item
    key = (house, course_year if course_year is not None else int(day[:4]))
    year = facts.years.get(key)
    if year is None:
        year = facts.years[key] = YearFacts()
    if course_year is None:
        _bump(year.unmatched, (ct, str(company), day), sign)
    else:
        scores = year.counted_scores
        _bump(scores, (ct, "nps", nps, start, end), sign)
        _bump(scores, (ct, "satisfaction", satisfaction, start, end), sign)
        _bump(scores, (ct, "competence", competence, start, end), sign)
        _bump(year.counted_effects, (ct, effect, start, end), sign)
        if end is None:
            latest = year.latest_scores
            _bump(latest, (ct, "nps", nps, ""), sign)
            _bump(latest, (ct, "satisfaction", satisfaction, ""), sign)
            _bump(latest, (ct, "competence", competence, ""), sign)
            _bump(year.latest_effects, (ct, effect, ""), sign)
    if sign < 0 and year.is_empty():
        del facts.years[key]


def _agreement(f: YearFacts, d: AgreementSignedView, day: str, sign: int) -> None:
    _bump(f.agreements, (d.agreement_kind, d.municipality, day[:7]), sign)


def _staff(f: YearFacts, d: StaffDesignatedView, day: str, sign: int) -> None:
    _bump(f.staff, (d.role, d.consultant, day[:7]), sign)


def _milestone(f: YearFacts, d: MilestoneReachedView, day: str, sign: int) -> None:
    _bump(f.milestones, (d.milestone, day), sign)


Handler = Callable[[YearFacts, V, str, int], None]


def _on(view: type[V], handler: Handler[V]) -> tuple[type[tuple[Any, ...]], Handler[Any]]:
    """Pair a handler with the view it reads (mypy checks that the two agree)."""
    return view, handler


_BY_VIEW = dict(
    [
        _on(CourseCompletedView, _course),
        _on(CompanyReferredView, _referral),
        _on(MeetingHeldView, _meeting),
        _on(NewsletterSentView, _newsletter),
        _on(EventHeldView, _event_held),
        _on(EvaluationReceivedView, _evaluation),
        _on(AgreementSignedView, _agreement),
        _on(StaffDesignatedView, _staff),
        _on(MilestoneReachedView, _milestone),
        _on(EffectMeasurementReportedView, _effect_measurement),
        _on(OfficialFigureReportedView, _official_figure),
    ]
)
# Stable type string → handler; the types without one (retraction, period.closed) fold to nothing.
_HANDLERS: dict[str, Handler[Any]] = {t: _BY_VIEW[view] for t, view in VIEWS.items() if view in _BY_VIEW}
