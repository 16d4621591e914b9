"""Which events can move a target's figure: the event type and its data against the target's metric
and parameters (the measurement rules in projections/metrics.py). Pure."""

from __future__ import annotations

from typing import Any

from ehsj_core.contract.model import Target


def touches(goal_id: str, target: Target, event_type: str, data: dict[str, Any]) -> bool:
    """Whether an event of this type and data counts towards the target (or its denominator)."""
    p, metric = target.params, target.metric
    if metric in ("courses", "geographic_deviation"):
        if event_type != "course.completed" or data.get("course_type") not in p.course_types:
            return False
        return p.topic is None or p.topic in data.get("topics", ())
    if metric in ("meetings", "meeting_municipalities"):
        return event_type == "meeting.held" and data.get("meeting_kind") in p.meeting_kinds
    if metric == "newsletters":
        return event_type == "newsletter.sent"
    if metric == "events":
        if event_type != "event.held" or data.get("event_kind") not in p.event_kinds:
            return False
        return p.min_participants is None or int(data.get("participants", 0)) >= p.min_participants
    if metric == "agreements":
        return event_type == "agreement.signed" and data.get("agreement_kind") in p.agreement_kinds
    if metric == "staff":
        return event_type == "staff.designated" and data.get("role") == p.role
    if metric in ("evaluation_rate", "nps"):
        return event_type == "evaluation.received" and data.get("course_type") in p.course_types
    if metric == "referral_rate":  # companies with a course of the type, and those referred from it
        if event_type == "course.completed":
            return data.get("course_type") in p.course_types and bool(data.get("company_cvr"))
        return event_type == "company.referred" and data.get("from_course") in p.course_types
    return event_type == "milestone.reached" and data.get("milestone") == f"{goal_id}.{target.key}"
