"""Reports: what was sent when to whom (the dispatch ledger), the next quarterly e-mail, previewed,
and — for the director — the status to KKR on request."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import escape

from ehsj_core.errors import NotFound
from ehsj_core.events.validation import InvalidInput
from ehsj_core.notify import ledger
from ehsj_core.notify.dispatch import preview_report
from ehsj_core.notify.mail import MailError, check_server
from ehsj_core.notify.on_request import request_status
from ehsj_core.reports.labels import dispatch_kinds
from ehsj_core.reports.periods import Period, periods_of
from ehsj_core.reports.render import preview_html
from ehsj_core.tracker import Tracker
from ehsj_core.users import Principal
from services.api.deps import TrackerDep
from services.api.routes.access_log import note
from services.api.routes.reports import deliver_rows
from services.api.web.auth import Admin, Browser, CheckedForm
from services.api.web.headers import PREVIEW_POLICY
from services.api.web.templating import page

router = APIRouter(include_in_schema=False)
STATES = {"pending": "venter", "sending": "sendes", "sent": "sendt", "failed": "mislykkedes"}


def quarters(tracker: Tracker) -> list[Period]:
    return [p for year in tracker.contract_book().years(tracker.house) for p in periods_of("quarter", year)]


def next_quarter(tracker: Tracker, options: list[Period]) -> Period | None:
    """The quarter whose e-mail goes out next: the running one, or the last one of a past year."""
    today = tracker.today()
    running = [p for p in options if p.start <= today <= p.end]
    if running:
        return running[0]
    past = [p for p in options if p.end < today]
    return past[-1] if past else (options[0] if options else None)


@router.get("/rapporter")
def reports(request: Request, user: Browser, tracker: TrackerDep) -> HTMLResponse:
    return _reports_page(request, user, tracker)


def _reports_page(
    request: Request, user: Principal, tracker: Tracker, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    options = quarters(tracker)
    chosen = next_quarter(tracker, options)
    wanted = request.query_params.get("period")
    if wanted and any(p.key == wanted for p in options):
        chosen = next(p for p in options if p.key == wanted)
    towns = [m.name for m in tracker.contract().contract.municipalities]
    town = request.query_params.get("municipality") or (towns[0] if towns else "")
    rows = ledger.find_rows(tracker.engine, limit=500)
    if user.may("admin") and rows:  # the director sees each row's address: in the access log
        note(request, user, "recipients.read", {"where": request.url.path, "addresses": len({r.email for r in rows})})
    # What keeps reports from going out: the SMTP problem of each waiting row, said once each.
    waiting = sorted({r.last_error for r in rows if r.state == "pending" and r.last_error})
    years = tracker.contract_book().years(tracker.house)
    context: dict[str, Any] = {
        "request_key": str(uuid.uuid4()),  # one per page shown: a double submit sends once
        "years": years,
        "year": tracker.contract().contract.year if years else None,
        "request_error": None,
        **extra,
    }
    return page(
        request,
        "reports.html",
        user,
        status_code=status_code,
        rows=rows,
        kinds=dispatch_kinds(),
        waiting=waiting,
        states=STATES,
        show_email=user.may("admin"),
        options=options,
        chosen=chosen,
        towns=towns,
        town=town if town in towns else (towns[0] if towns else ""),
        **context,
    )


@router.post("/rapporter/kkr-status")
def request_kkr_status(request: Request, user: Admin, form: CheckedForm, tracker: TrackerDep) -> Response:
    """The status to KKR on request (director): once per form shown, however often it is submitted."""
    key = str(form.get("request_key") or "")
    year_text = str(form.get("year") or "").strip()
    try:
        asked = request_status(tracker, key, int(year_text) if year_text.isdigit() else None)
    except (InvalidInput, NotFound) as exc:
        text = "; ".join(p.problem for p in exc.problems) if isinstance(exc, InvalidInput) else str(exc)
        return _reports_page(request, user, tracker, 422, request_error=text)
    count = len(asked.rows)
    if asked.repeated:
        request.session["flash"] = (
            f"Anmodningen er allerede modtaget: statussen er ikke sendt igen ({count} modtager(e))."
        )
    else:
        request.session["flash"] = f"Status til {tracker.house_info.kkr} på anmodning sendes til {count} modtager(e)."
    if asked.open_rows:
        try:
            check_server(tracker.settings)
        except MailError as exc:
            request.session["flash"] = f"Statussen venter på at blive sendt: {exc.failure.text}"
            return RedirectResponse("/rapporter", status_code=303)
        deliver_rows(request.app.state.celery, [r.id for r in asked.open_rows])
    return RedirectResponse("/rapporter", status_code=303)


@router.get("/rapporter/forhaandsvisning")
def preview(request: Request, _user: Browser, tracker: TrackerDep) -> HTMLResponse:
    period = request.query_params.get("period") or ""
    municipality = request.query_params.get("municipality") or ""
    try:
        rendered, position = preview_report(tracker, "quarterly_status", period, municipality)
    except (InvalidInput, NotFound) as exc:
        text = "; ".join(p.problem for p in exc.problems) if isinstance(exc, InvalidInput) else str(exc)
        body = (
            "<!doctype html><html lang='da'><meta charset='utf-8'><title>Forhåndsvisning</title>"
            f"<p>Ingen forhåndsvisning: {escape(text)}</p></html>"
        )
        return HTMLResponse(body, status_code=422, headers={"Content-Security-Policy": PREVIEW_POLICY})
    headers = {"Content-Security-Policy": PREVIEW_POLICY, "X-EHSJ-Position": str(position)}
    return HTMLResponse(preview_html(rendered), headers=headers)
