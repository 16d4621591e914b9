"""Uploading a CRM or evaluation export, or one of Erhvervsstyrelsen's files, in the browser: the same
checks and row-level report as the API and `ehsj import` (consultant and director: importing appends
to the log; Erhvervsstyrelsen's files only the director, so only they are offered them)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ehsj_core.events.rulebook import Forbidden, permitted
from ehsj_core.imports.limits import MB, ImportLimits
from ehsj_core.imports.mapping import FORMATS
from ehsj_core.imports.run import ImportReport, import_file
from ehsj_core.users import Principal
from services.api.deps import TrackerDep
from services.api.routes.imports import LimitedUpload, UploadTooLarge, read_upload, upload_limits
from services.api.web.auth import CheckedForm, Writer, web_user, writer
from services.api.web.templating import page


class LimitedPage(LimitedUpload):
    """The API's upload limit (`LimitedUpload`), answered with the page: the file was too large."""

    async def refused(self, request: Request, exc: UploadTooLarge) -> Response:
        user = writer(web_user(request, request.app.state.tracker))
        return _render(request, user, problem=_sentence(exc.problem), status_code=exc.status_code)


router = APIRouter(include_in_schema=False, route_class=LimitedPage)
KINDS = {
    "crm": "CRM-eksport (forløb)",
    "evaluations": "Evalueringseksport",
    "effect-measurements": "Erhvervsstyrelsens effektmåling (mål 2)",
    "official-figures": "Erhvervsstyrelsens officielle tal",
}


def kinds_for(user: Principal) -> dict[str, str]:
    """The kinds offered to the user: those their role may import (a format's permission). Posting
    another is refused by `import_file` with the rule book's words, a 403."""
    return {kind: label for kind, label in KINDS.items() if _may_import(user, FORMATS[kind].permission)}


def _may_import(user: Principal, permission: str | None) -> bool:
    return permission is None or permitted(user.role, permission)


def _render(
    request: Request,
    user: Principal,
    kind: str = "crm",
    skip_bad: bool = False,
    report: ImportReport | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return page(
        request,
        "import.html",
        user,
        status_code=status_code,
        kinds=kinds_for(user),
        kind=kind,
        skip_bad=skip_bad,
        report=report,
        problem=problem,
        max_mb=upload_limits(request).max_bytes // MB,
    )


def _sentence(problem: str) -> str:
    return f"{problem[:1].upper()}{problem[1:]}."


@router.get("/import")
def import_form(request: Request, user: Writer) -> HTMLResponse:
    return _render(request, user)


@router.post("/import")
async def import_upload(request: Request, user: Writer, posted: CheckedForm, tracker: TrackerDep) -> HTMLResponse:
    kind = str(posted.get("kind") or "")
    skip_bad = posted.get("skip_bad") is not None
    upload = posted.get("file")
    if kind not in KINDS:
        return _render(request, user, "crm", skip_bad, problem="Vælg hvilken slags fil det er.", status_code=422)
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _render(request, user, kind, skip_bad, problem="Vælg en fil at indlæse.", status_code=422)
    limits = ImportLimits.of(tracker.settings)
    try:
        data = await read_upload(upload, limits)
    except UploadTooLarge as exc:
        return _render(request, user, kind, skip_bad, problem=_sentence(exc.problem), status_code=exc.status_code)
    name = upload.filename

    def run() -> ImportReport:  # in a worker thread: the server answers others meanwhile
        return import_file(tracker.import_destination(), kind, data, name, by=user, skip_bad=skip_bad, limits=limits)

    try:
        report = await run_in_threadpool(run)
    except Forbidden as exc:  # a role the rule book refuses the kind: its words, as the API's 403
        problem = "; ".join(p.problem for p in exc.problems)
        return _render(request, user, "crm", skip_bad, problem=_sentence(problem), status_code=403)
    failed = bool(report.problems) and not (skip_bad and report.valid)
    return _render(request, user, kind, skip_bad, report=report, status_code=422 if failed else 200)
