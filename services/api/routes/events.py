"""Appending to and reading the event log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response, status

from ehsj_core.events.records import EventQuery
from ehsj_core.events.schemas import EVENT_TYPES, is_valid_cvr
from ehsj_core.events.validation import InvalidInput, Problem
from services.api.deps import Appender, Reader, TrackerDep, outside_scope
from services.api.errors import problem_doc, problems
from services.api.routes.access_log import note
from services.api.schemas import (
    EVENT_TYPE_ENUM,
    AppendedEvent,
    Day,
    EventBatchInput,
    EventInput,
    EventOut,
    EventPage,
    EventsAppended,
)

router = APIRouter(prefix="/api/events", tags=["events"], responses=problems(401, 403))

_BODY_SCHEMA = {
    "oneOf": [
        {"$ref": "#/components/schemas/EventInput"},
        {"$ref": "#/components/schemas/EventBatchInput"},
    ]
}
CVR_PATTERN = "^[0-9]{8}$"  # and the modulus-11 check, which no pattern says: the route's 422


@router.post(
    "",
    operation_id="events_append",
    summary="Registrér én hændelse eller en samlet pakke",
    status_code=status.HTTP_201_CREATED,
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": _BODY_SCHEMA}}}},
    responses={
        200: {"description": "Alle hændelser var gemt i forvejen (et sikkert genforsøg)"},
        403: problem_doc(
            "Rollen må ikke registrere, eller kun direktøren må dette (lukke et år, registrere i et lukket år)"
        ),
        **problems(409),
        422: problem_doc("Hændelsen er ugyldig efter kontrakten og regelbogen: hvert problem i `errors`"),
    },
)
def append_events(
    body: Annotated[Any, Body()], user: Appender, tracker: TrackerDep, response: Response
) -> EventsAppended:
    """Log one event, or a batch `{"events": [...]}` atomically (all or nothing)."""
    results = tracker.append(body, user)
    if all(r.duplicate for r in results):
        response.status_code = status.HTTP_200_OK
    return EventsAppended(
        events=[AppendedEvent(event_id=r.event_id, position=r.position, duplicate=r.duplicate) for r in results]
    )


@router.get(
    "",
    operation_id="events_list",
    summary="Hændelsesloggen, filtreret og i sider",
    responses={
        403: problem_doc("Rollen må ikke dette, eller en erhvervschef spørger efter en anden kommune"),
        422: problem_doc("Ukendt kommune eller ugyldigt CVR-nummer (modulus 11-kontrollen)"),
    },
)
def list_events(
    user: Reader,
    tracker: TrackerDep,
    request: Request,
    type: Annotated[str | None, Query(description="hændelsestypen", json_schema_extra=EVENT_TYPE_ENUM)] = None,
    municipality: Annotated[str | None, Query(max_length=64, description="kommunen, hændelsens data nævner")] = None,
    company_cvr: Annotated[
        str | None,
        Query(description="virksomhedens CVR-nummer (8 cifre, modulus 11)", json_schema_extra={"pattern": CVR_PATTERN}),
    ] = None,
    occurred_from: Annotated[Day | None, Query(description="forretningsdato fra og med")] = None,
    occurred_to: Annotated[Day | None, Query(description="forretningsdato til og med")] = None,
    after: Annotated[int, Query(ge=0, le=2**62, description="markøren: den sidste position, der allerede er set")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000, description="højst så mange hændelser")] = 100,
) -> EventPage:
    """The log in order, filtered; page with `after=<next_after>`. A business chief reads only the
    events of their own municipality (those whose data names it); asking for another is a 403. A
    filter by `company_cvr` is recorded in the access log."""
    scope = user.municipality_scope()
    found = []
    if type is not None and type not in EVENT_TYPES:
        found.append(Problem("type", type, "ukendt hændelsestype", sorted(EVENT_TYPES)))
    canonical = None
    if municipality is not None:
        contract = tracker.contract().contract
        canonical = contract.canonical_municipality(municipality)
        if canonical is None:
            found.append(
                Problem("municipality", municipality, "ukendt kommune", [m.name for m in contract.municipalities])
            )
    if company_cvr is not None and not is_valid_cvr(company_cvr):
        found.append(
            Problem(
                "company_cvr", company_cvr, "ugyldigt CVR-nummer: skal være 8 cifre, der består modulus 11-kontrollen"
            )
        )
    if found:
        raise InvalidInput(found)
    if scope is not None:  # in the query itself, so that paging stays right
        own = tracker.contract().contract.canonical_municipality(scope) or scope
        if canonical is not None and canonical != own:
            raise outside_scope("hændelser")
        canonical = own
    query = EventQuery(type, canonical, company_cvr, occurred_from, occurred_to, after, limit)
    if company_cvr is not None:  # a search for one company (a sole proprietorship: a person)
        note(request, user, "history.search", {"company_cvr": company_cvr})
    events = tracker.log.find_events(query)
    next_after = events[-1].position if len(events) == limit else None
    return EventPage(events=[EventOut.model_validate(e.as_dict()) for e in events], next_after=next_after)


# The body is read as plain JSON so that every problem gets our error shape; these models document it.
BODY_MODELS = (EventInput, EventBatchInput)
