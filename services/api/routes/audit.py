"""The auditor's routes (auditor and director): the chain checked, any moment replayed, two moments
compared, a sent report reproduced, the final statement and the export downloaded."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, File, HTTPException, Query, Request, Response, UploadFile, status
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from ehsj_core.audit import diff as diff_core
from ehsj_core.audit import export as export_core
from ehsj_core.audit.integrity import verify
from ehsj_core.users import Principal
from services.api.deps import TrackerDep, require
from services.api.errors import problem_doc, problems
from services.api.routes.access_log import note
from services.api.schemas import GoalsOut, Moment, MunicipalitiesOut

router = APIRouter(prefix="/api/audit", tags=["audit"], responses=problems(401, 403))
Auditor = Annotated[Principal, Depends(require("audit"))]  # auditor and director; a chief gets 403 on every route here
Year = Annotated[int, Query(ge=2000, le=2100, description="kontraktåret")]
At = Annotated[Moment, Query(description="en logposition eller et tidspunkt")]
NO_YEAR = problem_doc("Ingen kontrakt for året, eller positionen findes ikke endnu")
MAX_UPLOAD = 512 * 1024 * 1024


class FindingOut(BaseModel):
    position: int | None
    problem: str


class VerifyOut(BaseModel):
    ok: bool
    events: int
    head_position: int
    head_hash: str
    first_bad_position: int | None
    findings: list[FindingOut]


class ReplayOut(BaseModel):
    status: GoalsOut
    municipalities: MunicipalitiesOut


class EventRefOut(BaseModel):
    position: int
    event_id: str
    type: str
    occurred_on: str
    recorded_at: str
    recorded_by: str


class ExplanationOut(BaseModel):
    kind: Literal["new", "retracted"]
    label: str
    event: EventRefOut
    retracted: EventRefOut | None
    reason: str | None
    late: str | None
    after_close: str | None


class TargetChangeOut(BaseModel):
    goal_id: str
    key: str
    label: str
    kind: str
    unit: str | None
    actual_before: float | None
    actual_after: float | None
    status_before: str
    status_after: str
    status_before_label: str
    status_after_label: str
    explained_total: int
    note: str | None
    official: str | None = Field(description="when Erhvervsstyrelsen's figure decides the status: it beside ours")
    explanations: list[ExplanationOut]


class MomentOut(BaseModel):
    position: int
    as_of: str | None
    on_date: str


class DiffOut(BaseModel):
    year: int
    from_: MomentOut = Field(alias="from")
    to: MomentOut
    events_between: int
    events_in_year: int
    changes: list[TargetChangeOut]
    after_close: list[EventRefOut]


class ReproduceOut(BaseModel):
    dispatch: dict[str, Any]
    identical: bool
    verdict: str
    recorded_digest: str | None
    rebuilt_digest: str
    sent_copy: str | None
    differing_parts: list[str]
    text_diff: str


class FileCheckOut(BaseModel):
    ok: bool
    rows: int
    head_position: int | None
    head_hash: str | None
    in_year: int
    line: int | None
    position: int | None
    problem: str | None


@router.get("/verify", operation_id="audit_verify", summary="Kontrollér hele loggen")
def audit_verify(_user: Auditor, tracker: TrackerDep) -> VerifyOut:
    """The whole log: the hash chain, gapless positions, the append-only triggers in place."""
    return VerifyOut.model_validate(verify(tracker.engine).as_dict())


@router.get(
    "/replay", operation_id="audit_replay", summary="Status og kommuner som på et tidspunkt", responses={404: NO_YEAR}
)
def audit_replay(_user: Auditor, tracker: TrackerDep, year: Year, as_of: At) -> ReplayOut:
    """Every goal and the municipalities as known at a moment (a position or a timestamp)."""
    report = tracker.status(year, as_of)
    figures = tracker.municipalities(year, as_of=report.as_of.position)
    return ReplayOut(
        status=GoalsOut.model_validate(report.as_dict()),
        municipalities=MunicipalitiesOut.model_validate(figures.as_dict()),
    )


@router.get(
    "/diff",
    operation_id="audit_diff",
    summary="Hvad der ændrede sig mellem to tidspunkter",
    responses={404: NO_YEAR, 422: problem_doc("Ugyldigt tidspunkt, eller 'fra' ligger efter 'til'")},
)
def audit_diff(
    _user: Auditor,
    tracker: TrackerDep,
    year: Year,
    start: Annotated[Moment, Query(alias="from", description="fra: en logposition eller et tidspunkt")],
    end: Annotated[Moment, Query(alias="to", description="til: en logposition eller et tidspunkt")],
    limit: Annotated[
        int, Query(ge=1, le=1000, description="højst så mange hændelser pr. ændret delmål")
    ] = diff_core.DEFAULT_LIMIT,
) -> DiffOut:
    """The targets that changed between two moments, each with the events that explain it."""
    return DiffOut.model_validate(tracker.diff(year, start, end, limit).as_dict())


@router.get(
    "/reproduce/{dispatch_id}",
    operation_id="audit_reproduce",
    summary="Genskab en sendt rapport og sammenlign",
    responses={404: problem_doc("Forsendelsen findes ikke i forsendelsesloggen")},
)
def audit_reproduce(
    user: Auditor, tracker: TrackerDep, request: Request, dispatch_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)]
) -> ReproduceOut:
    """Rebuild a sent report from its ledger row's log position and compare the digests (the answer
    names the recipient's address: recorded in the access log)."""
    from ehsj_core.audit.reproduce import reproduce

    result = reproduce(tracker, dispatch_id)
    note(request, user, "recipients.read", {"where": request.url.path, "addresses": 1})
    return ReproduceOut.model_validate(result.as_dict())


@router.get(
    "/statement",
    operation_id="audit_statement",
    summary="Årets endelige resultatopgørelse",
    responses={
        404: NO_YEAR,
        200: {
            "content": {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
                "text/html": {},
                "application/json": {},
            }
        },
    },
)
def audit_statement(
    _user: Auditor,
    tracker: TrackerDep,
    year: Year,
    format: Annotated[Literal["xlsx", "html", "json"], Query(description="formatet")] = "xlsx",
    as_of: Annotated[Moment | None, Query(description="en logposition eller et tidspunkt (standard: nu)")] = None,
) -> Response:
    """The final statement of the year, as a download (XLSX or HTML) or as JSON."""
    from ehsj_core.audit.statement_render import (
        HTML_MIMETYPE,
        XLSX_MIMETYPE,
        statement_html,
        statement_xlsx,
    )

    statement = tracker.statement(year, as_of)
    headers = {"X-EHSJ-Position": str(statement.position), "X-EHSJ-Content-Digest": statement.content_digest}
    if format == "json":
        return Response(
            _json_bytes({**statement.as_dict(), "content_digest": statement.content_digest}),
            media_type="application/json",
            headers=headers,
        )
    body, media = (
        (statement_xlsx(statement), XLSX_MIMETYPE) if format == "xlsx" else (statement_html(statement), HTML_MIMETYPE)
    )
    name = f"resultatopgoerelse-{year}-position-{statement.position}.{format}"
    disposition = "attachment" if format == "xlsx" else "inline"
    return Response(
        body, media_type=media, headers={**headers, "Content-Disposition": f'{disposition}; filename="{name}"'}
    )


@router.get(
    "/export",
    operation_id="audit_export",
    summary="Hele loggen med hashkæden som JSON Lines",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
def audit_export(user: Auditor, tracker: TrackerDep, request: Request, year: Year) -> StreamingResponse:
    """The whole log with its hash chain as JSON Lines; `in_year` marks the events of the year.
    Recorded in the access log before the first line is sent."""
    note(request, user, "log.export", {"year": year})
    lines: Iterator[bytes] = export_core.export_lines(
        tracker.log,
        tracker.house,
        year,
        contract_sha256=export_core.contract_sha256_of(tracker.contract_book(), tracker.house, year),
    )
    name = f"haendelseslog-{tracker.house}-{year}.jsonl"
    return StreamingResponse(
        lines, media_type="application/x-ndjson", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.post(
    "/verify-file", operation_id="audit_verify_file", summary="Kontrollér en eksportfil", responses=problems(413)
)
def audit_verify_file(
    _user: Auditor, file: Annotated[UploadFile, File(description="en eksport (.jsonl)")]
) -> FileCheckOut:
    """Check an uploaded export the way `ehsj audit verify-file` does (no database involved)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.jsonl"
        size = 0
        with path.open("wb") as target:
            while chunk := file.file.read(1 << 20):
                size += len(chunk)
                if size > MAX_UPLOAD:
                    raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, detail="Filen er for stor")
                target.write(chunk)
        return FileCheckOut.model_validate(export_core.verify_file(path).as_dict())


def _json_bytes(value: dict[str, Any]) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
