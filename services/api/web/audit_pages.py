"""The auditor's pages (auditor and director): the chain checked, a moment replayed, two moments
compared, sent reports reproduced, and the statement and export downloaded with the session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from ehsj_core.audit import export as export_core
from ehsj_core.audit.integrity import verify
from ehsj_core.audit.reproduce import reproduce
from ehsj_core.audit.statement_render import (
    HTML_MIMETYPE,
    XLSX_MIMETYPE,
    statement_html,
    statement_xlsx,
)
from ehsj_core.errors import NotFound
from ehsj_core.events.validation import InvalidInput
from ehsj_core.notify import ledger
from ehsj_core.reports.labels import DISPATCH_KINDS
from ehsj_core.tracker import Tracker
from ehsj_core.users import Principal
from services.api.deps import TrackerDep
from services.api.routes.access_log import note
from services.api.web.auth import allow
from services.api.web.errors import PageNotFound
from services.api.web.headers import PREVIEW_POLICY
from services.api.web.templating import page

router = APIRouter(include_in_schema=False)
Auditor = Annotated[Principal, Depends(allow("audit"))]
MAX_MOMENT = 64


def problem_text(exc: InvalidInput | NotFound) -> str:
    return "; ".join(p.problem for p in exc.problems) if isinstance(exc, InvalidInput) else str(exc)


def chosen_year(request: Request, tracker: Tracker) -> tuple[int | None, list[int]]:
    """The year asked for, if a contract has it; otherwise this year or the newest one."""
    years = tracker.contract_book().years(tracker.house)
    asked = (request.query_params.get("year") or "").strip()
    if asked.isascii() and asked.isdigit() and int(asked) in years:
        return int(asked), years
    this = tracker.today().year
    return (this if this in years else (years[-1] if years else None)), years


def _moment(request: Request, name: str) -> str:
    return (request.query_params.get(name) or "").strip()[:MAX_MOMENT]


@router.get("/revision")
def audit_page(request: Request, user: Auditor, tracker: TrackerDep) -> HTMLResponse:
    year, years = chosen_year(request, tracker)
    integrity = verify(tracker.engine)
    as_of = _moment(request, "as_of")
    start, end = _moment(request, "from"), _moment(request, "to")
    replay: Any = None
    diff: Any = None
    problems: dict[str, str] = {}
    if as_of and year is not None:
        try:
            replay = tracker.status(year, as_of)
        except (InvalidInput, NotFound) as exc:
            problems["as_of"] = problem_text(exc)
    if (start or end) and year is not None:
        if not start or not end:
            problems["diff"] = "angiv både 'fra' og 'til'"
        else:
            try:
                diff = tracker.diff(year, start, end)
            except (InvalidInput, NotFound) as exc:
                problems["diff"] = problem_text(exc)
    sent = ledger.find_rows(tracker.engine, state="sent")
    addresses = {r.email for r in sent if not r.municipality}  # the page shows these (audit.html)
    if addresses:
        note(request, user, "recipients.read", {"where": request.url.path, "addresses": len(addresses)})
    return page(
        request,
        "audit.html",
        user,
        status_code=422 if problems else 200,
        integrity=integrity,
        triggers_ok=not any(f.position is None for f in integrity.findings),
        year=year,
        years=years,
        as_of=as_of,
        start=start,
        end=end,
        replay=replay,
        diff=diff,
        problems=problems,
        sent=sent,
        kinds=DISPATCH_KINDS,
    )


@router.get("/revision/genskab/{dispatch_id}")
def reproduce_page(dispatch_id: int, request: Request, user: Auditor, tracker: TrackerDep) -> HTMLResponse:
    if not 1 <= dispatch_id <= 2**31 - 1:
        raise PageNotFound(user, f"Forsendelse {dispatch_id} findes ikke.")
    try:
        result = reproduce(tracker, dispatch_id)
    except (InvalidInput, NotFound) as exc:
        raise PageNotFound(user, problem_text(exc)) from None
    if not result.dispatch.municipality:  # the page shows the address (audit_reproduce.html)
        note(request, user, "recipients.read", {"where": request.url.path, "addresses": 1})
    return page(request, "audit_reproduce.html", user, result=result, kinds=DISPATCH_KINDS)


def _year_or_404(request: Request, tracker: Tracker, user: Principal) -> int:
    year, _years = chosen_year(request, tracker)
    asked = (request.query_params.get("year") or "").strip()
    if year is None or (asked and asked != str(year)):
        raise PageNotFound(user, "Der er ingen kontrakt for det år.")
    return year


@router.get("/revision/resultatopgoerelse.{fmt}")
def statement_download(fmt: str, request: Request, user: Auditor, tracker: TrackerDep) -> Response:
    if fmt not in ("xlsx", "html"):
        raise PageNotFound(user, "Resultatopgørelsen findes som XLSX og HTML.")
    year = _year_or_404(request, tracker, user)
    try:
        statement = tracker.statement(year, _moment(request, "as_of") or None)
    except (InvalidInput, NotFound) as exc:
        raise PageNotFound(user, problem_text(exc)) from None
    body, media = (
        (statement_xlsx(statement), XLSX_MIMETYPE) if fmt == "xlsx" else (statement_html(statement), HTML_MIMETYPE)
    )
    name = f"resultatopgoerelse-{year}-position-{statement.position}.{fmt}"
    disposition = "attachment" if fmt == "xlsx" else "inline"
    headers = {
        "X-EHSJ-Position": str(statement.position),
        "X-EHSJ-Content-Digest": statement.content_digest,
        "Content-Disposition": f'{disposition}; filename="{name}"',
    }
    if fmt == "html":  # a whole document with inline styles of its own; it runs nothing
        headers["Content-Security-Policy"] = PREVIEW_POLICY
    return Response(body, media_type=media, headers=headers)


@router.get("/revision/eksport.jsonl")
def export_download(request: Request, user: Auditor, tracker: TrackerDep) -> StreamingResponse:
    year = _year_or_404(request, tracker, user)
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
