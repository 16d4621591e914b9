"""Reading the national roll-up (issue 14): the houses' stored exports and the national goals across
them. Open to the permission "national" (the national role, the director). Each route parses, calls
one core function (ehsj_core/national/rollup.py) and returns.

The roll-up is answered as the core's canonical bytes (sorted keys), so that its `digest` can be
checked on exactly what was received: the SHA-256 of the document without the `digest` key."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from ehsj_core.national.rollup import exports_overview
from ehsj_core.users import Principal
from services.api.deps import TrackerDep, require
from services.api.errors import problem_doc, problems
from services.api.schemas import ContractRef

router = APIRouter(prefix="/api/national", tags=["national"], responses=problems(401, 403))
National = Annotated[Principal, Depends(require("national"))]


class NationalSource(BaseModel):
    """The export a figure came from."""

    export_id: int
    house: str
    head_position: int
    head_hash: str


class NationalExportOut(BaseModel):
    export_id: int
    house: str
    year: int
    head_position: int
    head_hash: str
    exported_at: str
    file_sha256: str
    contract_sha256: str | None


class NationalExportStored(NationalExportOut):
    received_at: str
    received_via: str


class NationalHouseExports(BaseModel):
    house: str
    name: str
    exports: list[NationalExportStored]
    newest: NationalSource | None


class NationalExportsOut(BaseModel):
    houses: list[NationalHouseExports]
    exports: int


class NationalHouseOut(BaseModel):
    house: str
    name: str
    fictitious: bool
    source: NationalSource
    contract: ContractRef
    position: int
    on_date: str
    goals: list[dict[str, Any]] = Field(description="every goal as the house's own /api/goals?as_of=<head> has it")


class NationalFigures(BaseModel):
    summed: bool
    reason: str | None
    on_date: str | None = None
    goals: list[dict[str, Any]]
    sources: list[NationalSource]


class NationalStatusOut(BaseModel):
    format: str
    version: int
    year: int
    exports: list[NationalExportOut]
    without_contract: list[dict[str, Any]]
    houses: list[NationalHouseOut]
    national: NationalFigures
    side_by_side: dict[str, Any]
    digest: str = Field(description="SHA-256 (hex) of the canonical JSON of this document without `digest`")


@router.get(
    "/status",
    operation_id="national_status",
    summary="Den nationale opgørelse for et år",
    response_class=Response,
    responses={
        200: {"model": NationalStatusOut, "content": {"application/json": {}}},
        404: problem_doc("En valgt eksport findes ikke"),
        422: problem_doc("Ugyldigt år, to eksporter fra samme hus, eller intet kontrakt for et valgt hus"),
    },
)
def national_status(
    _user: National,
    tracker: TrackerDep,
    year: Annotated[int, Query(ge=2000, le=2100, description="kontraktåret, fx 2019")],
    export: Annotated[
        list[int] | None,
        Query(description="gemte eksporters id, højst én pr. hus (standard: hvert hus' nyeste)"),
    ] = None,
) -> Response:
    """The roll-up of the year over the chosen exports, as canonical JSON with its digest."""
    rollup = tracker.national_rollup(year, export)
    return Response(rollup.canonical(), media_type="application/json")


@router.get("/exports", operation_id="national_exports_list", summary="De gemte eksporter pr. hus")
def national_exports(_user: National, tracker: TrackerDep) -> NationalExportsOut:
    """What the national installation stores, per house."""
    return NationalExportsOut.model_validate(exports_overview(tracker.engine, tracker.houses))
