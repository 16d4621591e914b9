"""Reading the contract and the derived status: goals and municipalities, live or as of a moment."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ehsj_core.projections.moment import contract_summary
from services.api.deps import Reader, TrackerDep
from services.api.schemas import ContractOut, GoalOneOut, GoalsOut, MunicipalitiesOut

router = APIRouter(prefix="/api", tags=["status"])

Year = Annotated[int | None, Query(ge=2000, le=2100, description="contract year (default: the current one)")]
AsOfParam = Annotated[
    str | None,
    Query(
        max_length=64,
        description="a log position (integer) or an ISO timestamp: every event recorded at or before it",
    ),
]


@router.get("/contract")
def read_contract(_user: Reader, tracker: TrackerDep, year: Year = None) -> ContractOut:
    """The contract in force for the year, as validated."""
    item = tracker.contract(year)
    return ContractOut.model_validate(
        {"contract": contract_summary(item), "body": item.contract.model_dump(mode="json")}
    )


@router.get("/goals")
def read_goals(_user: Reader, tracker: TrackerDep, year: Year = None, as_of: AsOfParam = None) -> GoalsOut:
    """Status of every goal and target."""
    return GoalsOut.model_validate(tracker.status(year, as_of).as_dict())


@router.get("/goals/{goal_id}")
def read_goal(
    goal_id: str,
    _user: Reader,
    tracker: TrackerDep,
    year: Year = None,
    as_of: AsOfParam = None,
) -> GoalOneOut:
    """Status of one goal (ids as in the contract: 1, 2, 5A …)."""
    report, goal = tracker.goal(goal_id, year, as_of)
    body = report.as_dict()
    body.pop("goals")
    return GoalOneOut.model_validate({**body, "goal": goal.as_dict()})


@router.get("/municipalities")
def read_municipalities(
    user: Reader, tracker: TrackerDep, year: Year = None, as_of: AsOfParam = None
) -> MunicipalitiesOut:
    """The 17 municipalities side by side (a business chief: their own municipality's row only)."""
    report = tracker.municipalities(year, as_of)
    body = report.as_dict()
    scope = user.municipality_scope()
    if scope is not None:
        own = report.contract.contract.canonical_municipality(scope)
        body["municipalities"] = [m for m in body["municipalities"] if m["name"] == own]
    return MunicipalitiesOut.model_validate(body)
