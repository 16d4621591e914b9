"""API schemas: the shapes on the wire, separate from event schemas and from tables."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    PlainValidator,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from ehsj_core.events.schemas import EVENT_TYPES

_POSITION = re.compile(r"([0-9]+)(\.0*)?")  # 20.0 is an integer too, to JSON Schema (and so to schemathesis)
_TIMESTAMP_TEXT = re.compile(r"(19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}.*")
_LEAP_SECOND = re.compile(r"([Tt ][0-9]{2}:[0-9]{2}):60")
_DAY_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIMESTAMP = TypeAdapter(datetime)
YEARS_PATTERN = "^(19|20)[0-9]{2}-"
TIMESTAMP_PROBLEM = "skal være et ISO-tidspunkt i årene 1900–2099, fx 2019-10-01T08:00"
MOMENT_PROBLEM = "skal være en logposition (heltal fra 0) eller et ISO-tidspunkt i årene 1900–2099, fx 2019-10-01T08:00"
_TIMESTAMP_SCHEMA = {
    "type": "string",
    "format": "date-time",
    "pattern": YEARS_PATTERN,
    "description": "et tidspunkt (ISO 8601) i årene 1900–2099; uden tidszone: dansk tid",
}


def parse_timestamp(value: object) -> datetime:
    """An ISO 8601 timestamp (RFC 3339) of the years 1900–2099 — text only: no Unix seconds, which
    Pydantic would otherwise read into a number."""
    text = str(value).strip()
    if _TIMESTAMP_TEXT.fullmatch(text):
        try:  # a leap second (RFC 3339 allows :60) is read as the second before it
            return _TIMESTAMP.validate_python(_LEAP_SECOND.sub(r"\1:59", text, count=1))
        except ValidationError:
            pass
    raise PydanticCustomError("timestamp", TIMESTAMP_PROBLEM)


def parse_moment(value: object) -> int | datetime:
    """A moment of the log as the API takes it: a whole number is a position, anything else a
    timestamp (`parse_timestamp`)."""
    text = str(value).strip()
    position = _POSITION.fullmatch(text)
    if position:
        return int(position.group(1))
    try:
        return parse_timestamp(text)
    except PydanticCustomError:
        raise PydanticCustomError("moment", MOMENT_PROBLEM) from None


def parse_day(value: object) -> date:
    """A date as YYYY-MM-DD, and only so (no Unix seconds)."""
    text = str(value).strip()
    if _DAY_TEXT.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise PydanticCustomError("day", "skal være en dato (ÅÅÅÅ-MM-DD)")


# What the parsers accept, as the schema says it: schemathesis draws from exactly this.
Timestamp = Annotated[datetime, PlainValidator(parse_timestamp), WithJsonSchema(_TIMESTAMP_SCHEMA)]
Moment = Annotated[
    int | datetime,
    PlainValidator(parse_moment),
    WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 0, "description": "en logposition"}, _TIMESTAMP_SCHEMA]}),
]
Day = Annotated[date, PlainValidator(parse_day), WithJsonSchema({"type": "string", "format": "date"})]


# The event types, for the schema; the core checks the type itself (an unknown one: its own Danish problem).
EVENT_TYPE_ENUM: dict[str, JsonValue] = {"enum": [*sorted(EVENT_TYPES)]}


class EventInput(BaseModel):
    """One event as a client sends it; `data` is checked against the schema of its `type`."""

    model_config = ConfigDict(extra="forbid")  # as the core: an unknown field is refused

    event_id: uuid.UUID | None = Field(default=None, description="idempotensnøglen (dannes, hvis den mangler)")
    type: str = Field(description="hændelsestypen", json_schema_extra=EVENT_TYPE_ENUM)
    occurred_on: date = Field(description="forretningsdatoen, ikke efter i dag")
    data: dict[str, Any] = Field(description="hændelsens data, efter typens skema")


class EventBatchInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[EventInput] = Field(min_length=1)


class AppendedEvent(BaseModel):
    event_id: str
    position: int
    duplicate: bool


class EventsAppended(BaseModel):
    events: list[AppendedEvent]


class EventOut(BaseModel):
    position: int
    event_id: str
    type: str
    schema_version: int
    house: str
    occurred_on: str
    recorded_at: str
    recorded_by: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


class EventPage(BaseModel):
    events: list[EventOut]
    next_after: int | None = Field(description="pass as `after` for the next page; null at the end")


class ContractRef(BaseModel):
    house: str
    year: int
    title: str
    sha256: str
    filename: str


class OfficialOut(BaseModel):
    """Erhvervsstyrelsen's own figure of the target: where one exists, it decides status and fulfilment."""

    value: float
    source: str
    published_on: str
    note: str | None


class EffectPartsOut(BaseModel):
    """The effect figure's two parts (seed: "høj" and "middel påvirkning"), which add up to it."""

    high_pct: float | None
    middle_pct: float | None
    answers: int


class GrowthOut(BaseModel):
    """Goal 2: the growth companies' growth against the control group's, and the rule judging it."""

    measure: str
    customers_growth_pct: float
    control_growth_pct: float
    companies: int
    control_companies: int
    source: str
    published_on: str
    rule: str = Field(description="points: the difference in percentage points; relative: as % of the control's")
    excess: float | None


class ForecastOut(BaseModel):
    """Where the year will end (projections/forecast.py): the expected value and its 10–90 % range."""

    value: float
    low: float
    high: float
    word: str = Field(description="expected_met, uncertain (the target inside the range) or expected_missed")
    word_label: str
    needed_per_week: float | None = Field(description="counts: how many a week the rest of the year needs")
    needed_share_pct: float | None = Field(description="rates: the figure the answers still to come need")
    method: str = Field(description="history (earlier years' pattern), own_rate, answers, or final")
    history_years: list[int]


class UnmatchedOut(BaseModel):
    course_type: str
    company_cvr: str
    answered_on: str


class TargetOut(BaseModel):
    key: str
    kind: str
    label: str
    actual: float | None
    target: float | None
    target_min: float | None
    target_max: float | None
    unit: str | None
    status: str
    status_label: str
    fulfilment_pct: int | None
    expected_by_now: float | None
    deadline: str | None
    reached_on: str | None
    note: str | None
    official: OfficialOut | None = Field(description="Erhvervsstyrelsen's figure, when recorded; `actual` is ours")
    difference: float | None = Field(description="official − actual, when both exist")
    decided_by: str = Field(description="official or own: which figure status and fulfilment follow")
    effect_parts: EffectPartsOut | None
    growth: GrowthOut | None
    forecast: ForecastOut | None = Field(description="where the year will end; null where not forecast")


class GoalOut(BaseModel):
    id: str
    title: str
    national: bool
    category: str = Field(description="national, common (to every house) or local (agreed locally)")
    category_label: str
    fulfilment_pct: int | None = Field(description="the goal as a whole, where the contract says how (goal 6)")
    fulfilment_note: str | None
    targets: list[TargetOut]
    unmatched_evaluations: list[UnmatchedOut] = Field(
        description="answers of the goal's course types that follow no course of the company: they count nowhere"
    )


class GoalsOut(BaseModel):
    contract: ContractRef
    year: int
    position: int
    as_of: str | None
    on_date: str
    goals: list[GoalOut]


class GoalOneOut(BaseModel):
    contract: ContractRef
    year: int
    position: int
    as_of: str | None
    on_date: str
    goal: GoalOut


class MunicipalityOut(BaseModel):
    name: str
    population: int
    population_share_pct: float
    contribution_dkk: int
    courses: dict[str, int]
    specialised_courses: int
    specialised_share_pct: float | None
    deviation_pp: float | None
    events_hosted: int
    newsletters: int
    council_presentation_offered: bool


class MunicipalitiesOut(BaseModel):
    contract: ContractRef
    year: int
    position: int
    as_of: str | None
    municipalities: list[MunicipalityOut]


class ContractOut(BaseModel):
    contract: ContractRef
    body: dict[str, Any] = Field(description="the contract as validated: goals, targets, municipalities, calendar")


class Health(BaseModel):
    status: str
    position: int
