"""The history: the log with filters and pages; retracting an event with a reason, after confirming."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ehsj_core.contract.loader import ContractBook
from ehsj_core.events.records import RETRACTED, HistoryQuery, RecordedEvent
from ehsj_core.events.rulebook import Forbidden, retraction_problem
from ehsj_core.events.schemas import EVENT_TYPES, YEAR_IN_DATA
from ehsj_core.events.validation import InvalidInput
from ehsj_core.tracker import Tracker
from ehsj_core.users import Principal
from services.api.deps import TrackerDep
from services.api.routes.access_log import note
from services.api.web.auth import Browser, CheckedForm, NoAccess, WebUser
from services.api.web.errors import PageNotFound
from services.api.web.templating import page
from services.api.web.vocabulary import describe

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
FILTERS = ("type", "municipality", "consultant", "occurred_from", "occurred_to", "company")
PERSON_FILTERS = ("company", "consultant")  # CVR or company name, consultant: in the access log


def filter_date(text: str, problems: dict[str, str], name: str) -> date | None:
    """A filter's date as typed (ÅÅÅÅ-MM-DD), or None when empty; a wrong one goes into `problems`."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems[name] = "skal være en dato (ÅÅÅÅ-MM-DD)"
        return None


def _cursor(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 19 else None


def read_filters(request: Request, tracker: Tracker) -> tuple[HistoryQuery, dict[str, str], dict[str, str]]:
    """(the query, the filters as typed, problems by filter) of the history's address."""
    params = request.query_params
    typed = {name: (params.get(name) or "").strip() for name in FILTERS}
    problems: dict[str, str] = {}
    contract = tracker.contract().contract
    event_type = typed["type"] or None
    if event_type and event_type not in EVENT_TYPES:
        problems["type"], event_type = "ukendt hændelsestype", None
    municipality = None
    if typed["municipality"]:
        municipality = contract.canonical_municipality(typed["municipality"])
        if municipality is None:
            problems["municipality"] = "ukendt kommune"
    query = HistoryQuery(
        type=event_type,
        municipality=municipality,
        consultant=typed["consultant"] or None,
        occurred_from=filter_date(typed["occurred_from"], problems, "occurred_from"),
        occurred_to=filter_date(typed["occurred_to"], problems, "occurred_to"),
        company=typed["company"] or None,
        before=_cursor(params.get("before")),
        after=_cursor(params.get("after")),
        limit=PAGE_SIZE,
    )
    return query, typed, problems


def describe_recorded(tracker: Tracker, event: RecordedEvent, book: ContractBook | None = None) -> str:
    """`describe` with the contract of the year the event counts in: that of its date, or for
    Erhvervsstyrelsen's figures the year they name (their targets are that contract's). `book`: the
    contracts read once for many events (a download), rather than once per event."""
    year = event.occurred_on.year
    named = getattr(event.data, "year", None)
    if event.type in YEAR_IN_DATA and isinstance(named, int):
        year = named
    contract = (book or tracker.contract_book()).for_validation(event.house, year) or tracker.contract().contract
    return describe(event.data, contract)


@router.get("/historik")
def history(request: Request, user: Browser, tracker: TrackerDep) -> HTMLResponse:
    query, typed, problems = read_filters(request, tracker)
    searched = {name: typed[name] for name in PERSON_FILTERS if typed[name]}
    if searched:  # a search for a company (a sole proprietorship: a person) or a consultant
        note(request, user, "history.search", searched)
    result = tracker.log.find_history(tracker.house, query)
    rows = [(entry, describe_recorded(tracker, entry.event)) for entry in result.entries]
    filters = urlencode({k: v for k, v in typed.items() if v})
    retracted_id = request.query_params.get("tilbagekaldt")
    return page(
        request,
        "history.html",
        user,
        rows=rows,
        result=result,
        typed=typed,
        problems=problems,
        filters=filters,
        municipalities=[m.name for m in tracker.contract().contract.municipalities],
        retracted_now=tracker.log.get(retracted_id) if retracted_id else None,
    )


def _retractable(tracker: Tracker, user: Principal, event_id: str) -> RecordedEvent:
    event = tracker.log.get(event_id)
    if event is None or event.house != tracker.house:
        raise PageNotFound(user, "Hændelsen findes ikke.")
    return event


def _retract_page(
    request: Request, tracker: Tracker, user: Principal, event: RecordedEvent, **extra: Any
) -> HTMLResponse:
    already = tracker.log.retractions_of([event.event_id]).get(event.event_id)
    context: dict[str, Any] = {"reason": "", "errors": [], "status_code": 200, **extra}
    return page(
        request,
        "retract.html",
        user,
        event=event,
        text=describe_recorded(tracker, event),
        already=already,
        is_retraction=event.type == RETRACTED,
        **context,
    )


@router.get("/historik/{event_id}/tilbagekald")
def retract_confirm(event_id: str, request: Request, user: WebUser, tracker: TrackerDep) -> HTMLResponse:
    event = _retractable(tracker, user, event_id)
    problem = retraction_problem(
        user, event.recorded_by
    )  # the rule book decides the POST; this spares a form it would refuse
    if problem is not None:
        raise NoAccess(user, problem[:1].upper() + problem[1:] + ".")
    return _retract_page(request, tracker, user, event)


@router.post("/historik/{event_id}/tilbagekald")
def retract(event_id: str, request: Request, user: WebUser, form: CheckedForm, tracker: TrackerDep) -> Response:
    event = _retractable(tracker, user, event_id)
    reason = str(form.get("reason") or "").strip()
    if not reason:
        return _retract_page(
            request,
            tracker,
            user,
            event,
            reason=reason,
            errors=["skriv hvorfor hændelsen tilbagekaldes"],
            status_code=422,
        )
    body = {
        "type": RETRACTED,
        "occurred_on": tracker.today().isoformat(),
        "data": {"target_event_id": event.event_id, "reason": reason},
    }
    try:
        tracker.append(body, user)
    except Forbidden as exc:
        raise NoAccess(user, " ".join(p.problem[:1].upper() + p.problem[1:] + "." for p in exc.problems)) from None
    except InvalidInput as exc:
        errors = [p.problem for p in exc.problems]
        return _retract_page(request, tracker, user, event, reason=reason, errors=errors, status_code=422)
    return RedirectResponse(f"/historik?tilbagekaldt={event.event_id}", status_code=303)
