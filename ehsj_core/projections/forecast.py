"""Where the year will end: a forecast for each count and rate target, as of any moment. Pure.

The straight line of `expected_by_now` says where a count should be today if the year ran evenly; it
does not. Courses arrive slowly in July and the last weeks of December and briskly in the autumn, so
this module asks instead where the year will *end*, and how sure that is.

**Counts** (`count`, `range`). The share of a year's total that has arrived by a day is the year's
*profile*. Where the log holds earlier contract years of the house, the profile is theirs, month by
month (the same target's metric and parameters on each earlier year's facts), averaged over the
years and interpolated within the month; without history it is the share of the year elapsed (the
year's own weekly rate carried forward). The expected year-end value is the count so far divided by
the profile at the day. Its range (the 10th–90th percentile, assuming a normal spread) adds three
uncertainties: the events still to come arrive at random (Poisson: variance = the number expected),
the rate behind them is itself estimated from the count so far (variance count × ((1 − s) / s)² at
a profile share s), the rest of the year may run faster or slower than the profile says (a relative
error of `PACE_ERROR` of what is still to come, larger without history: `PACE_ERROR_WITHOUT_HISTORY`),
and the earlier years disagree with each other (the spread of the forecasts their profiles give one
by one). A range never goes below what has been counted already. With nothing counted yet, nothing
is expected, and the range reaches the Poisson bound: a rate that gave 0 in a share s of the year is
below −ln(0.1) / s a year with 90 % confidence, so at most 2.30 × (1 − s) / s are likely to come.

**Rates** (`rate`, `score`: satisfaction, competence, effect, NPS, referral shares). The figure so far
is the best guess of the year-end figure; what is uncertain is what the answers still to come will
say. The number of answers expected by the year end follows the answers' own pace (as a count
without history). The final figure mixes the answers given (fixed) with those to come, whose share
of yes answers is uncertain both as an estimate from the answers so far and as a sample of its own:
var(final) = v × ((m/N)² / n + m / N²), with n answers so far, m to come, N = n + m, and v the
variance of one answer (a share p: p(1 − p), with one yes and one no added so that 0 % or 100 % is
not certain; NPS: the variance of +1/0/−1 per answer). No answers yet: no forecast.

Not forecast: milestones (met or not), the geographic deviation and Erhvervsstyrelsen's growth
measurements (judged from data that arrive after the year). Once the year is over, the forecast is
the figure itself.

**Words.** "forventes opfyldt" when the whole range meets the target, "forventes ikke opfyldt" when
none of it does, "usikker" when the target lies inside the range. **Needed from now**: for a count,
how many a week the remaining weeks need to reach the target; for a rate, the figure the remaining
answers need to have (above 100 %: out of reach by those answers alone).

The bench (`bench/forecast.py`) tests the method against the past: the demo year and a year of
another seasonal pattern, forecast at every month end from March to November.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from ehsj_core.contract.model import Contract, Target
from ehsj_core.projections.facts import YearFacts
from ehsj_core.projections.metrics import METRICS, answers, effect_answers, round_half_up

Word = Literal["expected_met", "uncertain", "expected_missed"]
WORDS: dict[str, str] = {
    "expected_met": "forventes opfyldt",
    "uncertain": "usikker",
    "expected_missed": "forventes ikke opfyldt",
}
Z_90 = 1.2816  # the 90th percentile of the standard normal: the range is the 10th–90th percentile
ZERO_UPPER = 2.3026  # −ln(0.1): the 90 % upper bound of a Poisson rate after a count of 0, per unit of time
PACE_ERROR = 0.20  # relative error of what is still to come, when earlier years give the profile
PACE_ERROR_WITHOUT_HISTORY = 0.25  # … when the year's own rate is all there is
COUNT_KINDS = ("count", "range")
RATE_METRICS = ("evaluation_rate", "nps", "referral_rate")
History = Sequence[tuple[int, YearFacts]]  # earlier contract years of the house: (year, facts)


@dataclass(frozen=True)
class Forecast:
    value: float  # the expected figure at the year end
    low: float  # 10th percentile
    high: float  # 90th percentile
    word: Word
    needed_per_week: float | None  # counts: how many a week the rest of the year needs (0: reached)
    needed_share_pct: float | None  # rates: the figure the answers still to come need
    method: str  # "history" (earlier years' profile), "own_rate", "answers", "final"
    history_years: tuple[int, ...]

    @property
    def word_label(self) -> str:
        return WORDS[self.word]


def month_end(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)


def elapsed(year: int, on_date: date) -> float:
    """The share of the year elapsed by the end of `on_date` (0–1)."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    if on_date < start:
        return 0.0
    if on_date >= end:
        return 1.0
    return ((on_date - start).days + 1) / ((end - start).days + 1)


def profile_at(monthly: Sequence[float], on_date: date) -> float:
    """The cumulative share at `on_date` of a profile given at each month end (12 shares, the last
    1.0), interpolated linearly within the month."""
    month = on_date.month
    before = monthly[month - 2] if month > 1 else 0.0
    last = month_end(on_date.year, month).day
    return before + (monthly[month - 1] - before) * on_date.day / last


def _monthly_counts(target: Target, facts: YearFacts, year: int, contract: Contract) -> list[float]:
    metric = METRICS[target.metric]
    return [float(metric(facts, target.params, contract, f"{year}-{m:02d}") or 0) for m in range(1, 13)]


def history_profiles(target: Target, history: History, contract: Contract) -> list[tuple[int, list[float]]]:
    """Each earlier year's profile of the target (cumulative share at each month end), where the year
    counted anything."""
    out = []
    for year, facts in history:
        counts = _monthly_counts(target, facts, year, contract)
        if counts[-1] > 0:
            out.append((year, [c / counts[-1] for c in counts]))
    return out


def _word(low: float, high: float, target: Target) -> Word:
    least = target.target if target.kind != "range" else target.target_min
    most = target.target_max if target.kind == "range" else None
    assert least is not None
    if low >= least and (most is None or high <= most):
        return "expected_met"
    if high < least or (most is not None and low > most):
        return "expected_missed"
    return "uncertain"


def forecast_count(
    target: Target, actual: float, on_date: date, year: int, history: History, contract: Contract
) -> Forecast:
    least = target.target if target.kind == "count" else target.target_min
    assert least is not None
    weeks_left = max(0.0, (date(year, 12, 31) - on_date).days / 7)
    per_week = None if weeks_left == 0 else max(0.0, least - actual) / weeks_left
    needed = None if per_week is None else round_half_up(per_week, 1 if per_week >= 1 else 2)
    if on_date >= date(year, 12, 31):
        return Forecast(actual, actual, actual, _word(actual, actual, target), needed, None, "final", ())
    profiles = history_profiles(target, history, contract)
    if profiles:
        shares = [profile_at(p, on_date) for _y, p in profiles]
        share, method, pace_error = sum(shares) / len(shares), "history", PACE_ERROR
    else:
        share, method, pace_error = elapsed(year, on_date), "own_rate", PACE_ERROR_WITHOUT_HISTORY
    if actual == 0:
        # Nothing counted in a share s of the year: the rate's 90 % upper bound is −ln(0.1) / s a year
        # (Poisson), so at most 2.30 × (1 − s) / s are likely still to come.
        value, low = 0.0, 0.0
        high = math.inf if share <= 0 else ZERO_UPPER * (1 - share) / share
    else:
        odds = (1 - share) / share if share > 0 else math.inf
        value = actual / share if share > 0 else math.inf
        remaining = value - actual
        each = [actual / s for s in shares if s > 0] if profiles else []
        disagreement = _sd(each) if len(each) > 1 else 0.0
        # arrivals at random + the rate estimated from `actual` + the pace + the years' disagreement
        spread = math.sqrt(remaining + actual * odds**2 + (pace_error * remaining) ** 2 + disagreement**2)
        low = max(actual, value - Z_90 * spread)
        high = value + Z_90 * spread
    if math.isinf(high):
        return Forecast(0.0, actual, actual, "uncertain", needed, None, method, tuple(y for y, _p in profiles))
    years = tuple(y for y, _p in profiles)
    return Forecast(
        round_half_up(value, 1),
        round_half_up(low, 1),
        round_half_up(high, 1),
        _word(low, high, target),
        needed,
        None,
        method,
        years,
    )


def _sd(values: Sequence[float]) -> float:
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


@dataclass(frozen=True)
class _Answers:
    n: int  # answers (or companies) so far
    value: float  # the figure so far, in the target's unit (% or NPS)
    variance: float  # of one answer, in the unit squared
    yes: float  # the sum so far in the unit: n × value


def _answers(target: Target, facts: YearFacts, contract: Contract, until: str | None) -> _Answers | None:
    p, rules = target.params, contract.rules
    if target.metric == "nps":
        counts = answers(facts, p.course_types, "nps", until, rules)
        n = counts.total()
        if n == 0:
            return None
        promoters = sum(c for s, c in counts.items() if s >= rules.nps_promoter_min)
        detractors = sum(c for s, c in counts.items() if s <= rules.nps_detractor_max)
        mean = (promoters - detractors) / n
        # one answer is +100, 0 or −100; one promoter and one detractor added, so 0 spread is not certain
        spread = (promoters + detractors + 2) / (n + 2) - ((promoters - detractors) / (n + 2)) ** 2
        return _Answers(n, 100 * mean, 100**2 * spread, 100 * mean * n)
    if target.metric == "referral_rate":
        ct = p.course_types[0]
        n = sum(c for (t, m), c in facts.companies_with_course.items() if t == ct and (until is None or m <= until))
        k = sum(c for (t, m), c in facts.companies_referred.items() if t == ct and (until is None or m <= until))
    elif p.question == "effect":
        combos = effect_answers(facts, p.course_types, until, rules)
        n, k = combos.total(), sum(c for combo, c in combos.items() if set(rules.effect_answers) & combo)
    else:
        counts = answers(facts, p.course_types, p.question or "satisfaction", until, rules)
        least = rules.satisfaction_min_score if p.question == "satisfaction" else rules.competence_min_score
        n, k = counts.total(), sum(c for s, c in counts.items() if s >= least)
    if n == 0:
        return None
    share = (k + 1) / (n + 2)  # one yes and one no added: 0 % or 100 % so far is not certain
    return _Answers(n, 100 * k / n, 100**2 * share * (1 - share), 100 * k)


def forecast_rate(
    target: Target, facts: YearFacts, on_date: date, year: int, contract: Contract, until: str | None
) -> Forecast | None:
    so_far = _answers(target, facts, contract, until)
    if so_far is None:
        return None
    assert target.target is not None
    fraction = elapsed(year, on_date)
    if fraction >= 1:
        v = so_far.value
        final = round_half_up(v, 1)
        return Forecast(final, final, final, _word(v, v, target), None, None, "final", ())
    total = max(float(so_far.n), so_far.n / fraction) if fraction > 0 else float(so_far.n)
    to_come = total - so_far.n
    sd = math.sqrt(so_far.variance * ((to_come / total) ** 2 / so_far.n + to_come / total**2))
    low = max(-100.0 if target.kind == "score" else 0.0, so_far.value - Z_90 * sd)
    high = min(100.0, so_far.value + Z_90 * sd)
    needed = None if to_come < 1 else round_half_up((target.target * total - so_far.yes) / to_come, 1)
    return Forecast(
        round_half_up(so_far.value, 1),
        round_half_up(low, 1),
        round_half_up(high, 1),
        _word(low, high, target),
        None,
        needed,
        "answers",
        (),
    )


def forecast_target(
    target: Target,
    facts: YearFacts,
    actual: float | int | None,
    contract: Contract,
    on_date: date,
    until: str | None = None,
    history: History = (),
) -> Forecast | None:
    """The forecast of one target of `contract.year`, judged on `on_date` from what counted by then
    (`until`: the month the figures were cut at); None where the target is not forecast."""
    year = contract.year
    if on_date < date(year, 1, 1):
        return None
    if target.kind in COUNT_KINDS:
        return forecast_count(target, float(actual or 0), min(on_date, date(year, 12, 31)), year, history, contract)
    if target.kind in ("rate", "score") and target.metric in RATE_METRICS:
        return forecast_rate(target, facts, min(on_date, date(year, 12, 31)), year, contract, until)
    return None
