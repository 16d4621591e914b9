"""The measurement rules as the seed words them (issue 10), by hand-computed cases.

Evaluations count in the year of the course they follow, once per company, course type and year,
with the latest answer; an answer without a course is listed and counts nowhere. Erhvervsstyrelsen's
own figures decide where they exist; goal 2's growth companies are judged against the control group;
newsletters count for 5B only through a local business council; goal 6 is fulfilled as a whole.
"""

from __future__ import annotations

from datetime import date

from ehsj_core.contract.model import Contract
from ehsj_core.projections.facts import LogFacts
from ehsj_core.projections.metrics import UnmatchedAnswer, unmatched_answers
from ehsj_core.projections.status import goal_statuses, target_status
from tests.unit.builders import (
    HOUSE,
    Folder,
    contract,
    course,
    cvr,
    evaluated,
    evaluation,
    facts_2019,
    flatten,
    fold,
    fold_one,
    goal_and_target,
    growth,
    measure,
    milestone,
    newsletter,
    official,
    retraction,
)

AFTER_2019 = date(2020, 2, 1)


def _status(goal_id: str, key: str, facts, on: date = AFTER_2019, c: Contract | None = None, until: str | None = None):
    goal, target = goal_and_target(goal_id, key)
    return target_status(target, goal, facts, c or contract(), on, until)


def _with_rules(**rules: str) -> Contract:
    c = contract()
    return c.model_copy(update={"rules": c.rules.model_copy(update=rules)})


# --- evaluations belong to the course they evaluate ------------------------------------------------------
def test_a_december_action_plan_answered_in_january_counts_in_the_course_year_and_not_in_the_next():
    log = fold(
        [
            course("action_plan", on=date(2019, 12, 10), company=1),
            evaluation("action_plan", satisfaction=5, nps=10, on=date(2020, 1, 14), company=1),
        ]
    )
    # 2019: the one answer, satisfied (5) and a promoter (10): 100 % and NPS 100.
    assert measure("1", "action_plan_satisfaction", log.year(HOUSE, 2019)) == 100.0
    assert measure("1", "action_plan_nps", log.year(HOUSE, 2019)) == 100
    assert measure("3", "nps", log.year(HOUSE, 2019)) == 100
    # 2020: nothing — the answer is not counted twice, nor in the year it was given.
    assert measure("1", "action_plan_satisfaction", log.year(HOUSE, 2020)) is None
    assert measure("3", "nps", log.year(HOUSE, 2020)) is None
    # Judged during 2019 (the end of December), the January answer had not been given yet.
    assert measure("1", "action_plan_satisfaction", log.year(HOUSE, 2019), "2019-12") is None


def test_an_answer_follows_the_latest_course_of_its_type_on_or_before_the_answer_date():
    log = fold(
        [
            course("growth_plan", on=date(2018, 11, 5), company=3),
            course("growth_plan", on=date(2019, 12, 20), company=3),
            course("action_plan", on=date(2020, 1, 3), company=3),  # another type: not the one evaluated
            evaluation("growth_plan", satisfaction=4, on=date(2020, 1, 10), company=3),
            course("growth_plan", on=date(2020, 1, 11), company=3),  # after the answer: not the one evaluated
        ]
    )
    assert measure("2", "growth_plan_satisfaction", log.year(HOUSE, 2019)) == 100.0  # the December 2019 course
    assert measure("2", "growth_plan_satisfaction", log.year(HOUSE, 2018)) is None
    assert measure("2", "growth_plan_satisfaction", log.year(HOUSE, 2020)) is None


def test_a_company_answering_twice_counts_once_with_its_later_answer():
    log = fold(
        [
            course("action_plan", on=date(2019, 3, 1), company=1),
            evaluation("action_plan", satisfaction=2, nps=3, on=date(2019, 4, 2), company=1),
            evaluation("action_plan", satisfaction=5, nps=9, on=date(2019, 9, 2), company=1),
            *evaluated("action_plan", satisfaction=1, nps=0, on=date(2019, 5, 1), company=2),
        ]
    )
    f = log.year(HOUSE, 2019)
    # two companies: company 1 with its September answer (5; 9 a promoter), company 2 (1; 0 a detractor)
    assert measure("1", "action_plan_satisfaction", f) == 50.0  # 1 of 2, not 1 of 3
    assert measure("1", "action_plan_nps", f) == 0  # 100 × (1 − 1) / 2
    # as at the end of June, company 1's April answer was its latest: 0 of 2 satisfied, NPS −100
    assert measure("1", "action_plan_satisfaction", f, "2019-06") == 0.0
    assert measure("1", "action_plan_nps", f, "2019-06") == -100


def test_two_answers_of_one_company_on_one_day_count_the_one_logged_later():
    facts = LogFacts()
    folder = Folder(facts)
    folder.apply(course("action_plan", on=date(2019, 3, 1), company=1))
    fold_one(facts, evaluation("action_plan", satisfaction=5, on=date(2019, 4, 2), company=1), position=8)
    fold_one(facts, evaluation("action_plan", satisfaction=1, on=date(2019, 4, 2), company=1), position=9)
    assert measure("1", "action_plan_satisfaction", facts.year(HOUSE, 2019)) == 0.0  # position 9's answer


def test_an_answer_without_its_course_counts_nowhere_and_is_listed():
    lonely = evaluation("growth_plan", satisfaction=5, nps=10, on=date(2019, 5, 6), company=7)
    log = fold([lonely, course("action_plan", on=date(2019, 2, 1), company=7)])  # an action plan: another type
    f = log.year(HOUSE, 2019)
    assert measure("2", "growth_plan_satisfaction", f) is None
    assert measure("3", "nps", f) is None
    assert unmatched_answers(f) == [UnmatchedAnswer("growth_plan", cvr(7), "2019-05-06")]
    goals = {g.id: g for g in goal_statuses(contract(), f, AFTER_2019)}
    assert [u.company_cvr for u in goals["2"].unmatched] == [cvr(7)]
    assert goals["1"].unmatched == ()  # goal 1 evaluates action plans only
    assert goals["3"].as_dict()["unmatched_evaluations"] == [
        {"course_type": "growth_plan", "company_cvr": cvr(7), "answered_on": "2019-05-06"}
    ]


def test_a_course_logged_after_its_answer_places_the_answer_and_a_retracted_course_unplaces_it():
    answer = evaluation("growth_plan", satisfaction=5, on=date(2019, 5, 6), company=7)
    the_course = course("growth_plan", on=date(2019, 4, 1), company=7)
    folder = Folder().apply(answer)
    assert unmatched_answers(folder.year()) != []
    folder.apply(the_course)  # logged late: the answer now counts
    assert unmatched_answers(folder.year()) == []
    assert measure("2", "growth_plan_satisfaction", folder.year()) == 100.0
    folder.apply(retraction(the_course))
    assert measure("2", "growth_plan_satisfaction", folder.year()) is None
    assert unmatched_answers(folder.year()) == [UnmatchedAnswer("growth_plan", cvr(7), "2019-05-06")]


def test_folding_an_answer_in_and_out_leaves_no_trace():
    events = [course("action_plan", on=date(2019, 3, 1), company=1)]
    answers = [evaluation("action_plan", satisfaction=s, on=date(2019, m, 2), company=1) for s, m in ((2, 4), (5, 9))]
    folder = Folder().apply(*events, *answers)
    folder.apply(*(retraction(a) for a in answers))
    assert folder.facts == fold(events)


def test_the_rule_of_the_answer_year_counts_every_answer_in_the_year_it_was_given():
    every = _with_rules(evaluations="per_answer_in_answer_year")
    log = fold(
        [
            course("action_plan", on=date(2019, 12, 10), company=1),
            evaluation("action_plan", satisfaction=5, on=date(2020, 1, 14), company=1),
            evaluation("action_plan", satisfaction=1, on=date(2019, 6, 1), company=2),  # no course: counts here
            evaluation("action_plan", satisfaction=4, on=date(2019, 7, 1), company=2),
        ]
    )
    goal, target = goal_and_target("1", "action_plan_satisfaction")
    assert target_status(target, goal, log.year(HOUSE, 2019), every, AFTER_2019).actual == 50.0  # 1 of 2
    assert target_status(target, goal, log.year(HOUSE, 2020), every, date(2021, 2, 1)).actual == 100.0
    assert goal_statuses(every, log.year(HOUSE, 2019), AFTER_2019)[1].unmatched == ()  # no such list


# --- the effect figure's two parts ----------------------------------------------------------------------------
def test_the_effect_is_the_sum_of_high_and_middle_impact():
    f = facts_2019(
        evaluated("action_plan", effect=("hoj",) + ("lav",) * 6),  # high
        evaluated("action_plan", effect=("nogen", "hoj") + ("lav",) * 5),  # high (not also middle)
        evaluated("action_plan", effect=("nogen",) + ("ved_ikke",) * 6),  # middle
        evaluated("action_plan", effect=("lav",) * 7),  # none
        evaluated("action_plan", effect=("slet_ikke",) * 7),  # none
    )
    effect = _status("1", "action_plan_effect", f)
    assert effect.actual == 60.0  # 3 of 5
    assert effect.effect_parts is not None
    assert (effect.effect_parts.high_pct, effect.effect_parts.middle_pct) == (40.0, 20.0)  # 2 of 5 + 1 of 5
    assert effect.effect_parts.answers == 5


# --- Erhvervsstyrelsen's own figures ---------------------------------------------------------------------------
def test_an_official_nps_of_45_makes_goal_3_zero_percent_fulfilled_while_our_own_figure_stays_visible():
    ours = [evaluated("growth_plan", nps=10) for _ in range(7)] + [evaluated("growth_plan", nps=8) for _ in range(3)]
    f = facts_2019(ours, official("3.nps", 45))
    nps = _status("3", "nps", f)
    assert nps.actual == 70  # ours: 100 × 7 / 10
    assert nps.official is not None and nps.official.value == 45
    assert (nps.official.source, nps.official.published_on) == ("Erhvervsstyrelsen, brugerevalueringen", "2020-03-02")
    assert nps.fulfilment_pct == 0  # 45 < 50: the official figure decides
    assert nps.status == "missed"
    assert nps.difference == -25.0  # official − own
    assert nps.decided_by == "official"
    without = _status("3", "nps", facts_2019(ours))
    assert (without.fulfilment_pct, without.status, without.decided_by) == (100, "met", "own")


def test_the_latest_official_figure_decides_and_a_retracted_one_falls_away():
    first, corrected = official("4.effect", 58.0, on=date(2020, 3, 2)), official("4.effect", 71.0, on=date(2020, 4, 1))
    folder = Folder().apply(first, corrected)
    assert _status("4", "effect", folder.year()).official.value == 71.0
    assert _status("4", "effect", folder.year()).fulfilment_pct == 100
    folder.apply(retraction(corrected))
    assert _status("4", "effect", folder.year()).fulfilment_pct == 0  # 58 < 60
    # a quarterly view of 2019 does not see a figure published in 2020
    assert _status("4", "effect", folder.year(), date(2019, 12, 31), until="2019-12").official is None


def test_an_official_count_decides_a_count_target():
    f = facts_2019(flatten([course("action_plan", company=i) for i in range(3)]), official("1.action_plans", 305))
    plans = _status("1", "action_plans", f)
    assert (plans.actual, plans.official.value, plans.status) == (3, 305, "met")


# --- goal 2: growth against the control group ----------------------------------------------------------------------
def test_growth_against_the_control_group_in_percentage_points():
    f = facts_2019(growth("jobs", 14.5, 3.0), growth("turnover", 11.0, 2.5))
    jobs = _status("2", "growth_vs_control_jobs", f)
    turnover = _status("2", "growth_vs_control_turnover", f)
    assert (jobs.actual, jobs.status) == (11.5, "met")  # 14.5 − 3.0 = 11.5 points ≥ 10
    assert (turnover.actual, turnover.status) == (8.5, "missed")  # 11.0 − 2.5 = 8.5 points < 10
    assert jobs.growth is not None
    assert (jobs.growth.customers_growth_pct, jobs.growth.control_growth_pct, jobs.growth.rule) == (14.5, 3.0, "points")


def test_growth_against_the_control_group_relative_to_its_growth():
    relative = _with_rules(growth_comparison="relative")
    f = facts_2019(
        growth("jobs", 3.3, 3.0), growth("turnover", 3.2, 3.0), growth("jobs", 1.0, 0.0, on=date(2020, 1, 1))
    )
    turnover = _status("2", "growth_vs_control_turnover", f, c=relative)
    assert (turnover.actual, turnover.status) == (6.7, "missed")  # (3.2 − 3.0) / 3.0 = 6.67 % → 6.7 < 10
    # jobs: the measurement published last (2021) decides, not the earlier one of 1.0 against 0.0
    jobs = _status("2", "growth_vs_control_jobs", f, c=relative)
    assert jobs.growth is not None and jobs.growth.published_on == "2021-06-30"
    assert (jobs.actual, jobs.status) == (10.0, "met")  # (3.3 − 3.0) / 3.0 = 10 % exactly
    only_zero = facts_2019(growth("jobs", 1.0, 0.0))
    assert _status("2", "growth_vs_control_jobs", only_zero, c=relative).status == "awaiting"


def test_without_a_measurement_the_growth_targets_await_it():
    assert _status("2", "growth_vs_control_jobs", facts_2019()).status == "awaiting"
    assert _status("2", "growth_vs_control_jobs", facts_2019()).status_label == "afventer måling"


# --- newsletters, goal groups, goal 6 ------------------------------------------------------------------
def test_a_newsletter_counts_for_5b_only_through_a_local_business_council():
    f = facts_2019(
        newsletter("Greve"),
        newsletter(None, channel_kind="house"),
        newsletter("Køge", channel_kind="other"),
        newsletter(None),
    )
    assert measure("5B", "newsletters", f) == 2


def test_the_goals_fall_in_the_seeds_three_groups():
    groups = {g.id: g.category for g in contract().goals}
    assert [k for k, v in groups.items() if v == "national"] == ["3", "4", "6"]
    assert [k for k, v in groups.items() if v == "local"] == ["5C", "9", "10", "11"]
    assert [k for k, v in groups.items() if v == "common"] == ["1", "2", "5A", "5B", "7", "8", "12"]
    goal = goal_statuses(contract(), facts_2019(), AFTER_2019)[0]
    assert (goal.as_dict()["category"], goal.category_label) == ("common", "fælles mål for alle erhvervshuse")


def test_goal_6_is_fulfilled_only_when_both_its_milestones_are_met():
    def goal_6(*events):
        return next(g for g in goal_statuses(contract(), facts_2019(*events), AFTER_2019) if g.id == "6")

    assert goal_6().fulfilment_pct == 0
    assert goal_6(milestone("6.digital_entry")).fulfilment_pct == 0
    both = goal_6(milestone("6.digital_entry"), milestone("6.platform_working_group"))
    assert both.fulfilment_pct == 100
    assert both.fulfilment_note == "Målet er 100 pct. opfyldt, når begge milepæle er nået."
    assert next(g for g in goal_statuses(contract(), facts_2019(), AFTER_2019) if g.id == "1").fulfilment_pct is None
