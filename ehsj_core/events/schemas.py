"""The domain events: one frozen Pydantic model per type, and the registry of type strings.

Events are past-tense facts. Validation that needs the contract (municipality names, milestone keys)
reads it from the validation context: `Model.model_validate(data, context={"contract": contract})`.
"""

from __future__ import annotations

import datetime as dt
import operator
from functools import lru_cache
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ehsj_core.contract.model import Contract, SpecialisedCourseType
from ehsj_core.contract.model import CourseTypeKey as CourseType

CVR_WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)


@lru_cache(maxsize=1 << 16)  # bulk imports name the same companies again and again
def is_valid_cvr(value: str) -> bool:
    """Danish CVR: 8 digits, first not 0, weighted sum (2,7,6,5,4,3,2,1) divisible by 11."""
    if len(value) != 8 or not value.isascii() or not value.isdigit() or value[0] == "0":
        return False
    return bool(sum(map(operator.mul, map(int, value), CVR_WEIGHTS)) % 11 == 0)


def _check_cvr(value: str) -> str:
    value = value.strip()
    if not is_valid_cvr(value):
        raise PydanticCustomError(
            "cvr",
            "ugyldigt CVR-nummer: skal være 8 cifre, der består modulus 11-kontrollen",
        )
    return value


def _contract(info: ValidationInfo) -> Contract:
    contract = (info.context or {}).get("contract")
    if not isinstance(contract, Contract):
        raise RuntimeError("event validation needs the contract in the validation context")
    return contract


def _canonical_municipality(value: str, info: ValidationInfo) -> str:
    contract = _contract(info)
    canonical = contract.canonical_municipality(value)
    if canonical is None:
        raise PydanticCustomError(
            "municipality",
            "ukendt kommune",
            {"allowed": [m.name for m in contract.municipalities]},
        )
    return canonical


Cvr = Annotated[str, Field(strict=True), AfterValidator(_check_cvr)]
Text = Annotated[str, Field(strict=True, min_length=1, max_length=500)]
Name = Annotated[str, Field(strict=True, min_length=1, max_length=200)]
NonNegativeInt = Annotated[int, Field(strict=True, ge=0, le=10_000_000)]
Topic = Literal[
    "digital_business_model",
    "export",
    "generational_change",
    "financing",
    "strategy",
    "innovation",
    "other",
]
EffectAnswer = Literal["hoj", "nogen", "lav", "slet_ikke", "ved_ikke"]
TOPICS: tuple[str, ...] = get_args(Topic)
EFFECT_ANSWERS: tuple[str, ...] = get_args(EffectAnswer)
Scale1to5 = Annotated[int, Field(strict=True, ge=1, le=5)]


class EventData(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class _WithMunicipality(EventData):
    @field_validator("municipality", mode="after", check_fields=False)
    @classmethod
    def _municipality(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else _canonical_municipality(value, info)


EventId = Annotated[str, Field(strict=True, pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]


class CourseCompleted(_WithMunicipality):
    course_type: CourseType
    company_cvr: Cvr | None = None
    company_name: Name | None = None
    municipality: Name
    consultant: Name
    topics: Annotated[tuple[Topic, ...], AfterValidator(lambda ts: tuple(dict.fromkeys(ts)))] = ()
    segment: Literal["entrepreneur", "sme", "large"] | None = None
    # The `event.held` a participant took part in: short courses include "seminarer, eventdeltagelse"
    # (seed L271–274), so an event's participants can be logged as short courses with it.
    event_ref: EventId | None = None

    @model_validator(mode="after")
    def _cvr_required_for_specialised(self) -> CourseCompleted:
        if self.course_type != "short" and self.company_cvr is None:
            raise PydanticCustomError(
                "cvr_required", "CVR-nummer skal angives for handlings-, vækst- og udviklingsplaner"
            )
        return self


class CompanyReferred(_WithMunicipality):
    company_cvr: Cvr
    from_course: SpecialisedCourseType
    referred_to: Text
    referral_kind: Literal["private_advisor", "state_scheme", "other_public", "other"]
    municipality: Name | None = None


class MeetingHeld(_WithMunicipality):
    meeting_kind: Literal[
        "all_actors",
        "local_business_service",
        "coordination",
        "k17",
        "kkr",
        "business_chiefs",
        "council_presentation_offered",
        "other",
    ]
    title: Text | None = None
    municipality: Name | None = None
    participants: NonNegativeInt | None = None

    @model_validator(mode="after")
    def _municipality_for_council(self) -> MeetingHeld:
        if self.meeting_kind == "council_presentation_offered" and self.municipality is None:
            raise PydanticCustomError(
                "municipality_required",
                "kommune skal angives, når der er tilbudt en præsentation for kommunalbestyrelsen",
            )
        return self


class NewsletterSent(_WithMunicipality):
    """A newsletter sent. Goal 5B counts newsletters "gennem de lokale erhvervsråd" (seed L767–769):
    `channel_kind` says whether this one went through a local business council (schema version 2;
    version 1 had only the free-text channel, and upcasting.py reads those as the council's)."""

    channel: Text
    channel_kind: Literal["local_business_council", "house", "other"]
    municipality: Name | None = None
    recipients: NonNegativeInt | None = None


class EventHeld(_WithMunicipality):
    event_kind: Literal[
        "event",
        "conference",
        "private_advisors",
        "digitalisation",
        "joint_hovedstaden",
        "strategy_seminar",
        "strategy_workshop",
        "een",
        "other",
    ]
    title: Text
    municipality: Name
    participants: NonNegativeInt


def _check_iso_date(value: str) -> str:
    try:
        parsed = dt.date.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or len(value) != 10:
        raise PydanticCustomError("date_parsing", "skal være en dato (ÅÅÅÅ-MM-DD)")
    return value


IsoDate = Annotated[str, Field(strict=True), AfterValidator(_check_iso_date)]
Year = Annotated[int, Field(strict=True, ge=2000, le=2100)]
Percentage = Annotated[float, Field(ge=-1000, le=1000, allow_inf_nan=False)]


class EvaluationReceived(EventData):
    course_type: SpecialisedCourseType
    company_cvr: Cvr
    nps: Annotated[int, Field(strict=True, ge=0, le=10)]
    satisfaction: Scale1to5
    consultant_competence: Scale1to5
    effect: tuple[EffectAnswer, ...] = Field(min_length=7, max_length=7)


class AgreementSigned(_WithMunicipality):
    partner: Text
    agreement_kind: Literal[
        "state_scheme", "copenhagen_capacity", "early_warning", "export_council", "municipality", "other"
    ]
    municipality: Name | None = None

    @model_validator(mode="after")
    def _municipality_for_municipal(self) -> AgreementSigned:
        if self.agreement_kind == "municipality" and self.municipality is None:
            raise PydanticCustomError("municipality_required", "kommune skal angives for en aftale med en kommune")
        return self


class StaffDesignated(EventData):
    consultant: Name
    role: Literal["digital_expert", "cross_region"]


class MilestoneReached(EventData):
    milestone: Annotated[str, Field(strict=True, min_length=1, max_length=100)]
    evidence: Text | None = None

    @field_validator("milestone", mode="after")
    @classmethod
    def _known_milestone(cls, value: str, info: ValidationInfo) -> str:
        keys = _contract(info).milestone_keys()
        if value not in keys:
            raise PydanticCustomError("milestone", "ukendt milepæl", {"allowed": sorted(keys)})
        return value


class EffectMeasurementReported(EventData):
    """Erhvervsstyrelsen's effect measurement of goal 2 (seed L532–540, L434–436): the growth in jobs
    or turnover of the growth companies that received guidance in `year`, against a control group of
    non-customers, from Danmarks Statistik's data. It counts in the contract year `year`."""

    measure: Literal["jobs", "turnover"]
    year: Year
    customers_growth_pct: Percentage
    control_growth_pct: Percentage
    companies: Annotated[int, Field(strict=True, ge=1, le=10_000_000)]
    control_companies: Annotated[int, Field(strict=True, ge=1, le=10_000_000)]
    source: Text
    published_on: IsoDate


class OfficialFigureReported(EventData):
    """A figure of a target as Erhvervsstyrelsen publishes it (goals 3 and 4 and the quality figures
    "opgøres af Erhvervsstyrelsen", seed L474, L547, L1233–1236): `target` is "<goal>.<key>" of the
    contract of `year`. It counts in that contract year, and once recorded it decides the target's
    status; the house's own figure is kept beside it."""

    target: Annotated[str, Field(strict=True, min_length=3, max_length=100)]
    year: Year
    value: Annotated[float, Field(allow_inf_nan=False)]
    source: Text
    published_on: IsoDate
    note: Text | None = None

    @model_validator(mode="after")
    def _known_target(self, info: ValidationInfo) -> OfficialFigureReported:
        contract = _contract(info)
        kinds = contract.measured_target_kinds()
        kind = kinds.get(self.target)
        if kind is None:
            raise PydanticCustomError(
                "official_target",
                "ukendt mål: skal være '<mål>.<nøgle>' for et måltal i kontrakten",
                {"allowed": sorted(kinds)},
            )
        low, high = OFFICIAL_RANGES[kind]
        if not low <= self.value <= high:
            raise PydanticCustomError(
                "official_value",
                "værdien skal ligge mellem {low} og {high} for et mål af denne art",
                {"low": low, "high": high},
            )
        return self


# The range of an official figure by the kind of its target.
OFFICIAL_RANGES: dict[str, tuple[float, float]] = {
    "count": (0, 10_000_000),
    "range": (0, 10_000_000),
    "rate": (0, 100),
    "score": (-100, 100),
    "max_deviation": (0, 100),
    "growth_vs_control": (-1000, 1000),
}


class EventRetracted(EventData):
    target_event_id: EventId
    reason: Text


class PeriodClosed(EventData):
    """The director closes a contract year: later events for it need the director and are flagged."""

    year: Year
    note: Text | None = None


# The one registry: stable type strings (never Python paths) → model and current schema version.
EVENT_TYPES: dict[str, type[EventData]] = {
    "course.completed": CourseCompleted,
    "company.referred": CompanyReferred,
    "meeting.held": MeetingHeld,
    "newsletter.sent": NewsletterSent,
    "event.held": EventHeld,
    "evaluation.received": EvaluationReceived,
    "agreement.signed": AgreementSigned,
    "staff.designated": StaffDesignated,
    "milestone.reached": MilestoneReached,
    "effect_measurement.reported": EffectMeasurementReported,
    "official_figure.reported": OfficialFigureReported,
    "event.retracted": EventRetracted,
    "period.closed": PeriodClosed,
}
SCHEMA_VERSIONS: dict[str, int] = {**dict.fromkeys(EVENT_TYPES, 1), "newsletter.sent": 2}
# Types that count in the contract year their data names (`data.year`), not the year of occurred_on:
# they are validated against that year's contract, and the closed-year rule asks about that year.
YEAR_IN_DATA: frozenset[str] = frozenset({"effect_measurement.reported", "official_figure.reported"})


def validate_data(event_type: str, data: Any, contract: Contract) -> dict[str, Any]:
    """Validate and normalise an event's data; raises `pydantic.ValidationError`."""
    model = EVENT_TYPES[event_type]
    validated = model.model_validate(data, context={"contract": contract})
    return validated.model_dump(mode="json", exclude_none=True)
