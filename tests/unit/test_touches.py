"""Which events can move which target: the diff's explanation rule, against the 2019 contract."""

from __future__ import annotations

from ehsj_core.audit.touches import touches
from tests.unit.builders import contract, goal_and_target


def test_a_course_touches_the_counts_of_its_type_the_referral_rate_and_the_geography() -> None:
    course = {"course_type": "action_plan", "company_cvr": "29184747", "municipality": "Køge", "topics": []}
    moved = {
        f"{g.id}.{t.key}" for g in contract().goals for t in g.targets if touches(g.id, t, "course.completed", course)
    }
    assert {"1.action_plans", "5A.action_plan_referral_rate", "5B.geographic_spread"} <= moved
    assert "1.short_courses" not in moved and "2.growth_plans" not in moved


def test_an_evaluation_touches_only_the_figures_of_its_course_type() -> None:
    goal, satisfaction = goal_and_target("1", "action_plan_satisfaction")
    evaluation = {"course_type": "growth_plan", "nps": 9}
    assert not touches(goal.id, satisfaction, "evaluation.received", evaluation)
    assert touches(goal.id, satisfaction, "evaluation.received", {**evaluation, "course_type": "action_plan"})


def test_a_milestone_touches_its_own_target_only() -> None:
    goal, target = goal_and_target("1", "communication_strategy")
    assert touches(goal.id, target, "milestone.reached", {"milestone": "1.communication_strategy"})
    assert not touches(goal.id, target, "milestone.reached", {"milestone": "8.strategy_2020_draft"})


def test_a_close_touches_no_target() -> None:
    assert not any(touches(g.id, t, "period.closed", {"year": 2019}) for g in contract().goals for t in g.targets)
