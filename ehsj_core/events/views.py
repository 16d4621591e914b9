"""Typed read views of stored event data: what every reader of the log gets instead of a dict.

The registry models in `schemas.py` are the write side: Pydantic, validated against the contract
(municipality names, milestone keys) before anything is stored. What comes back out of the log was
validated on the way in, so readers need no second validation, only names and types: one small
`NamedTuple` per event type, built from the stored (and upcast) data by keyword. A NamedTuple is
built in well under a microsecond, which is what lets the replay fold a million typed events fast.

`tests/unit/test_event_views.py` holds each view to its registry model: the same fields, the same
optional ones, and `view_data` giving back exactly the stored data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple


class CourseCompletedView(NamedTuple):
    course_type: str
    municipality: str
    consultant: str
    company_cvr: str | None = None
    company_name: str | None = None
    topics: Sequence[str] = ()
    segment: str | None = None
    event_ref: str | None = None


class CompanyReferredView(NamedTuple):
    company_cvr: str
    from_course: str
    referred_to: str
    referral_kind: str
    municipality: str | None = None


class MeetingHeldView(NamedTuple):
    meeting_kind: str
    title: str | None = None
    municipality: str | None = None
    participants: int | None = None


class NewsletterSentView(NamedTuple):
    channel: str
    channel_kind: str
    municipality: str | None = None
    recipients: int | None = None


class EventHeldView(NamedTuple):
    event_kind: str
    title: str
    municipality: str
    participants: int


class EvaluationReceivedView(NamedTuple):
    course_type: str
    company_cvr: str
    nps: int
    satisfaction: int
    consultant_competence: int
    effect: Sequence[str]


class AgreementSignedView(NamedTuple):
    partner: str
    agreement_kind: str
    municipality: str | None = None


class StaffDesignatedView(NamedTuple):
    consultant: str
    role: str


class MilestoneReachedView(NamedTuple):
    milestone: str
    evidence: str | None = None


class EffectMeasurementReportedView(NamedTuple):
    measure: str
    year: int
    customers_growth_pct: float
    control_growth_pct: float
    companies: int
    control_companies: int
    source: str
    published_on: str


class OfficialFigureReportedView(NamedTuple):
    target: str
    year: int
    value: float
    source: str
    published_on: str
    note: str | None = None


class EventRetractedView(NamedTuple):
    target_event_id: str
    reason: str


class PeriodClosedView(NamedTuple):
    year: int
    note: str | None = None


EventView = (
    CourseCompletedView
    | CompanyReferredView
    | MeetingHeldView
    | NewsletterSentView
    | EventHeldView
    | EvaluationReceivedView
    | AgreementSignedView
    | StaffDesignatedView
    | MilestoneReachedView
    | EffectMeasurementReportedView
    | OfficialFigureReportedView
    | EventRetractedView
    | PeriodClosedView
)

# Stable type string → view; the same keys as `schemas.EVENT_TYPES`.
VIEWS: dict[str, type[EventView]] = {
    "course.completed": CourseCompletedView,
    "company.referred": CompanyReferredView,
    "meeting.held": MeetingHeldView,
    "newsletter.sent": NewsletterSentView,
    "event.held": EventHeldView,
    "evaluation.received": EvaluationReceivedView,
    "agreement.signed": AgreementSignedView,
    "staff.designated": StaffDesignatedView,
    "milestone.reached": MilestoneReachedView,
    "effect_measurement.reported": EffectMeasurementReportedView,
    "official_figure.reported": OfficialFigureReportedView,
    "event.retracted": EventRetractedView,
    "period.closed": PeriodClosedView,
}


def to_view(event_type: str, data: dict[str, Any]) -> EventView:
    """The typed view of stored, upcast data (trusted: it passed the rule book when it was stored)."""
    return VIEWS[event_type](**data)


def view_data(view: EventView) -> dict[str, Any]:
    """The view as the stored JSON object: absent optional fields left out, sequences as lists."""
    return {
        key: list(value) if isinstance(value, tuple) else value
        for key, value in view._asdict().items()
        if value is not None
    }
