"""Reading the contract and the derived status: goals and municipalities, live or as of a moment."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from ehsj_core.projections.moment import contract_summary
from services.api.deps import Reader, TrackerDep
from services.api.errors import problem_doc, problems
from services.api.schemas import ContractOut, GoalOneOut, GoalsOut, Moment, MunicipalitiesOut

router = APIRouter(prefix="/api", tags=["status"], responses=problems(401, 403))

Year = Annotated[int | None, Query(ge=2000, le=2100, description="kontraktåret (standard: det gældende)")]
AsOfParam = Annotated[
    Moment | None,
    Query(description="en logposition eller et tidspunkt: alle hændelser registreret til og med den (standard: nu)"),
]
NO_YEAR = problem_doc("Ingen kontrakt for året, eller positionen findes ikke endnu")


@router.get("/contract", operation_id="contract_read", summary="Kontrakten for et år", responses={404: NO_YEAR})
def read_contract(_user: Reader, tracker: TrackerDep, year: Year = None) -> ContractOut:
    """The contract in force for the year, as validated."""
    item = tracker.contract(year)
    return ContractOut.model_validate(
        {"contract": contract_summary(item), "body": item.contract.model_dump(mode="json")}
    )


@router.get("/goals", operation_id="goals_list", summary="Status for alle mål", responses={404: NO_YEAR})
def read_goals(_user: Reader, tracker: TrackerDep, year: Year = None, as_of: AsOfParam = None) -> GoalsOut:
    """Status of every goal and target."""
    return GoalsOut.model_validate(tracker.status(year, as_of).as_dict())


@router.get(
    "/goals/{goal_id}",
    operation_id="goals_read",
    summary="Status for ét mål",
    responses={
        404: problem_doc("Målet findes ikke i årets kontrakt, året har ingen kontrakt, eller positionen findes ikke")
    },
)
def read_goal(
    goal_id: Annotated[str, Path(max_length=16, description="målets id som i kontrakten: 1, 2, 5A …")],
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


@router.get(
    "/municipalities",
    operation_id="municipalities_list",
    summary="Husets kommuner side om side",
    responses={404: NO_YEAR},
)
def read_municipalities(
    user: Reader, tracker: TrackerDep, year: Year = None, as_of: AsOfParam = None
) -> MunicipalitiesOut:
    """The house's municipalities side by side (a business chief: their own municipality's row only)."""
    report = tracker.municipalities(year, as_of)
    body = report.as_dict()
    scope = user.municipality_scope()
    if scope is not None:
        own = report.contract.contract.canonical_municipality(scope)
        body["municipalities"] = [m for m in body["municipalities"] if m["name"] == own]
    return MunicipalitiesOut.model_validate(body)
