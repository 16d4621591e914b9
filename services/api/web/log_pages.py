"""Logging a milestone: one form per event type, validated by the core exactly as the API is.

The event form also takes the event's participants: the event and a short course per participant go
to the core as one batch (`ehsj_core.events.participants`), so they are stored all together or not at
all, and a retried submit (the same hidden event id) stores nothing twice."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from ehsj_core.events.participants import event_with_participants, participant_event_id
from ehsj_core.events.records import RecordedEvent
from ehsj_core.events.rulebook import Forbidden
from ehsj_core.events.schemas import is_valid_cvr
from ehsj_core.events.store import EventConflict
from ehsj_core.events.validation import InvalidInput
from ehsj_core.tracker import Tracker
from ehsj_core.users import Principal
from services.api.deps import TrackerDep
from services.api.web.auth import CheckedForm, NoAccess, Writer
from services.api.web.errors import PageNotFound
from services.api.web.forms import (
    MAX_PARTICIPANT_ROWS,
    MORE_ROWS,
    PARTICIPANT_CONSULTANT,
    PARTICIPANT_ROWS,
    EventForm,
    consultant_field,
    empty_rows,
    event_forms,
    participant_rows,
    participants_of,
    place_of,
    raw_event,
    read_participant_values,
    read_values,
    row_count,
    shown_field,
)
from services.api.web.history_pages import describe_recorded
from services.api.web.templating import page

router = APIRouter(include_in_schema=False)
CHUNK = 50  # participants' ids looked up at a time for the confirmation


def _visible(tracker: Tracker, user: Principal) -> dict[str, EventForm]:
    """The forms the user may open (Erhvervsstyrelsen's figures: the director's)."""
    return {slug: f for slug, f in event_forms(tracker.contract().contract).items() if user.may(f.permission)}


def _form(tracker: Tracker, slug: str, user: Principal) -> EventForm:
    form = event_forms(tracker.contract().contract).get(slug)
    if form is None:
        raise PageNotFound(user, f"Der er ingen formular ved navn {slug!r}.")
    if not user.may(form.permission):
        raise NoAccess(user, "Kun direktøren kan registrere Erhvervsstyrelsens tal.")
    return form


def _defaults(form: EventForm, tracker: Tracker, user: Principal) -> dict[str, Any]:
    values: dict[str, Any] = {f.name: [] if f.kind in ("checkboxes", "answers") else "" for f in form.fields}
    values["occurred_on"] = tracker.today().isoformat()
    if form.type == "course.completed":
        values["consultant"] = user.name
    if "year" in values:
        values["year"] = str(tracker.contract().contract.year)
    if "source" in values:
        values["source"] = "Erhvervsstyrelsen"
    if form.participants:
        values.update(empty_rows(PARTICIPANT_ROWS))
        values[PARTICIPANT_CONSULTANT] = user.name
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
    rows: int = PARTICIPANT_ROWS,
) -> HTMLResponse:
    contract = tracker.contract().contract
    participant_rows_ = participant_rows(contract, rows) if form.participants else []
    labels = {f.name: f.label for f in form.fields}
    for row in participant_rows_:
        labels[row.prefix] = row.legend
        labels.update({f.name: f"{row.legend}, {f.label}" for f in row.fields})
    labels[PARTICIPANT_CONSULTANT] = consultant_field().label
    return page(
        request,
        "log_form.html",
        user,
        status_code=status_code,
        form=form,
        forms=_visible(tracker, user),
        values=values,
        event_id=event_id,
        errors=errors or {},
        general=general or [],
        stored=stored,
        rows=participant_rows_,
        consultant_field=consultant_field(),
        labels=labels,
    )


@router.get("/registrer")
def log_index(request: Request, user: Writer, tracker: TrackerDep) -> HTMLResponse:
    return page(request, "log_index.html", user, forms=_visible(tracker, user))


@router.get("/registrer/cvr/{cvr}")
def known_company(cvr: str, _user: Writer, tracker: TrackerDep) -> JSONResponse:
    """Where a company is known to be, from its newest course or referral: fills in the form."""
    if not is_valid_cvr(cvr):
        return JSONResponse({"detail": "ugyldigt CVR-nummer"}, status_code=422)
    hint = tracker.log.company_hint(tracker.house, cvr)
    if hint is None:
        return JSONResponse({"detail": "virksomheden er ikke registreret før"}, status_code=404)
    return JSONResponse({"cvr": hint.cvr, "municipality": hint.municipality, "company_name": hint.company_name})


def _participants_stored(tracker: Tracker, event_id: str) -> list[RecordedEvent]:
    """The short courses stored with the event: its participants' derived ids, in order, while found."""
    found: list[RecordedEvent] = []
    while True:
        ids = [participant_event_id(event_id, i) for i in range(len(found), len(found) + CHUNK)]
        chunk = tracker.log.get_many(ids)
        for i in ids:
            course = chunk.get(i)
            if course is None or getattr(course.data, "event_ref", None) != event_id:
                return found
            found.append(course)


@router.get("/registrer/{slug}")
def log_form(slug: str, request: Request, user: Writer, tracker: TrackerDep) -> HTMLResponse:
    form = _form(tracker, slug, user)
    stored = None
    saved_id = request.query_params.get("gemt")
    if saved_id:
        event = tracker.log.get(saved_id)
        if event is not None and event.type == form.type:
            courses = _participants_stored(tracker, event.event_id) if form.participants else []
            stored = (event, describe_recorded(tracker, event), courses)
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
    raw: dict[str, Any] = raw_event(form, values, event_id)
    rows, count = [], PARTICIPANT_ROWS
    if form.participants:
        count = row_count(posted)
        values.update(read_participant_values(posted, count))
        if posted.get("action") == MORE_ROWS:  # without JavaScript: the same form with more rows
            count = min(count + PARTICIPANT_ROWS, MAX_PARTICIPANT_ROWS)
            values.update({k: v for k, v in empty_rows(count).items() if k not in values})
            return _render(request, tracker, user, form, values, event_id, rows=count)
        used = participants_of(values, count)
        if used:
            consultant = str(values.get(PARTICIPANT_CONSULTANT) or "") or user.name
            batch = event_with_participants(raw, [p for _n, p in used], consultant)
            raw, rows = {"events": batch}, [n for n, _p in used]
    try:
        tracker.append(raw, user)
    except InvalidInput as exc:
        errors: dict[str, list[str]] = {}
        general: list[str] = []
        for problem in exc.problems:
            name = place_of(form, problem.field, rows, names_choices=bool(problem.allowed))
            texts = general if name is None else errors.setdefault(name, [])
            text = f"{shown_field(problem.field)}: {problem.problem}" if name is None else problem.problem
            if text not in texts:  # the participants share the event's date and consultant: once
                texts.append(text)
        status_code = 403 if isinstance(exc, Forbidden) else 422
        return _render(
            request, tracker, user, form, values, event_id, errors, general, status_code=status_code, rows=count
        )
    except EventConflict:
        general = [
            "Formularen var allerede gemt med andet indhold. Kontrollér felterne og gem igen som en ny registrering."
        ]
        return _render(
            request, tracker, user, form, values, str(uuid.uuid4()), general=general, status_code=409, rows=count
        )
    return RedirectResponse(f"/registrer/{form.slug}?gemt={event_id}", status_code=303)
