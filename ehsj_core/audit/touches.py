"""Which events can move a target's figure: the event's typed data against the target's metric and
parameters (the measurement rules in projections/metrics.py). Pure."""

from __future__ import annotations

from ehsj_core.contract.model import Target
from ehsj_core.events.views import (
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


def touches(goal_id: str, target: Target, data: EventView) -> bool:
    """Whether an event with this data counts towards the target (or its denominator)."""
    p, metric = target.params, target.metric
    if isinstance(data, OfficialFigureReportedView):  # Erhvervsstyrelsen's figure of this very target
        return data.target == f"{goal_id}.{target.key}"
    if metric in ("courses", "geographic_deviation"):
        if not isinstance(data, CourseCompletedView) or data.course_type not in p.course_types:
            return False
        return p.topic is None or p.topic in data.topics
    if metric in ("meetings", "meeting_municipalities"):
        return isinstance(data, MeetingHeldView) and data.meeting_kind in p.meeting_kinds
    if metric == "newsletters":
        return isinstance(data, NewsletterSentView) and (not p.channel_kinds or data.channel_kind in p.channel_kinds)
    if metric == "events":
        if not isinstance(data, EventHeldView) or data.event_kind not in p.event_kinds:
            return False
        return p.min_participants is None or data.participants >= p.min_participants
    if metric == "agreements":
        return isinstance(data, AgreementSignedView) and data.agreement_kind in p.agreement_kinds
    if metric == "staff":
        return isinstance(data, StaffDesignatedView) and data.role == p.role
    if metric in ("evaluation_rate", "nps"):
        return isinstance(data, EvaluationReceivedView) and data.course_type in p.course_types
    if metric == "growth_vs_control":
        return isinstance(data, EffectMeasurementReportedView) and data.measure == p.measure
    if metric == "referral_rate":  # companies with a course of the type, and those referred from it
        if isinstance(data, CourseCompletedView):
            return data.course_type in p.course_types and bool(data.company_cvr)
        return isinstance(data, CompanyReferredView) and data.from_course in p.course_types
    return isinstance(data, MilestoneReachedView) and data.milestone == f"{goal_id}.{target.key}"
