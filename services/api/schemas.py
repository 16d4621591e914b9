"""API schemas: the shapes on the wire, separate from event schemas and from tables."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from ehsj_core.events.schemas import EVENT_TYPES


class EventInput(BaseModel):
    """One event as a client sends it; `data` is checked against the schema of its `type`."""

    event_id: str | None = Field(default=None, description="UUID; the idempotency key (generated if absent)")
    type: str = Field(description="one of: " + ", ".join(sorted(EVENT_TYPES)))
    occurred_on: date = Field(description="business date, not after today")
    data: dict[str, Any]


class EventBatchInput(BaseModel):
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
