"""Logging a milestone: one form per event type, validated by the core exactly as the API is."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from ehsj_core.events.rulebook import Forbidden
from ehsj_core.events.schemas import is_valid_cvr
from ehsj_core.events.store import EventConflict
from ehsj_core.events.validation import InvalidInput
from ehsj_core.tracker import Tracker
from ehsj_core.users import Principal
from services.api.deps import TrackerDep
from services.api.web.auth import CheckedForm, Writer
from services.api.web.errors import PageNotFound
from services.api.web.forms import EventForm, event_forms, field_of, raw_event, read_values
from services.api.web.templating import page
from services.api.web.vocabulary import describe

router = APIRouter(include_in_schema=False)


def _form(tracker: Tracker, slug: str, user: Principal) -> EventForm:
    form = event_forms(tracker.contract().contract).get(slug)
    if form is None:
        raise PageNotFound(user, f"Der er ingen formular ved navn {slug!r}.")
    return form


def _defaults(form: EventForm, tracker: Tracker, user: Principal) -> dict[str, Any]:
    values: dict[str, Any] = {f.name: [] if f.kind in ("checkboxes", "answers") else "" for f in form.fields}
    values["occurred_on"] = tracker.today().isoformat()
    if form.type == "course.completed":
        values["consultant"] = user.name
    return values


def _render(
    request: Request,
    tracker: Tracker,
    user: Principal,
    form: EventForm,
    values: dict[str, Any],
    event_id: str,
    errors: dict[str, list[str]] | None = None,
    general: list[str] | None = None,
    stored: Any = None,
    status_code: int = 200,
) -> HTMLResponse:
    return page(
        request,
        "log_form.html",
        user,
        status_code=status_code,
        form=form,
        forms=event_forms(tracker.contract().contract),
        values=values,
        event_id=event_id,
        errors=errors or {},
        general=general or [],
        stored=stored,
    )


@router.get("/registrer")
def log_index(request: Request, user: Writer, tracker: TrackerDep) -> HTMLResponse:
    return page(request, "log_index.html", user, forms=event_forms(tracker.contract().contract))


@router.get("/registrer/cvr/{cvr}")
def known_company(cvr: str, _user: Writer, tracker: TrackerDep) -> JSONResponse:
    """Where a company is known to be, from its newest course or referral: fills in the form."""
    if not is_valid_cvr(cvr):
        return JSONResponse({"detail": "ugyldigt CVR-nummer"}, status_code=422)
    hint = tracker.log.company_hint(tracker.house, cvr)
    if hint is None:
        return JSONResponse({"detail": "virksomheden er ikke registreret før"}, status_code=404)
    return JSONResponse({"cvr": hint.cvr, "municipality": hint.municipality, "company_name": hint.company_name})


@router.get("/registrer/{slug}")
def log_form(slug: str, request: Request, user: Writer, tracker: TrackerDep) -> HTMLResponse:
    form = _form(tracker, slug, user)
    stored = None
    saved_id = request.query_params.get("gemt")
    if saved_id:
        event = tracker.log.get(saved_id)
        if event is not None and event.type == form.type:
            stored = (event, describe(event.data, tracker.contract(event.occurred_on.year).contract))
    return _render(request, tracker, user, form, _defaults(form, tracker, user), str(uuid.uuid4()), stored=stored)


@router.post("/registrer/{slug}")
def log_submit(slug: str, request: Request, user: Writer, posted: CheckedForm, tracker: TrackerDep) -> Response:
    form = _form(tracker, slug, user)
    values = read_values(form, posted)
    event_id = str(posted.get("event_id") or "")
    try:
        event_id = str(uuid.UUID(event_id))
    except ValueError:
        event_id = str(uuid.uuid4())
    try:
        tracker.append(raw_event(form, values, event_id), user)
    except InvalidInput as exc:
        errors: dict[str, list[str]] = {}
        general: list[str] = []
        for problem in exc.problems:
            name = field_of(form, problem.field)
            if name is None:
                general.append(f"{problem.field}: {problem.problem}")
            else:
                errors.setdefault(name, []).append(problem.problem)
        status_code = 403 if isinstance(exc, Forbidden) else 422
        return _render(request, tracker, user, form, values, event_id, errors, general, status_code=status_code)
    except EventConflict:
        general = [
            "Formularen var allerede gemt med andet indhold. Kontrollér felterne og gem igen som en ny registrering."
        ]
        return _render(request, tracker, user, form, values, str(uuid.uuid4()), general=general, status_code=409)
    return RedirectResponse(f"/registrer/{form.slug}?gemt={event_id}", status_code=303)
