"""Which events can move which target: the diff's explanation rule, against the 2019 contract."""

from __future__ import annotations

from ehsj_core.audit.touches import touches
from ehsj_core.events.views import (
    CourseCompletedView,
    EvaluationReceivedView,
    MilestoneReachedView,
    PeriodClosedView,
)
from tests.unit.builders import contract, goal_and_target


def evaluation(course_type: str) -> EvaluationReceivedView:
    return EvaluationReceivedView(course_type, "29184747", 9, 5, 5, ("hoj",) * 7)


def test_a_course_touches_the_counts_of_its_type_the_referral_rate_and_the_geography() -> None:
    course = CourseCompletedView("action_plan", "Køge", "Karen", company_cvr="29184747")
    moved = {f"{g.id}.{t.key}" for g in contract().goals for t in g.targets if touches(g.id, t, course)}
    assert {"1.action_plans", "5A.action_plan_referral_rate", "5B.geographic_spread"} <= moved
    assert "1.short_courses" not in moved and "2.growth_plans" not in moved


def test_an_evaluation_touches_only_the_figures_of_its_course_type() -> None:
    goal, satisfaction = goal_and_target("1", "action_plan_satisfaction")
    assert not touches(goal.id, satisfaction, evaluation("growth_plan"))
    assert touches(goal.id, satisfaction, evaluation("action_plan"))


def test_a_milestone_touches_its_own_target_only() -> None:
    goal, target = goal_and_target("1", "communication_strategy")
    assert touches(goal.id, target, MilestoneReachedView("1.communication_strategy"))
    assert not touches(goal.id, target, MilestoneReachedView("8.strategy_2020_draft"))


def test_a_close_touches_no_target() -> None:
    assert not any(touches(g.id, t, PeriodClosedView(2019)) for g in contract().goals for t in g.targets)
