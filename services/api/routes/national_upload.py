"""The national installation's intake of a house's export by upload: `POST /api/national/exports`.

Authenticated by the house's upload token (ehsj_core/national/tokens.py), never by a user's API
token: a token says which house may upload, and nothing more. The body (the export file, JSON Lines)
is streamed to a temporary file of at most `import_max_bytes` and handed to the intake in one call,
which verifies and stores it in one transaction (ehsj_core/national/intake.py).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from ehsj_core.events.validation import Problem
from ehsj_core.imports.limits import ImportLimits, too_large
from ehsj_core.national import intake, tokens
from services.api.deps import TrackerDep
from services.api.errors import problem_doc

EXPORT_MEDIA_TYPE = "application/x-ndjson"
MEDIA_TYPES = (EXPORT_MEDIA_TYPE, "application/octet-stream")
house_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="HouseUploadToken",
    description="husets uploadnøgle fra `ehsj national token-create --house NØGLE` på den nationale installation",
)
router = APIRouter(prefix="/api/national", tags=["national"])


def current_uploader(
    tracker: TrackerDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(house_bearer)]
) -> tokens.Uploader:
    found = tokens.authenticate(tracker.engine, credentials.credentials) if credentials else None
    if found is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="Manglende, ukendt eller tilbagekaldt uploadnøgle (Authorization: Bearer <husets uploadnøgle>)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return found


Uploader = Annotated[tokens.Uploader, Depends(current_uploader)]


class AddedOut(BaseModel):
    """What the intake did with the export (`intake.Added`)."""

    status: Literal["added", "already_received"]
    export_id: int
    house: str
    year: int
    head_position: int
    head_hash: str
    new_rows: int


def _refusal(code: int, found: list[Problem]) -> HTTPException:
    """A problem answer with its field problems (services/api/errors.py turns the list into `errors`)."""
    return HTTPException(code, detail=[p.as_dict() for p in found])


class TooLarge(Exception):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


async def _spool(request: Request, path: Path, limits: ImportLimits) -> None:
    """The request's body into `path`; `TooLarge` as soon as it passes `limits.max_bytes`."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limits.max_bytes:  # refused before a byte is read
        raise TooLarge(too_large(int(length), limits))
    size = 0
    with path.open("wb") as out:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limits.max_bytes:
                raise TooLarge(too_large(size, limits, at_least=True))
            await run_in_threadpool(out.write, chunk)


@router.post(
    "/exports",
    operation_id="national_exports_upload",
    summary="Modtag et erhvervshus' eksport af loggen",
    status_code=status.HTTP_201_CREATED,
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "eksportfilen som `ehsj audit export` skriver den (JSON Lines)",
            # the bytes are read as they come, whatever the type says; octet-stream for clients without ndjson
            "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in MEDIA_TYPES},
        }
    },
    responses={
        200: {
            "model": AddedOut,
            "description": "Allerede modtaget: samme eksport eller en del af det gemte; intet ændret",
        },
        401: problem_doc("Manglende, ukendt eller tilbagekaldt uploadnøgle"),
        403: problem_doc("Uploadnøglen tilhører et andet erhvervshus end eksportens"),
        413: problem_doc("Filen er større end import_max_bytes"),
        422: problem_doc(
            "Eksporten er afvist (kæden er brudt, den forlænger ikke husets gemte eksport, ukendt hus, "
            "ingen kontrakt for året): intet er gemt"
        ),
    },
)
async def upload_export(uploader: Uploader, tracker: TrackerDep, request: Request, response: Response) -> AddedOut:
    """Take in one house's export: verified exactly as `verify-file` does, then stored read-only.
    201 when added, 200 when the national installation already has it (a repeat changes nothing)."""
    limits = ImportLimits.of(tracker.settings)
    with tempfile.TemporaryDirectory(prefix="ehsj-upload-") as folder:
        path = Path(folder) / "export.jsonl"
        try:
            await _spool(request, path, limits)
        except TooLarge as exc:
            raise _refusal(status.HTTP_413_CONTENT_TOO_LARGE, [Problem("file", None, exc.problem)]) from None

        def add() -> intake.Added:  # in a worker thread: verifying reads the whole file
            return intake.add_export(
                tracker.engine,
                path,
                houses=tracker.houses,
                book=tracker.contract_book(),
                via="upload",
                by=f"token {uploader.token_id} {uploader.name}"[:128],
                expected_house=uploader.house,
            )

        try:
            added = await run_in_threadpool(add)
        except intake.ExportRefused as exc:
            code = status.HTTP_403_FORBIDDEN if exc.kind == "other_house" else status.HTTP_422_UNPROCESSABLE_CONTENT
            raise _refusal(code, exc.problems) from None
    if added.status == "already_received":
        response.status_code = status.HTTP_200_OK
    return AddedOut.model_validate(added.as_dict())
