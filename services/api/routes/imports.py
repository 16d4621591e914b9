"""Uploading an export of the CRM or the evaluation system (consultant and director), or one of
Erhvervsstyrelsen's files (the director: another role gets the rule book's 403): the same checks and
row-level report as `ehsj import`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, HTTPException, Query, Response, UploadFile, status
from pydantic import BaseModel, Field

from ehsj_core.imports.run import import_file
from services.api.deps import Appender, TrackerDep

router = APIRouter(prefix="/api/imports", tags=["imports"])  # Appender: a chief (or an auditor) gets 403
MAX_UPLOAD = 100 * 1024 * 1024


class RowProblemOut(BaseModel):
    row: int = Field(description="the row in the spreadsheet (the header is row 1); 0 for the file as a whole")
    column: str
    value: str
    problem: str
    allowed: list[str] | None


class UnmatchedOut(BaseModel):
    row: int
    company_cvr: str
    course_type: str
    course_type_name: str
    answered_on: str = Field(description="the answer's date, YYYY-MM-DD")
    problem: str


class ImportOut(BaseModel):
    kind: str
    filename: str
    encoding: str
    rows: int
    valid: int
    stored: int
    duplicates: int
    bad_rows: int
    problems: list[RowProblemOut]
    unmatched: list[UnmatchedOut] = Field(
        default_factory=list,
        description="evaluations that follow no course of their type for the company: stored, but counted nowhere",
    )
    bad_rows_csv: str | None = Field(
        description="with skip_bad: the bad rows with a column Fejl, to fix and upload again"
    )


@router.post(
    "/{kind}",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {
            "description": "nothing new: every row was already in the log (or, with skip_bad, bad rows were left out)"
        },
        403: {"description": "the role may not import this kind (Erhvervsstyrelsen's files are the director's)"},
        422: {"description": "bad rows: nothing was stored; the report names each problem by row and column"},
    },
)
def upload(
    kind: Literal["crm", "evaluations", "effect-measurements", "official-figures"],
    user: Appender,
    tracker: TrackerDep,
    response: Response,
    file: Annotated[UploadFile, File(description="CSV (; or ,; UTF-8 or Windows-1252) or XLSX")],
    skip_bad: Annotated[bool, Query(description="store the good rows and return the bad ones")] = False,
) -> ImportOut:
    """Import a CRM export (`crm`), an evaluation export (`evaluations`), or Erhvervsstyrelsen's effect
    measurement (`effect-measurements`) or official figures (`official-figures`). All or nothing, unless
    `skip_bad`."""
    data = file.file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE, detail=f"Filen er for stor (højst {MAX_UPLOAD // 1024 // 1024} MB)"
        )
    report = import_file(tracker.import_destination(), kind, data, file.filename or "", by=user, skip_bad=skip_bad)
    if report.problems and not (skip_bad and report.valid):
        response.status_code = status.HTTP_422_UNPROCESSABLE_CONTENT
    elif report.stored == 0:
        response.status_code = status.HTTP_200_OK
    bad = None if report.bad_rows_csv is None else report.bad_rows_csv.decode("utf-8-sig")
    return ImportOut.model_validate({**report.as_dict(), "bad_rows_csv": bad})
