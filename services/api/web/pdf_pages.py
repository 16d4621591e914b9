"""PDF downloads (auditor and director): the final statement at a moment, and a sent report rebuilt
from the log position in its ledger row. Registered before `audit_pages` (web/__init__.py): its
`/revision/resultatopgoerelse.{fmt}` and `/revision/genskab/{dispatch_id}` would take these paths."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ehsj_core.errors import NotFound
from ehsj_core.events.validation import InvalidInput
from services.api.deps import TrackerDep
from services.api.web.audit_pages import MAX_MOMENT, Auditor, chosen_year, problem_text
from services.api.web.errors import PageNotFound

router = APIRouter(include_in_schema=False)
PDF_MIMETYPE = "application/pdf"
# WeasyPrint (and Pango under it) loads with the first PDF, not with the app: the pages start without it.


@router.get("/revision/resultatopgoerelse.pdf")
def statement_download(request: Request, user: Auditor, tracker: TrackerDep) -> Response:
    """The same statement as the HTML and XLSX downloads, with `year` and `as_of` as they take them."""
    from ehsj_core.reports.pdf import statement_pdf, statement_pdf_name

    year, _years = chosen_year(request, tracker)
    asked = (request.query_params.get("year") or "").strip()
    if year is None or (asked and asked != str(year)):
        raise PageNotFound(user, "Der er ingen kontrakt for det år.")
    as_of = (request.query_params.get("as_of") or "").strip()[:MAX_MOMENT]
    try:
        statement = tracker.statement(year, as_of or None)
    except (InvalidInput, NotFound) as exc:
        raise PageNotFound(user, problem_text(exc)) from None
    headers = {
        "X-EHSJ-Position": str(statement.position),
        "X-EHSJ-Content-Digest": statement.content_digest,
        "Content-Disposition": f'attachment; filename="{statement_pdf_name(statement)}"',
    }
    return Response(statement_pdf(statement, tracker.log), media_type=PDF_MIMETYPE, headers=headers)


@router.get("/revision/genskab/{dispatch_id}.pdf")
def dispatch_download(dispatch_id: int, user: Auditor, tracker: TrackerDep) -> Response:
    """A report as sent, rebuilt from the log: for whoever may see its reproduction."""
    from ehsj_core.reports.as_sent import dispatch_pdf

    if not 1 <= dispatch_id <= 2**31 - 1:
        raise PageNotFound(user, f"Forsendelse {dispatch_id} findes ikke.")
    try:
        result = dispatch_pdf(tracker, dispatch_id)
    except (InvalidInput, NotFound) as exc:
        raise PageNotFound(user, problem_text(exc)) from None
    headers = {
        "X-EHSJ-Position": str(result.dispatch.position),
        "X-EHSJ-Recorded-Digest": result.recorded_digest or "",
        "X-EHSJ-Rebuilt-Digest": result.rebuilt_digest,
        "Content-Disposition": f'attachment; filename="{result.filename}"',
    }
    return Response(result.pdf, media_type=PDF_MIMETYPE, headers=headers)
