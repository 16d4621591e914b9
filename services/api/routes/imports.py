"""Uploading an export of the CRM or the evaluation system (consultant and director), or one of
Erhvervsstyrelsen's files (the director: another role gets the rule book's 403): the same checks and
row-level report as `ehsj import`."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, HTTPException, Query, Request, Response, UploadFile, status
from fastapi import Path as PathParam
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as AnyUpload
from starlette.types import Message, Receive

from ehsj_core.events.validation import Problem
from ehsj_core.imports.limits import ImportLimits, size_problem, too_large
from ehsj_core.imports.run import ImportReport, import_file
from services.api.deps import Appender, TrackerDep
from services.api.errors import PROBLEM_JSON, PROBLEM_REF, problem_doc, problem_response, problems

ENVELOPE = 64 * 1024  # the multipart around the file (boundaries, part headers, the other fields)
CHUNK = 1024 * 1024


class UploadTooLarge(HTTPException):
    """An upload past `import_max_bytes` (its words from `limits.size_problem`): a 413."""

    def __init__(self, problem: str) -> None:
        super().__init__(status.HTTP_413_CONTENT_TOO_LARGE, detail=[Problem("file", None, problem).as_dict()])
        self.problem = problem


class LimitedUpload(APIRoute):
    """A route whose body may hold one file of at most `import_max_bytes`: a larger Content-Length is
    refused before a byte of the body is read, a body that streams past it (chunked, or a lying length)
    as soon as it does. Without it Starlette spools the whole body to disk before the route runs.
    `refused` answers; the web page's route renders the page instead (web/import_pages.py)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            limits = upload_limits(request)
            most = limits.max_bytes + ENVELOPE
            try:
                length = request.headers.get("content-length", "")
                declared = int(length) if length.isdigit() else 0  # the server refuses a malformed one
                if declared > most:  # the body's length: the file's, give or take its envelope
                    raise UploadTooLarge(too_large(declared, limits))
                return await handler(Request(request.scope, _counted(request.receive, most, limits)))
            except UploadTooLarge as exc:
                return await self.refused(request, exc)

        return limited

    async def refused(self, _request: Request, exc: UploadTooLarge) -> Response:
        return problem_response(exc.status_code, problems=[Problem("file", None, exc.problem)])


def upload_limits(request: Request) -> ImportLimits:
    return ImportLimits.of(request.app.state.tracker.settings)


def _counted(receive: Receive, most: int, limits: ImportLimits) -> Receive:
    """`receive`, refusing the request once its body has passed `most` bytes."""
    seen = 0

    async def counting() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > most:
                raise UploadTooLarge(too_large(seen, limits, at_least=True))
        return message

    return counting


async def read_upload(file: AnyUpload, limits: ImportLimits) -> bytes:
    """The uploaded file's bytes (a 413 past the limit: from the size Starlette spooled, else as soon
    as the reading passes it)."""
    problem = size_problem(file.size or 0, limits)
    if problem is not None:
        raise UploadTooLarge(problem)
    parts: list[bytes] = []
    size = 0
    while chunk := await file.read(CHUNK):
        size += len(chunk)
        if size > limits.max_bytes:
            raise UploadTooLarge(too_large(size, limits, at_least=True))
        parts.append(chunk)
    return b"".join(parts)


router = APIRouter(  # Appender: a chief gets 403
    prefix="/api/imports", tags=["imports"], route_class=LimitedUpload, responses=problems(401, 403)
)


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
    operation_id="imports_upload",
    summary="Importér en eksport eller Erhvervsstyrelsens fil",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"description": "Intet nyt: hver række fandtes i loggen (eller, med skip_bad, blev de dårlige udeladt)"},
        403: problem_doc("Rollen må ikke importere denne slags (Erhvervsstyrelsens filer er direktørens)"),
        413: problem_doc("Filen er større end import_max_bytes: afvist, før indholdet læses"),
        422: {
            "description": "Dårlige rækker (application/json: rapporten, intet er gemt, hvert problem ved række og"
            " kolonne) eller en ugyldig forespørgsel eller fil ud over grænserne (application/problem+json)",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/ImportOut"}},
                PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}},
            },
        },
    },
)
async def upload(
    kind: Annotated[
        Literal["crm", "evaluations", "effect-measurements", "official-figures"], PathParam(description="filens slags")
    ],
    user: Appender,
    tracker: TrackerDep,
    response: Response,
    file: Annotated[UploadFile, File(description="CSV (; eller ,; UTF-8 eller Windows-1252) eller XLSX")],
    skip_bad: Annotated[bool, Query(description="gem de gode rækker og returnér de dårlige")] = False,
) -> ImportOut:
    """Import a CRM export (`crm`), an evaluation export (`evaluations`), or Erhvervsstyrelsen's effect
    measurement (`effect-measurements`) or official figures (`official-figures`). All or nothing, unless
    `skip_bad`. A file past the limits (`import_max_bytes`, `import_max_uncompressed_bytes`,
    `import_max_rows`) is refused whole: past the size a 413 before the body is read, past the others
    a 422 naming the limit."""
    limits = ImportLimits.of(tracker.settings)
    data = await read_upload(file, limits)

    def run() -> ImportReport:  # in a worker thread: the server answers others meanwhile
        destination = tracker.import_destination()
        return import_file(destination, kind, data, file.filename or "", by=user, skip_bad=skip_bad, limits=limits)

    report = await run_in_threadpool(run)
    if report.problems and not (skip_bad and report.valid):
        response.status_code = status.HTTP_422_UNPROCESSABLE_CONTENT
    elif report.stored == 0:
        response.status_code = status.HTTP_200_OK
    bad = None if report.bad_rows_csv is None else report.bad_rows_csv.decode("utf-8-sig")
    return ImportOut.model_validate({**report.as_dict(), "bad_rows_csv": bad})
