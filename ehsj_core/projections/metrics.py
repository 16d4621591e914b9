"""The measurement rules of the contract, computed from one year's facts. Pure functions.

Every metric takes `until`, a month "YYYY-MM" or None: with it, only what occurred in or before that
month counts, so a quarterly report shows the quarter's end without a second fold of the log.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, TypeVar

from ehsj_core.contract.model import Contract, MeasurementRules, MetricParams
from ehsj_core.projections.facts import CountedEffectKey, CountedScoreKey, YearFacts

Value = int | float | None
Metric = Callable[[YearFacts, MetricParams, Contract, str | None], Value]
K = TypeVar("K", bound=tuple[Any, ...])


def round_half_up(value: float | Fraction, places: int = 0) -> float:
    """Commercial rounding (12.5 → 13, -12.5 → -13), not Python's round-half-to-even.

    Pass exact values (a `Fraction`) where a half could be hidden by binary floating point:
    9.375 - 8.48 is 0.895 exactly, but 0.8949999999999996 as floats.
    """
    scaled = Fraction(value) * 10**places
    magnitude = math.floor(abs(scaled) + Fraction(1, 2))
    return float(Fraction(magnitude if scaled >= 0 else -magnitude, 10**places))


def pct(part: int, whole: int) -> float | None:
    return None if whole == 0 else round_half_up(Fraction(100 * part, whole), 1)


def deviation_pp(count: int, total: int, population_share_pct: float) -> float:
    """A municipality's share of the courses minus its share of the population, in points."""
    return round_half_up(Fraction(100 * count, total) - Fraction(str(population_share_pct)), 2)


def _upto(tally: Mapping[K, int], until: str | None) -> Iterable[tuple[K, int]]:
    """(key, count) of a tally whose last key part is a month, up to `until`."""
    rows = tally.items()
    return rows if until is None else [(k, n) for k, n in rows if k[-1] <= until]


def courses(f: YearFacts, p: MetricParams, _c: Contract, until: str | None) -> int:
    types = set(p.course_types)
    if p.topic:
        return sum(n for (ct, topic, _m), n in _upto(f.course_topics, until) if ct in types and topic == p.topic)
    return sum(n for (ct, _place, _m), n in _upto(f.courses, until) if ct in types)


def meetings(f: YearFacts, p: MetricParams, _c: Contract, until: str | None) -> int:
    kinds = set(p.meeting_kinds)
    return sum(n for (kind, _place, _m), n in _upto(f.meetings, until) if kind in kinds)


def meeting_municipalities(f: YearFacts, p: MetricParams, _c: Contract, until: str | None) -> int:
    kinds = set(p.meeting_kinds)
    return len({place for (kind, place, _m), _n in _upto(f.meetings, until) if kind in kinds and place})


def newsletters(f: YearFacts, p: MetricParams, _c: Contract, until: str | None) -> int:
    """Newsletters of the channel kinds the target names (goal 5B: through the local business
    councils); all newsletters when it names none."""
    kinds = set(p.channel_kinds)
    return sum(n for (_place, kind, _m), n in _upto(f.newsletters, until) if not kinds or kind in kinds)


def events(f: YearFacts, p: MetricParams, _c: Contract, until: str | None) -> int:
    kinds = set(p.event_kinds)
    if p.min_participants is not None:
        least = p.min_participants
        return sum(n for (kind, size, _m), n in _upto(f.event_sizes, until) if kind in kinds and size >= least)
    return sum(n for (kind, _place, _m), n in _upto(f.events, until) if kind in kinds)


def agreements(f: YearFacts, p: MetricParams, _c: Contract, until: str | None) -> int:
    kinds = set(p.agreement_kinds)
    return sum(n for (kind, _place, _m), n in _upto(f.agreements, until) if kind in kinds)


def staff(f: YearFacts, p: MetricParams, _c: Contract, until: str | None) -> int:
    return len({consultant for (role, consultant, _m), _n in _upto(f.staff, until) if role == p.role})


CK = TypeVar("CK", CountedScoreKey, CountedEffectKey)


def _counting(tally: Mapping[CK, int], until: str | None) -> Iterable[tuple[CK, int]]:
    """(key, count) of a counted-evaluations tally, as at the end of month `until` (None: now): the
    answers that were then each company's latest (their key ends in the months they count over)."""
    if until is None:
        return [(k, n) for k, n in tally.items() if k[-1] is None]
    return [(k, n) for k, n in tally.items() if k[-2] <= until and (k[-1] is None or k[-1] > until)]


def answers(
    f: YearFacts, course_types: tuple[str, ...], question: str, until: str | None, rules: MeasurementRules
) -> Counter[int]:
    """score → number of counted evaluations answering it, over the given course types; `question`
    is "nps", "satisfaction" or "competence". Which evaluations count is the contract's rule."""
    types = set(course_types)
    out: Counter[int] = Counter()
    if rules.evaluations == "per_company_in_course_year":
        if until is None:  # as of now: the latest answers alone, a small tally
            for (ct, q, score, _none), n in f.latest_scores.items():
                if ct in types and q == question:
                    out[score] += n
            return out
        for (ct, q, score, _start, _end), n in _counting(f.counted_scores, until):
            if ct in types and q == question:
                out[score] += n
        return out
    for (ct, q, score, _m), n in _upto(f.evaluation_scores, until):
        if ct in types and q == question:
            out[score] += n
    return out


def effect_answers(
    f: YearFacts, course_types: tuple[str, ...], until: str | None, rules: MeasurementRules
) -> Counter[frozenset[str]]:
    """The set of distinct answers to the 7 effect questions → number of counted evaluations."""
    types = set(course_types)
    out: Counter[frozenset[str]] = Counter()
    if rules.evaluations == "per_company_in_course_year":
        if until is None:
            for (ct, combo, _none), n in f.latest_effects.items():
                if ct in types:
                    out[combo] += n
            return out
        for (ct, combo, _start, _end), n in _counting(f.counted_effects, until):
            if ct in types:
                out[combo] += n
        return out
    for (ct, combo, _m), n in _upto(f.evaluation_effects, until):
        if ct in types:
            out[combo] += n
    return out


@dataclass(frozen=True)
class EffectParts:
    """The effect figure's two groups (seed L564–568), which add up to it: "høj påvirkning" — at
    least one "i høj grad" —, and "middel påvirkning" — at least one "i nogen grad" but none "i høj
    grad". The seed's "middel" counts every "i høj grad" or "i nogen grad"; summed as printed, the
    companies answering "i høj grad" would count twice, so the parts here do not overlap."""

    high_pct: float | None
    middle_pct: float | None
    answers: int


def effect_parts(f: YearFacts, p: MetricParams, c: Contract, until: str | None) -> EffectParts:
    combos = effect_answers(f, p.course_types, until, c.rules)
    high, yes = set(c.rules.effect_high_answers), set(c.rules.effect_answers)
    high_n = sum(n for combo, n in combos.items() if high & combo)
    middle_n = sum(n for combo, n in combos.items() if yes & combo and not high & combo)
    total = combos.total()
    return EffectParts(pct(high_n, total), pct(middle_n, total), total)


def evaluation_rate(f: YearFacts, p: MetricParams, c: Contract, until: str | None) -> float | None:
    """Share of evaluations answering 4–5 (satisfaction, competence) or with effect experienced."""
    question = p.question or "satisfaction"
    if question == "effect":
        combos = effect_answers(f, p.course_types, until, c.rules)
        yes = set(c.rules.effect_answers)
        return pct(sum(n for combo, n in combos.items() if yes & combo), combos.total())
    least = c.rules.satisfaction_min_score if question == "satisfaction" else c.rules.competence_min_score
    counts = answers(f, p.course_types, question, until, c.rules)
    return pct(sum(n for score, n in counts.items() if score >= least), counts.total())


def nps(f: YearFacts, p: MetricParams, c: Contract, until: str | None) -> int | None:
    """round(100 × (promoters − detractors) / answers), rounded half up."""
    counts = answers(f, p.course_types, "nps", until, c.rules)
    total = counts.total()
    if total == 0:
        return None
    promoters = sum(n for s, n in counts.items() if s >= c.rules.nps_promoter_min)
    detractors = sum(n for s, n in counts.items() if s <= c.rules.nps_detractor_max)
    return int(round_half_up(Fraction(100 * (promoters - detractors), total)))


def referral_rate(f: YearFacts, p: MetricParams, _c: Contract, until: str | None) -> float | None:
    """Distinct companies with a course of the type that were also referred from it, in the year."""
    ct = p.course_types[0]
    with_course = sum(n for (t, _m), n in _upto(f.companies_with_course, until) if t == ct)
    referred = sum(n for (t, _m), n in _upto(f.companies_referred, until) if t == ct)
    return pct(referred, with_course)


def specialised_by_municipality(
    f: YearFacts, course_types: tuple[str, ...], until: str | None = None
) -> dict[str, int]:
    types = set(course_types)
    out: dict[str, int] = {}
    for (ct, municipality, _m), n in _upto(f.courses, until):
        if ct in types:
            out[municipality] = out.get(municipality, 0) + n
    return out


def deviations_pp(
    f: YearFacts, course_types: tuple[str, ...], c: Contract, until: str | None = None
) -> dict[str, float] | None:
    """Per municipality: share of the courses minus share of the population, in points."""
    counts = specialised_by_municipality(f, course_types, until)
    total = sum(counts.values())
    if total == 0:
        return None
    return {m.name: deviation_pp(counts.get(m.name, 0), total, m.share_pct) for m in c.municipalities}


def geographic_deviation(f: YearFacts, p: MetricParams, c: Contract, until: str | None) -> float | None:
    deviations = deviations_pp(f, p.course_types, c, until)
    return None if deviations is None else max(abs(d) for d in deviations.values())


def milestone_reached_on(f: YearFacts, key: str, until: str | None = None) -> str | None:
    days = [day for k, day in f.milestones if k == key and (until is None or day[:7] <= until)]
    return min(days) if days else None


@dataclass(frozen=True)
class UnmatchedAnswer:
    course_type: str
    company_cvr: str
    answered_on: str  # ISO date


def unmatched_answers(f: YearFacts, until: str | None = None) -> list[UnmatchedAnswer]:
    """The answers given in the year that follow no course of their type for the company: they count
    nowhere (rule `per_company_in_course_year`), and are listed so that someone can find the course."""
    rows = [(ct, cvr, day) for (ct, cvr, day), n in f.unmatched.items() for _ in range(n)]
    return [UnmatchedAnswer(*row) for row in sorted(rows, key=lambda r: (r[2], r[0], r[1])) if _by(row[2], until)]


def _by(day: str, until: str | None) -> bool:
    return until is None or day[:7] <= until


@dataclass(frozen=True)
class GrowthComparison:
    """Erhvervsstyrelsen's latest measurement of one measure, and how it is judged."""

    measure: str
    customers_growth_pct: float
    control_growth_pct: float
    companies: int
    control_companies: int
    source: str
    published_on: str
    rule: str  # the contract's `growth_comparison`
    excess: float | None  # points, or relative %; None when relative and the control did not grow


def growth_comparison(f: YearFacts, measure: str, c: Contract, until: str | None) -> GrowthComparison | None:
    found = [k for k in f.effect_measurements if k[0] == measure and _by(k[1], until)]
    if not found:
        return None
    _m, published, customers, control, companies, control_companies, source = max(found, key=lambda k: k[1:])
    rule = c.rules.growth_comparison
    difference = Fraction(str(customers)) - Fraction(str(control))
    if rule == "points":
        excess: float | None = round_half_up(difference, 1)
    else:
        excess = None if control == 0 else round_half_up(100 * difference / abs(Fraction(str(control))), 1)
    return GrowthComparison(measure, customers, control, companies, control_companies, source, published, rule, excess)


def growth_vs_control(f: YearFacts, p: MetricParams, c: Contract, until: str | None) -> float | None:
    assert p.measure is not None
    found = growth_comparison(f, p.measure, c, until)
    return None if found is None else found.excess


@dataclass(frozen=True)
class OfficialFigure:
    value: float
    source: str
    published_on: str
    note: str | None


def official_figure(f: YearFacts, target: str, until: str | None = None) -> OfficialFigure | None:
    """The latest figure Erhvervsstyrelsen published for `target` ("<goal>.<key>"), if any."""
    found = [k for k in f.official_figures if k[0] == target and _by(k[1], until)]
    if not found:
        return None
    _t, published, value, source, note = max(found, key=lambda k: (k[1], k[2], k[3], k[4] or ""))
    return OfficialFigure(value, source, published, note)


METRICS: dict[str, Metric] = {
    "courses": courses,
    "meetings": meetings,
    "meeting_municipalities": meeting_municipalities,
    "newsletters": newsletters,
    "events": events,
    "agreements": agreements,
    "staff": staff,
    "evaluation_rate": evaluation_rate,
    "nps": nps,
    "referral_rate": referral_rate,
    "geographic_deviation": geographic_deviation,
    "growth_vs_control": growth_vs_control,
}
