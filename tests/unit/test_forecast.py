"""The forecast of where the year will end (projections/forecast.py), by hand-computed cases: a flat
year without history, a seasonal year with an earlier year's pattern, rates from the answers so far."""

from __future__ import annotations

from datetime import date

from ehsj_core.contract.loader import parse_contract
from ehsj_core.projections.forecast import elapsed, forecast_target, profile_at
from ehsj_core.projections.moment import AsOf, FactsAt
from ehsj_core.projections.municipalities import municipality_figures
from ehsj_core.projections.status import goal_statuses
from ehsj_core.reports.data import municipality_outlook
from tests.unit.builders import (
    CONTRACT_FILE,
    contract,
    courses,
    evaluated,
    facts_2019,
    fold,
    fold_one,
    goal_and_target,
    milestone,
    short,
)

END_OF_JUNE = date(2019, 6, 30)  # day 181 of 365: 181 / 365 = 0.495890… of the year


def _forecast(goal_id: str, key: str, facts, actual, on=END_OF_JUNE, history=()):
    _goal, target = goal_and_target(goal_id, key)
    return forecast_target(target, facts, actual, contract(), on, on.isoformat()[:7], history)


def test_the_share_of_the_year_and_a_profile_within_a_month():
    assert elapsed(2019, END_OF_JUNE) == 181 / 365
    assert elapsed(2019, date(2018, 12, 31)) == 0.0 and elapsed(2019, date(2020, 1, 1)) == 1.0
    monthly = [0.0, 0.0, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 1.0, 1.0, 1.0]
    assert profile_at(monthly, date(2019, 6, 30)) == 0.3
    assert abs(profile_at(monthly, date(2019, 10, 15)) - (0.3 + 0.7 * 15 / 31)) < 1e-12


def test_a_flat_year_without_history_carries_its_own_rate_to_the_year_end():
    f = _forecast("1", "short_courses", facts_2019([short(on=date(2019, 3, 5)) for _ in range(200)]), 200)
    assert f is not None and f.method == "own_rate" and f.history_years == ()
    # 200 / (181/365) = 403.31… → 403.3; still to come 203.31; odds (1 − s) / s = 1.01657; spread
    # √(203.31 + 200 × 1.01657² + (0.25 × 203.31)²) = √(203.31 + 206.68 + 2583.5) = 54.71;
    # 10–90 %: 403.31 ∓ 1.2816 × 54.71 = 333.2 … 473.4, the target 400 inside: "usikker".
    assert (f.value, f.low, f.high) == (403.3, 333.2, 473.4)
    assert (f.word, f.word_label) == ("uncertain", "usikker")
    # (400 − 200) over the 184 days (26.29 weeks) left: 7.6 a week
    assert f.needed_per_week == 7.6


def test_a_seasonal_year_follows_the_earlier_years_pattern_where_the_straight_line_would_say_missed():
    earlier = fold([short(on=date(2018, 3, 5)) for _ in range(30)] + [short(on=date(2018, 10, 5)) for _ in range(70)])
    history = [(2018, earlier.year("sjaelland", 2018))]  # 30 % by March, the rest in October
    this_year = facts_2019([short(on=date(2019, 3, 5)) for _ in range(120)])
    seasonal = _forecast("1", "short_courses", this_year, 120, history=history)
    assert seasonal is not None and seasonal.method == "history" and seasonal.history_years == (2018,)
    # by 30 June 2018 had 30 % of its year: 120 / 0.3 = 400; to come 280; odds 0.7 / 0.3 = 2.333; spread
    # √(280 + 120 × 2.333² + (0.2 × 280)²) = √(280 + 653.3 + 3136) = 63.79 → 400 ∓ 81.76 = 318.2 … 481.8
    assert (seasonal.value, seasonal.low, seasonal.high, seasonal.word) == (400.0, 318.2, 481.8, "uncertain")
    straight = _forecast("1", "short_courses", this_year, 120)
    assert straight is not None  # 120 / 0.4959 = 242.0: the whole range under 400
    assert (straight.value, straight.word, straight.word_label) == (242.0, "expected_missed", "forventes ikke opfyldt")


def test_nothing_counted_yet_reaches_only_the_poisson_bound():
    # 0 by 30 June: the rate is below 2.3026 / 0.4959 a year (90 %), so at most 2.3026 × 0.5041 / 0.4959
    # = 2.34 are likely to come: a single seminar may still happen, 400 courses will not.
    seminar = _forecast("8", "strategy_seminar", facts_2019(), 0)
    assert seminar is not None and (seminar.value, seminar.low, seminar.high) == (0.0, 0.0, 2.3)
    assert seminar.word == "uncertain" and seminar.needed_per_week == 0.04  # 1 over 26.3 weeks
    courses = _forecast("1", "short_courses", facts_2019(), 0)
    assert courses is not None and courses.word == "expected_missed"


def test_a_count_reached_is_expected_met_and_needs_nothing_more():
    f = _forecast("1", "short_courses", facts_2019([short(on=date(2019, 3, 5)) for _ in range(420)]), 420)
    assert f is not None and f.word == "expected_met" and f.low >= 420 and f.needed_per_week == 0.0


def test_a_rate_is_forecast_from_the_answers_so_far_and_those_still_to_come():
    answers = [evaluated(satisfaction=5 if i < 9 else 2, on=date(2019, 5, 1)) for i in range(10)]
    f = _forecast("1", "action_plan_satisfaction", facts_2019(answers), 90.0)
    assert f is not None and f.method == "answers"
    # 10 answers by 30 June → 20.17 by the year end, 10.17 to come; one answer's variance with one yes
    # and one no added: (10/12)(2/12) × 100² = 1388.9; sd = √(1388.9 × (0.5041²/10 + 10.17/20.17²)) = 8.37
    # → 90 ∓ 10.72 = 79.3 … 100 (capped): the target 80 inside.
    assert (f.value, f.low, f.high, f.word) == (90.0, 79.3, 100.0, "uncertain")
    # the 10.17 answers to come need (80 × 20.17 − 900) / 10.17 = 70.2 % satisfied
    assert f.needed_share_pct == 70.2


def test_an_nps_is_forecast_with_the_spread_of_its_plus_zero_minus_answers():
    answers = [evaluated(nps=10 if i < 6 else 8 if i < 8 else 3, on=date(2019, 5, 1)) for i in range(10)]
    f = _forecast("3", "nps", facts_2019(answers), 40)
    assert f is not None
    # 6 promoters, 2 detractors: NPS 40; per answer (with one of each added) (10/12) − (4/12)² = 0.7222
    # → sd = 100 × √(0.7222 × 0.050411) = 19.08 → 40 ∓ 24.45 = 15.5 … 64.5
    assert (f.value, f.low, f.high, f.word) == (40.0, 15.5, 64.5, "uncertain")
    assert f.needed_share_pct == 79.7  # the NPS the answers to come need: (60 × 20.17 − 400) / 10.17
    after = _forecast("3", "nps", facts_2019(answers), 40, on=date(2020, 1, 31))
    assert after is not None and (after.method, after.low, after.high, after.word) == (
        "final",
        40.0,
        40.0,
        "expected_missed",
    )


def test_no_answers_milestones_and_the_geography_are_not_forecast_and_the_status_carries_the_forecast():
    empty = facts_2019()
    assert _forecast("3", "nps", empty, None) is None
    assert _forecast("8", "strategy_2020_draft", facts_2019(milestone("8.strategy_2020_draft")), 1) is None
    assert _forecast("5B", "geographic_spread", empty, None) is None
    goals = goal_statuses(contract(), facts_2019([short(on=date(2019, 3, 5)) for _ in range(200)]), END_OF_JUNE)
    shorts = goals[0].targets[0]
    assert shorts.forecast is not None and shorts.forecast.value == 403.3
    assert shorts.as_dict()["forecast"]["word_label"] == "usikker"


def test_the_facts_at_a_moment_hand_the_earlier_years_of_the_house_to_the_forecast():
    log = fold([short(on=date(2018, 3, 5)) for _ in range(30)] + [short(on=date(2018, 10, 5)) for _ in range(70)])
    for _ in range(120):
        fold_one(log, short(on=date(2019, 3, 5)))
    loaded = parse_contract(CONTRACT_FILE.read_text(encoding="utf-8"), CONTRACT_FILE.name)
    moment = FactsAt(loaded, log, AsOf(220, END_OF_JUNE, None))
    assert [y for y, _f in moment.history()] == [2018]
    shorts = moment.status().goals[0].targets[0]
    assert shorts.forecast is not None and (shorts.forecast.method, shorts.forecast.value) == ("history", 400.0)


def test_the_chiefs_outlook_carries_the_municipalitys_share_to_the_year_end():
    facts = facts_2019(courses(10, "action_plan", "Roskilde"), courses(90, "action_plan", "Lolland", first=10))
    roskilde = next(m for m in municipality_figures(contract(), facts) if m.name == "Roskilde")
    outlook = municipality_outlook(roskilde, 100, 2019, END_OF_JUNE)
    # 10 and 100 by 30 June (181/365 of the year): 20.17 and 201.66 by 31 December, a share of 10.0 %
    # against Roskilde's 10.51 % of the population: 201.66 × 10.51 % − 20.17 = 1.03 more courses needed.
    assert (outlook.expected_year_end, outlook.expected_total, outlook.expected_share_pct) == (20.2, 201.7, 10.0)
    assert (outlook.population_share_pct, outlook.short_of_share) == (10.51, 1.0)


def test_a_flat_earlier_year_gives_the_straight_line_by_its_months():
    # 2018 had 10 courses in every month: by 30 June, 60 of 120 = 0.5 of its year (not 181/365).
    earlier = fold([short(on=date(2018, m, 10)) for m in range(1, 13) for _ in range(10)])
    f = _forecast(
        "1",
        "short_courses",
        facts_2019([short(on=date(2019, 3, 5)) for _ in range(200)]),
        200,
        history=[(2018, earlier.year("sjaelland", 2018))],
    )
    assert f is not None and (f.method, f.history_years) == ("history", (2018,))
    # 200 / 0.5 = 400; to come 200; odds 1; spread √(200 + 200 × 1 + (0.2 × 200)²) = √2000 = 44.72
    # → 400 ∓ 57.3 = 342.7 … 457.3
    assert (f.value, f.low, f.high, f.word) == (400.0, 342.7, 457.3, "uncertain")
