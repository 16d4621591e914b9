"""The measurement rules of the contract, computed from one year's facts. Pure functions.

Every metric takes `until`, a month "YYYY-MM" or None: with it, only what occurred in or before that
month counts, so a quarterly report shows the quarter's end without a second fold of the log.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction
from typing import Any, TypeVar

from ehsj_core.contract.model import Contract, MetricParams
from ehsj_core.projections.facts import YearFacts

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


def newsletters(f: YearFacts, _p: MetricParams, _c: Contract, until: str | None) -> int:
    return sum(n for _k, n in _upto(f.newsletters, until))


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


def answers(f: YearFacts, course_types: tuple[str, ...], question: str, until: str | None) -> Counter[int]:
    """score → number of evaluations answering it, over the given course types; `question` is
    "nps", "satisfaction" or "competence"."""
    types = set(course_types)
    out: Counter[int] = Counter()
    for (ct, q, score, _m), n in _upto(f.evaluation_scores, until):
        if ct in types and q == question:
            out[score] += n
    return out


def effect_answers(f: YearFacts, course_types: tuple[str, ...], until: str | None) -> Counter[frozenset[str]]:
    """The set of distinct answers to the 7 effect questions → number of evaluations."""
    types = set(course_types)
    out: Counter[frozenset[str]] = Counter()
    for (ct, combo, _m), n in _upto(f.evaluation_effects, until):
        if ct in types:
            out[combo] += n
    return out


def evaluation_rate(f: YearFacts, p: MetricParams, c: Contract, until: str | None) -> float | None:
    """Share of evaluations answering 4–5 (satisfaction, competence) or with effect experienced."""
    question = p.question or "satisfaction"
    if question == "effect":
        combos = effect_answers(f, p.course_types, until)
        yes = set(c.rules.effect_answers)
        return pct(sum(n for combo, n in combos.items() if yes & combo), combos.total())
    least = c.rules.satisfaction_min_score if question == "satisfaction" else c.rules.competence_min_score
    counts = answers(f, p.course_types, question, until)
    return pct(sum(n for score, n in counts.items() if score >= least), counts.total())


def nps(f: YearFacts, p: MetricParams, c: Contract, until: str | None) -> int | None:
    """round(100 × (promoters − detractors) / answers), rounded half up."""
    counts = answers(f, p.course_types, "nps", until)
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
}
