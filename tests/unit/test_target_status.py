"""Target status: pace, rates, fulfilment steps, ranges, milestones — against hand-computed figures.

The code under test is `ehsj_core.projections.status`, fed with the 2019 contract's own targets.
2019 has 365 days; day numbers: 31 March = 90 (31 + 28 + 31), 30 June = 181, 2 July = 183,
1 December = 335, 31 December = 365.
"""

from __future__ import annotations

import calendar
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ehsj_core.projections.municipalities import municipality_figures
from ehsj_core.projections.status import STATUS_LABELS, goal_statuses, target_status, year_fraction
from tests.unit.builders import (
    Ev,
    Folder,
    agreement,
    contract,
    course,
    courses,
    evaluated,
    evaluation,
    event_held,
    facts_2019,
    fold,
    goal_and_target,
    meeting,
    milestone,
    newsletter,
    referral,
    retraction,
    short,
    staff,
)

DURING = date(2019, 6, 30)
LAST_DAY = date(2019, 12, 31)
AFTER = date(2020, 1, 1)
BEFORE = date(2018, 12, 31)


def status(goal_id: str, key: str, facts, on: date, until: str | None = None):
    goal, target = goal_and_target(goal_id, key)
    return target_status(target, goal, facts, contract(), on, until)


# --------------------------------------------------------------------------------------------------
# year_fraction and pace of count targets
# --------------------------------------------------------------------------------------------------


def test_year_fraction_is_the_share_of_days_elapsed_by_the_end_of_the_date():
    assert year_fraction(2019, BEFORE) == 0.0
    assert year_fraction(2019, date(2019, 1, 1)) == pytest.approx(1 / 365, rel=1e-12)
    assert year_fraction(2019, date(2019, 7, 2)) == pytest.approx(183 / 365, rel=1e-12)
    assert year_fraction(2019, LAST_DAY) == 1.0
    assert year_fraction(2019, date(2020, 6, 1)) == 1.0


def test_year_fraction_counts_366_days_in_a_leap_year():
    # 29 February 2020 is day 31 + 29 = 60 of 366.
    assert year_fraction(2020, date(2020, 2, 29)) == pytest.approx(60 / 366, rel=1e-12)
    assert year_fraction(2020, date(2020, 12, 31)) == 1.0


def test_a_count_below_the_pace_is_behind():
    # 400 × 183 / 365 = 73200 / 365 = 200.547… → one decimal, half up → 200.5; 200 < 200.5.
    s = status("1", "short_courses", facts_2019([short() for _ in range(200)]), date(2019, 7, 2))
    assert s.expected_by_now == 200.5
    assert s.actual == 200
    assert s.status == "behind"
    assert s.status_label == "bagud"


def test_a_count_above_the_pace_is_on_track():
    # 201 ≥ 200.5 (as above).
    s = status("1", "short_courses", facts_2019([short() for _ in range(201)]), date(2019, 7, 2))
    assert s.expected_by_now == 200.5
    assert s.status == "on_track"
    assert s.status_label == "i rute"


def test_a_count_exactly_at_the_pace_is_on_track():
    # 31 March is day 90: 300 × 90 / 365 = 73.97… → 74.0; 74 action plans are at the pace, 73 below it.
    at_pace = status("1", "action_plans", facts_2019(courses(74)), date(2019, 3, 31))
    assert at_pace.expected_by_now == 74.0
    assert at_pace.status == "on_track"
    below = status("1", "action_plans", facts_2019(courses(73)), date(2019, 3, 31))
    assert below.status == "behind"


def test_a_count_that_reaches_its_target_during_the_year_is_met():
    # 15 development plans by 1 May (day 121): expected 15 × 121 / 365 = 4.97… → 5.0; 15 ≥ 15 → met.
    s = status("2", "development_plans", facts_2019(courses(15, "development_plan")), date(2019, 5, 1))
    assert s.actual == 15
    assert s.expected_by_now == 5.0
    assert s.status == "met"
    assert s.status_label == "opfyldt"


def test_an_unmet_count_is_missed_once_the_year_is_over():
    s = status("2", "development_plans", facts_2019(courses(14, "development_plan")), AFTER)
    assert s.expected_by_now == 15.0  # 15 × 1
    assert s.status == "missed"
    assert s.status_label == "ikke opfyldt"
    met = status("2", "development_plans", facts_2019(courses(15, "development_plan")), AFTER)
    assert met.status == "met"


def test_a_count_is_not_started_before_the_year():
    s = status("1", "short_courses", facts_2019(), BEFORE)
    assert s.expected_by_now == 0.0
    assert s.actual == 0
    assert s.status == "not_started"
    assert s.status_label == "ikke startet"


def test_a_count_target_of_one_still_at_zero_in_december_is_behind():
    # all_actors_meetings: target 1. On 1 December (day 335): 1 × 335 / 365 = 0.918 → 0.9.
    # domain.md, Pace: "a count target below it is 'behind'": 0 < 0.9 → behind
    # (the director is reminded when a goal falls behind; with one month left it has).
    s = status("5A", "all_actors_meetings", facts_2019(), date(2019, 12, 1))
    assert s.expected_by_now == 0.9
    assert s.status == "behind"


def test_a_count_status_carries_its_target_and_no_unit():
    s = status("1", "short_courses", facts_2019(), DURING)
    assert s.target == 400
    assert isinstance(s.target, int)
    assert s.unit is None
    assert s.kind == "count"
    assert s.label == "Korte forløb"
    assert s.fulfilment_pct is None


def test_council_presentations_in_sixteen_municipalities_miss_the_target_of_seventeen():
    names = [m.name for m in contract().municipalities]
    sixteen = facts_2019([meeting("council_presentation_offered", n) for n in names[:16]])
    assert status("5A", "council_presentations", sixteen, AFTER).status == "missed"
    seventeen = facts_2019([meeting("council_presentation_offered", n) for n in names])
    assert status("5A", "council_presentations", seventeen, DURING).status == "met"


def test_a_big_joint_event_of_ninety_nine_leaves_the_target_missed():
    small = status("10", "big_joint_event", facts_2019(event_held("joint_hovedstaden", participants=99)), AFTER)
    assert small.actual == 0
    assert small.status == "missed"
    big = status("10", "big_joint_event", facts_2019(event_held("joint_hovedstaden", participants=100)), AFTER)
    assert big.actual == 1
    assert big.status == "met"


# --------------------------------------------------------------------------------------------------
# Rate targets: on_track / behind during the year, met / missed after it
# --------------------------------------------------------------------------------------------------


def _satisfaction(yes: int, no: int):
    return facts_2019(
        [evaluated(satisfaction=5, company=i) for i in range(yes)]
        + [evaluated(satisfaction=2, company=100 + i) for i in range(no)]
    )


def test_a_rate_at_its_target_is_on_track_during_the_year_and_met_after_it():
    f = _satisfaction(4, 1)  # 4 of 5 = 80.0 %, target 80
    during = status("1", "action_plan_satisfaction", f, DURING)
    assert during.actual == 80.0
    assert during.status == "on_track"
    assert during.unit == "%"
    assert during.expected_by_now is None
    assert status("1", "action_plan_satisfaction", f, AFTER).status == "met"


def test_a_rate_below_its_target_is_behind_during_the_year_and_missed_after_it():
    f = _satisfaction(3, 1)  # 3 of 4 = 75.0 % < 80
    during = status("1", "action_plan_satisfaction", f, DURING)
    assert during.actual == 75.0
    assert during.status == "behind"
    assert status("1", "action_plan_satisfaction", f, AFTER).status == "missed"


def test_a_rate_without_evaluations_is_not_started_during_the_year_and_missed_after_it():
    f = facts_2019(short())
    during = status("2", "growth_plan_competence", f, DURING)
    assert during.actual is None
    assert during.status == "not_started"
    assert status("2", "growth_plan_competence", f, AFTER).status == "missed"


def test_development_plan_satisfaction_needs_ninety_percent():
    # 8 of 9 = 88.9 % < 90 → behind; 9 of 10 = 90.0 % → on track.
    f = facts_2019(
        [evaluated("development_plan", satisfaction=4, company=i) for i in range(8)]
        + [evaluated("development_plan", satisfaction=3, company=50)]
    )
    s = status("2", "development_plan_satisfaction", f, DURING)
    assert s.actual == 88.9
    assert s.status == "behind"
    f = facts_2019(
        [evaluated("development_plan", satisfaction=4, company=i) for i in range(9)]
        + [evaluated("development_plan", satisfaction=3, company=50)]
    )
    assert status("2", "development_plan_satisfaction", f, DURING).status == "on_track"


def test_a_referral_rate_target_is_judged_like_any_rate():
    # action plans: companies {1, 2, 3}, referred {1, 2} → 66.7 % < 70 → behind; after: missed.
    f = facts_2019(course(company=1), course(company=2), course(company=3), referral(company=1), referral(company=2))
    assert status("5A", "action_plan_referral_rate", f, DURING).actual == 66.7
    assert status("5A", "action_plan_referral_rate", f, DURING).status == "behind"
    assert status("5A", "action_plan_referral_rate", f, AFTER).status == "missed"


# --------------------------------------------------------------------------------------------------
# Fulfilment steps: goal 3 (NPS 60 → 100 %, 50 → 50 %) and goal 4 (effect 70 → 100 %, 60 → 50 %)
# --------------------------------------------------------------------------------------------------


def _nps(promoters: int, passives: int, detractors: int = 0):
    scores = [10] * promoters + [8] * passives + [3] * detractors
    # spread over the three specialised types: goal 3 takes them all
    types = ("action_plan", "growth_plan", "development_plan")
    return facts_2019([evaluated(types[i % 3], nps=s, company=i) for i, s in enumerate(scores)])


@pytest.mark.parametrize(
    ("promoters", "passives", "detractors", "nps", "fulfilment", "during", "after"),
    [
        (3, 2, 0, 60, 100, "on_track", "met"),  # 100 × 3 / 5 = 60
        (8, 1, 1, 70, 100, "on_track", "met"),  # 100 × (8 − 1) / 10 = 70
        (13, 9, 0, 59, 50, "behind", "missed"),  # 100 × 13 / 22 = 59.09 → 59
        (1, 1, 0, 50, 50, "behind", "missed"),  # 100 × 1 / 2 = 50
        (99, 101, 0, 50, 50, "behind", "missed"),  # 100 × 99 / 200 = 49.5 → half up → 50
        (17, 18, 0, 49, 0, "behind", "missed"),  # 100 × 17 / 35 = 48.57 → 49
        (0, 3, 1, -25, 0, "behind", "missed"),  # 100 × (0 − 1) / 4 = −25
    ],
)
def test_goal_3_nps_fulfilment_steps(promoters, passives, detractors, nps, fulfilment, during, after):
    f = _nps(promoters, passives, detractors)
    s = status("3", "nps", f, DURING)
    assert s.actual == nps
    assert s.fulfilment_pct == fulfilment
    assert s.status == during
    assert s.unit == "NPS"
    final = status("3", "nps", f, AFTER)
    assert final.status == after
    assert final.fulfilment_pct == fulfilment


def test_goal_3_without_evaluations_is_zero_percent_fulfilled_and_missed_after_the_year():
    during = status("3", "nps", facts_2019(), DURING)
    assert during.actual is None
    assert during.fulfilment_pct == 0
    assert during.status == "not_started"
    final = status("3", "nps", facts_2019(), AFTER)
    assert final.fulfilment_pct == 0
    assert final.status == "missed"


def _effect(yes: int, no: int):
    return facts_2019(
        [evaluated("growth_plan", effect=("nogen",) + ("lav",) * 6, company=i) for i in range(yes)]
        + [evaluated("action_plan", effect=("ved_ikke",) * 7, company=500 + i) for i in range(no)]
    )


@pytest.mark.parametrize(
    ("yes", "no", "effect", "fulfilment", "after"),
    [
        (7, 3, 70.0, 100, "met"),  # 7 / 10
        (4, 1, 80.0, 100, "met"),  # 4 / 5
        (2, 1, 66.7, 50, "missed"),  # 2 / 3 = 66.666… → 66.7
        (6, 4, 60.0, 50, "missed"),  # 6 / 10
        (59, 41, 59.0, 0, "missed"),  # 59 / 100
        (1, 1, 50.0, 0, "missed"),  # 1 / 2
    ],
)
def test_goal_4_effect_fulfilment_steps(yes, no, effect, fulfilment, after):
    s = status("4", "effect", _effect(yes, no), AFTER)
    assert s.actual == effect
    assert s.fulfilment_pct == fulfilment
    assert s.status == after


def test_targets_without_steps_have_no_fulfilment():
    assert status("1", "action_plan_nps", _nps(3, 2), AFTER).fulfilment_pct is None
    assert status("1", "action_plan_effect", _effect(1, 0), AFTER).fulfilment_pct is None


# --------------------------------------------------------------------------------------------------
# Geography target: max deviation ≤ 2.0 points
# --------------------------------------------------------------------------------------------------

# 100 specialised courses, close to the population shares. Deviations (count − share):
# Greve 6 − 6.04 = −0.04 … Slagelse 10 − 9.46 = +0.54 (the largest), Vordingborg 5 − 5.49 = −0.49.
SPREAD = {
    "Greve": 6, "Køge": 7, "Lejre": 3, "Roskilde": 11, "Solrød": 3, "Faxe": 4, "Guldborgsund": 7,
    "Holbæk": 8, "Kalundborg": 6, "Lolland": 5, "Næstved": 10, "Odsherred": 4, "Ringsted": 4,
    "Slagelse": 10, "Sorø": 4, "Stevns": 3, "Vordingborg": 5,
}  # fmt: skip


def _spread(counts):
    assert sum(counts.values()) == 100
    events = []
    for i, (name, n) in enumerate(counts.items()):
        events += courses(n, "action_plan", name, first=100 * i)
    return facts_2019(events)


def test_a_spread_within_two_points_is_on_track_and_then_met():
    f = _spread(SPREAD)
    during = status("5B", "geographic_spread", f, DURING)
    assert during.actual == 0.54
    assert during.status == "on_track"
    assert during.unit == "procentpoint"
    assert during.target == 2
    assert status("5B", "geographic_spread", f, AFTER).status == "met"


def test_a_spread_beyond_two_points_is_behind_and_then_missed():
    # three of Slagelse's courses moved to Greve: Greve 9 − 6.04 = 2.96; Slagelse 7 − 9.46 = −2.46.
    f = _spread({**SPREAD, "Greve": 9, "Slagelse": 7})
    during = status("5B", "geographic_spread", f, DURING)
    assert during.actual == 2.96
    assert during.status == "behind"
    assert status("5B", "geographic_spread", f, AFTER).status == "missed"


def test_a_spread_without_specialised_courses_is_not_started_and_then_missed():
    f = facts_2019(short("Greve"))
    assert status("5B", "geographic_spread", f, DURING).status == "not_started"
    assert status("5B", "geographic_spread", f, AFTER).status == "missed"


# --------------------------------------------------------------------------------------------------
# Range target: cross-region developers, 1 to 3 distinct consultants
# --------------------------------------------------------------------------------------------------


def _cross_region(n: int):
    return facts_2019([staff("cross_region", f"Konsulent {i}") for i in range(n)])


def test_two_cross_region_developers_meet_the_range():
    s = status("10", "cross_region_developers", _cross_region(2), DURING)
    assert s.actual == 2
    assert (s.target_min, s.target_max, s.target) == (1, 3, None)
    assert s.status == "met"
    assert status("10", "cross_region_developers", _cross_region(2), AFTER).status == "met"


def test_one_and_three_cross_region_developers_are_inside_the_range():
    assert status("10", "cross_region_developers", _cross_region(1), AFTER).status == "met"
    assert status("10", "cross_region_developers", _cross_region(3), AFTER).status == "met"


def test_four_cross_region_developers_are_behind_during_the_year_and_missed_after_it():
    assert status("10", "cross_region_developers", _cross_region(4), DURING).status == "behind"
    assert status("10", "cross_region_developers", _cross_region(4), AFTER).status == "missed"


def test_no_cross_region_developer_on_the_last_day_is_behind_and_then_missed():
    # expected by 31 December: target_min 1 × 365 / 365 = 1.0; 0 < 1.0 → behind.
    last = status("10", "cross_region_developers", _cross_region(0), LAST_DAY)
    assert last.expected_by_now == 1.0
    assert last.status == "behind"
    assert status("10", "cross_region_developers", _cross_region(0), AFTER).status == "missed"


def test_no_cross_region_developer_before_the_year_is_not_started():
    assert status("10", "cross_region_developers", _cross_region(0), BEFORE).status == "not_started"


# --------------------------------------------------------------------------------------------------
# Milestones: met in the year, met late after the deadline, behind past it, missed after the year
# --------------------------------------------------------------------------------------------------

DRAFT = "8.strategy_2020_draft"  # deadline 2019-06-30


def test_a_milestone_reached_before_its_deadline_is_met():
    s = status("8", "strategy_2020_draft", facts_2019(milestone(DRAFT, date(2019, 6, 20))), LAST_DAY)
    assert s.status == "met"
    assert s.reached_on == "2019-06-20"
    assert s.deadline == "2019-06-30"
    assert s.actual == 1


def test_a_milestone_reached_on_its_deadline_is_met():
    s = status("8", "strategy_2020_draft", facts_2019(milestone(DRAFT, date(2019, 6, 30))), AFTER)
    assert s.status == "met"


def test_a_milestone_reached_after_its_deadline_is_met_late():
    s = status("8", "strategy_2020_draft", facts_2019(milestone(DRAFT, date(2019, 7, 2))), LAST_DAY)
    assert s.status == "met_late"
    assert s.status_label == "opfyldt for sent"
    assert s.reached_on == "2019-07-02"
    assert s.actual == 1
    assert (
        status("8", "strategy_2020_draft", facts_2019(milestone(DRAFT, date(2019, 7, 2))), AFTER).status == "met_late"
    )


def test_an_unmet_milestone_is_not_started_until_its_deadline_and_behind_after_it():
    f = facts_2019()
    on_deadline = status("8", "strategy_2020_draft", f, date(2019, 6, 30))
    assert on_deadline.status == "not_started"
    assert on_deadline.actual == 0
    assert on_deadline.reached_on is None
    assert status("8", "strategy_2020_draft", f, date(2019, 7, 1)).status == "behind"
    assert status("8", "strategy_2021_process", f, date(2019, 9, 30)).status == "not_started"
    assert status("8", "strategy_2021_process", f, date(2019, 10, 1)).status == "behind"


def test_an_unmet_milestone_is_missed_after_the_year():
    assert status("8", "strategy_2020_draft", facts_2019(), AFTER).status == "missed"
    assert status("1", "communication_strategy", facts_2019(), AFTER).status == "missed"


def test_a_milestone_without_deadline_is_not_started_until_the_year_ends():
    s = status("1", "communication_strategy", facts_2019(), LAST_DAY)
    assert s.status == "not_started"
    assert s.deadline is None
    reached = facts_2019(milestone("1.communication_strategy", date(2019, 12, 31)))
    assert status("1", "communication_strategy", reached, LAST_DAY).status == "met"


def test_a_milestone_reached_in_2020_does_not_count_for_2019():
    log = fold([milestone(DRAFT, date(2020, 1, 10))])
    s = status("8", "strategy_2020_draft", log.year("sjaelland", 2019), date(2020, 2, 1))
    assert s.status == "missed"
    assert s.reached_on is None
    assert s.actual == 0


def test_a_milestone_of_another_goal_does_not_count():
    f = facts_2019(milestone("9.companies_mapped", date(2019, 3, 1)))
    assert status("8", "strategy_2020_draft", f, AFTER).status == "missed"
    assert status("9", "companies_mapped", f, AFTER).status == "met"


def test_a_milestone_reached_twice_counts_from_the_first_date():
    first = milestone(DRAFT, date(2019, 6, 1))
    folder = Folder().apply(first, milestone(DRAFT, date(2019, 8, 15)))
    assert status("8", "strategy_2020_draft", folder.year(), AFTER).reached_on == "2019-06-01"
    # the first one was a wrong entry: retracted, the milestone was reached on 15 August → late.
    folder.apply(retraction(first))
    s = status("8", "strategy_2020_draft", folder.year(), AFTER)
    assert s.reached_on == "2019-08-15"
    assert s.status == "met_late"


def test_a_retracted_milestone_is_no_longer_reached():
    reached = milestone(DRAFT, date(2019, 6, 1))
    folder = Folder().apply(reached, retraction(reached))
    s = status("8", "strategy_2020_draft", folder.year(), date(2019, 7, 1))
    assert s.status == "behind"
    assert s.reached_on is None


# --------------------------------------------------------------------------------------------------
# All goals at once
# --------------------------------------------------------------------------------------------------


def test_goal_statuses_cover_every_goal_of_the_contract_in_order():
    goals = goal_statuses(contract(), facts_2019(), DURING)
    assert [g.id for g in goals] == ["1", "2", "3", "4", "5A", "5B", "5C", "6", "7", "8", "9", "10", "11", "12"]
    assert [len(g.targets) for g in goals] == [len(g.targets) for g in contract().goals]
    assert [g.national for g in goals if g.national] == [True, True, True]
    assert [g.id for g in goals if g.national] == ["3", "4", "6"]


def test_with_an_empty_log_every_target_is_not_started_before_the_year():
    goals = goal_statuses(contract(), facts_2019(), BEFORE)
    statuses = {f"{g.id}.{t.key}": t.status for g in goals for t in g.targets}
    growth = {"2.growth_vs_control_jobs", "2.growth_vs_control_turnover"}
    assert {k for k, s in statuses.items() if s == "awaiting"} == growth  # measured by Erhvervsstyrelsen
    assert {s for k, s in statuses.items() if k not in growth} == {"not_started"}


def test_with_an_empty_log_every_target_is_missed_after_the_year():
    goals = goal_statuses(contract(), facts_2019(), AFTER)
    statuses = {f"{g.id}.{t.key}": t.status for g in goals for t in g.targets}
    growth = {"2.growth_vs_control_jobs", "2.growth_vs_control_turnover"}
    assert {k for k, s in statuses.items() if s == "awaiting"} == growth  # still awaiting the measurement
    assert {s for k, s in statuses.items() if k not in growth} == {"missed"}


def test_every_status_has_a_danish_label():
    assert STATUS_LABELS == {
        "met": "opfyldt",
        "met_late": "opfyldt for sent",
        "on_track": "i rute",
        "behind": "bagud",
        "not_started": "ikke startet",
        "missed": "ikke opfyldt",
        "awaiting": "afventer måling",
    }


# --------------------------------------------------------------------------------------------------
# `until`: the status at the end of a month, from the facts of the whole year
# --------------------------------------------------------------------------------------------------

END_OF_Q2 = date(2019, 6, 30)


def test_a_milestone_reached_in_july_is_not_reached_at_the_end_of_june():
    f = facts_2019(milestone(DRAFT, date(2019, 7, 2)))
    s = status("8", "strategy_2020_draft", f, END_OF_Q2, until="2019-06")
    assert s.status == "not_started"  # on its deadline, not yet reached
    assert s.reached_on is None
    assert s.actual == 0


def test_a_milestone_reached_in_july_is_met_late_once_until_covers_july():
    f = facts_2019(milestone(DRAFT, date(2019, 7, 2)))
    for on, until in ((date(2019, 7, 31), "2019-07"), (date(2019, 9, 30), "2019-09")):
        s = status("8", "strategy_2020_draft", f, on, until=until)
        assert s.status == "met_late"
        assert s.reached_on == "2019-07-02"
        assert s.actual == 1


def test_a_milestone_reached_in_june_is_met_at_the_end_of_june():
    f = facts_2019(milestone(DRAFT, date(2019, 6, 20)), milestone(DRAFT, date(2019, 8, 1)))
    s = status("8", "strategy_2020_draft", f, END_OF_Q2, until="2019-06")
    assert s.status == "met"
    assert s.reached_on == "2019-06-20"


def test_a_count_at_the_end_of_june_is_judged_on_what_was_done_by_june():
    # 150 short courses in April, 300 in September.
    f = facts_2019([short(on=date(2019, 4, 10)) for _ in range(150)], [short(on=date(2019, 9, 10)) for _ in range(300)])
    q2 = status("1", "short_courses", f, END_OF_Q2, until="2019-06")
    # 30 June is day 181: 400 × 181 / 365 = 198.356… → 198.4; 150 < 198.4 → behind.
    assert q2.actual == 150
    assert q2.expected_by_now == 198.4
    assert q2.status == "behind"
    # without the cut-off, the same day would see September's courses: 450 ≥ 400 → met.
    assert status("1", "short_courses", f, END_OF_Q2).status == "met"


def _year_with_a_second_half() -> list:
    """A year whose second half changes every figure below."""
    return [
        [short(on=date(2019, 4, 10)) for _ in range(150)],
        [short(on=date(2019, 9, 10)) for _ in range(300)],
        course("action_plan", on=date(2019, 2, 5), company=1),
        referral("action_plan", company=1, on=date(2019, 8, 5)),
        evaluation(satisfaction=5, on=date(2019, 5, 2), company=1),
        evaluation(satisfaction=1, on=date(2019, 10, 2), company=1),  # company 1's later answer
        staff("cross_region", "Bo", date(2019, 10, 1)),
        milestone(DRAFT, date(2019, 7, 2)),
    ]


def _by_key(goals) -> dict:
    return {f"{g.id}.{t.key}": t for g in goals for t in g.targets}


def test_goal_statuses_at_the_end_of_q2_count_only_the_first_half_and_judge_on_30_june():
    q2 = _by_key(goal_statuses(contract(), facts_2019(*_year_with_a_second_half()), END_OF_Q2, until="2019-06"))
    # short courses: 150 < 198.4 (400 × 181 / 365) → behind.
    assert (q2["1.short_courses"].actual, q2["1.short_courses"].expected_by_now) == (150, 198.4)
    assert q2["1.short_courses"].status == "behind"
    # action plans: 1 by June; 300 × 181 / 365 = 148.767… → 148.8 → behind.
    assert (q2["1.action_plans"].actual, q2["1.action_plans"].expected_by_now) == (1, 148.8)
    # satisfaction: only May's 5 → 1 of 1 = 100.0 → on track.
    assert (q2["1.action_plan_satisfaction"].actual, q2["1.action_plan_satisfaction"].status) == (100.0, "on_track")
    # referral rate: company 1 referred in August → 0 of 1 = 0.0 → behind.
    assert (q2["5A.action_plan_referral_rate"].actual, q2["5A.action_plan_referral_rate"].status) == (0.0, "behind")
    # cross-region developers: none by June; 1 × 181 / 365 = 0.495… → 0.5; 0 < 0.5 → behind.
    cross = q2["10.cross_region_developers"]
    assert (cross.actual, cross.expected_by_now, cross.status) == (0, 0.5, "behind")
    # the strategy draft (deadline 30 June) came on 2 July: on 30 June not yet reached, not yet late.
    draft = q2["8.strategy_2020_draft"]
    assert (draft.actual, draft.reached_on, draft.status) == (0, None, "not_started")


def test_goal_statuses_without_a_cut_off_see_the_whole_year():
    year = _by_key(goal_statuses(contract(), facts_2019(*_year_with_a_second_half()), LAST_DAY))
    assert (year["1.short_courses"].actual, year["1.short_courses"].status) == (450, "met")
    # satisfaction: company 1 counts once, with its October answer (1) → 0 of 1.
    assert (year["1.action_plan_satisfaction"].actual, year["1.action_plan_satisfaction"].status) == (0.0, "behind")
    assert (year["5A.action_plan_referral_rate"].actual, year["5A.action_plan_referral_rate"].status) == (
        100.0,
        "on_track",
    )
    assert (year["10.cross_region_developers"].actual, year["10.cross_region_developers"].status) == (1, "met")
    assert (year["8.strategy_2020_draft"].reached_on, year["8.strategy_2020_draft"].status) == (
        "2019-07-02",
        "met_late",
    )


def test_goal_statuses_pass_until_to_every_target():
    f = facts_2019(*_year_with_a_second_half())
    goals = goal_statuses(contract(), f, END_OF_Q2, until="2019-06")
    for goal in contract().goals:
        for target in goal.targets:
            expected = target_status(target, goal, f, contract(), END_OF_Q2, "2019-06")
            assert _by_key(goals)[f"{goal.id}.{target.key}"] == expected


# The cut-off must agree with folding only the events of the months up to it.

_MAKERS = [
    lambda on, i: short(on=on),
    lambda on, i: course("action_plan", "Lolland", on, company=i, topics=["digital_business_model"]),
    lambda on, i: course("growth_plan", "Roskilde", on, company=i),
    lambda on, i: course("development_plan", "Greve", on, company=i),
    lambda on, i: referral("action_plan", company=i, on=on),
    lambda on, i: referral("growth_plan", company=i, on=on),
    lambda on, i: evaluation("action_plan", nps=10 - i, satisfaction=5 - i, competence=1 + i, on=on, company=i),
    lambda on, i: evaluation("growth_plan", nps=9 - 3 * i, satisfaction=4, effect=("nogen",) * 7, on=on, company=i),
    lambda on, i: meeting("council_presentation_offered", ("Lolland", "Sorø", "Greve", "Køge")[i], on),
    lambda on, i: meeting("local_business_service", "Køge", on),
    lambda on, i: newsletter("Greve" if i % 2 else None, on),
    lambda on, i: event_held("joint_hovedstaden", "Køge", 98 + i, on),
    lambda on, i: event_held("conference", "Sorø", 30, on),
    lambda on, i: agreement("state_scheme", on=on),
    lambda on, i: staff("cross_region", f"Konsulent {i}", on),
    lambda on, i: milestone(DRAFT, on),
    lambda on, i: milestone("9.companies_mapped", on),
]
_event = st.tuples(st.integers(0, len(_MAKERS) - 1), st.integers(1, 12), st.integers(1, 28), st.integers(0, 3))


def _events(specs) -> list[Ev]:
    return [_MAKERS[m](date(2019, month, day), i) for m, month, day, i in specs]


def _last_day(month: int) -> date:
    return date(2019, month, calendar.monthrange(2019, month)[1])


@settings(max_examples=100, deadline=None, database=None)
@given(specs=st.lists(_event, max_size=30), cut=st.integers(1, 12), retract=st.lists(st.integers(0, 1_000), max_size=5))
def test_a_cut_off_at_a_month_equals_folding_only_the_events_up_to_that_month(specs, cut, retract):
    events = _events(specs)
    folder = Folder().apply(*events)
    for r in retract:  # retractions come later in the log, whatever the month of their target
        if events:
            folder.apply(retraction(events.pop(r % len(events))))
    until, on = f"2019-{cut:02d}", _last_day(cut)
    early = facts_2019([e for e in events if e.occurred_on.month <= cut])
    assert [g.as_dict() for g in goal_statuses(contract(), folder.year(), on, until)] == [
        g.as_dict() for g in goal_statuses(contract(), early, on)
    ]
    months = {f"2019-{m:02d}" for m in range(1, cut + 1)}
    assert municipality_figures(contract(), folder.year(), months) == municipality_figures(contract(), early)
