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


class GoalOut(BaseModel):
    id: str
    title: str
    national: bool
    targets: list[TargetOut]


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
