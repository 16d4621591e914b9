"""The dispatch ledger, report previews, sending on purpose, the status KKR asks for, and the
recipients (director only)."""

from __future__ import annotations

import logging
import threading
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from ehsj_core.notify import dispatch, ledger, on_request
from ehsj_core.notify.mail import MailError, check_server
from ehsj_core.notify.recipients import RECIPIENT_ROLES, add_recipient, deactivate_recipient, list_recipients
from ehsj_core.reports import kinds
from ehsj_core.reports.kinds import KindName
from ehsj_core.reports.render import preview_html
from ehsj_core.users import Principal
from services.api.deps import Browser, Reader, TrackerDep, outside_scope, require
from services.api.errors import problem_doc, problems
from services.api.routes.access_log import note
from services.worker.app import send

router = APIRouter(prefix="/api", tags=["reports"], responses=problems(401, 403))
log = logging.getLogger("ehsj.api")
Director = Annotated[Principal, Depends(require("admin"))]
Kind = KindName  # the report kinds of the registry (ehsj_core/reports/kinds.py)


class DispatchOut(BaseModel):
    id: int
    kind: str
    period: str
    recipient_id: int
    email: str | None = Field(description="shown to the director only (personal data)")
    municipality: str | None
    state: str
    attempts: int
    last_error: str | None
    message_id: str
    position: int
    sha256: str | None
    created_at: str
    claimed_at: str | None
    sent_at: str | None


class DispatchList(BaseModel):
    dispatches: list[DispatchOut]


class SendRequest(BaseModel):
    kind: Kind
    period: str = Field(max_length=16, description="2019Q3, 2019H1, 2019, or an ISO week (2026-W48) for the reminders")


class SendAccepted(BaseModel):
    kind: str
    period: str
    recipients: int
    dispatches: list[DispatchOut]


class StatusRequest(BaseModel):
    request_key: str = Field(
        min_length=8,
        max_length=128,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="the client's idempotency key (e.g. a UUID): the same key sends the status once, however often"
        " the request is sent",
    )
    year: int | None = Field(
        default=None, ge=2000, le=2100, description="the contract year (default: the one in force)"
    )


class StatusRequested(SendAccepted):
    year: int
    repeated: bool = Field(description="the key was used before: nothing new is sent")


class RecipientIn(BaseModel):
    role: str = Field(max_length=16, json_schema_extra={"enum": list(RECIPIENT_ROLES)})
    name: str = Field(max_length=128)
    email: str = Field(max_length=254)
    municipality: str | None = Field(default=None, max_length=64)


class RecipientOut(BaseModel):
    id: int
    role: str
    municipality: str | None
    name: str
    email: str
    active: bool


class RecipientList(BaseModel):
    recipients: list[RecipientOut]


def _out(row: ledger.DispatchRow, user: Principal) -> DispatchOut:
    body: dict[str, Any] = row.as_dict()
    if not user.may("admin"):
        body["email"] = None
    return DispatchOut.model_validate(body)


def _note_addresses(request: Request, user: Principal, rows: list[ledger.DispatchRow]) -> None:
    """The access log, when the answer shows the director the recipients' addresses."""
    if user.may("admin") and rows:
        note(request, user, "recipients.read", {"where": request.url.path, "addresses": len({r.email for r in rows})})


@router.get("/reports", operation_id="reports_list", summary="Forsendelsesloggen")
def read_dispatches(
    user: Browser,
    tracker: TrackerDep,
    request: Request,
    kind: Kind | None = None,
    period: Annotated[str | None, Query(max_length=16, description="perioden, fx 2019Q3")] = None,
    state: Annotated[Literal["pending", "sending", "sent", "failed"] | None, Query(description="tilstanden")] = None,
) -> DispatchList:
    """What was sent when to whom: the dispatch ledger, newest first (not for a business chief)."""
    rows = ledger.find_rows(tracker.engine, kind, period, state)
    _note_addresses(request, user, rows)
    return DispatchList(dispatches=[_out(r, user) for r in rows])


@router.get(
    "/reports/preview",
    operation_id="reports_preview",
    summary="Forhåndsvis en rapport som HTML",
    response_class=HTMLResponse,
    responses={
        404: problem_doc("Ingen kontrakt for periodens år"),
        422: problem_doc("Perioden passer ikke til rapporttypen, eller kommunen mangler eller er ukendt"),
    },
)
def preview(
    user: Reader,
    tracker: TrackerDep,
    kind: Kind,
    period: Annotated[
        str, Query(max_length=16, description="perioden: 2019Q3, 2019H1, 2019 eller en ISO-uge (2026-W48)")
    ],
    municipality: Annotated[str | None, Query(max_length=64, description="kommunen (kvartalsrapporten)")] = None,
) -> HTMLResponse:
    """The report as it would be sent now, as HTML (images inline), without sending anything. A
    business chief previews only their own municipality's quarterly status."""
    spec = kinds.get(kind)
    scope = user.municipality_scope()
    if scope is not None and (
        not spec.per_municipality or municipality is None or not user.may_see_municipality(municipality)
    ):
        raise outside_scope("rapport")
    if spec.role == "director" and not user.may("admin"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="Ingen adgang: påmindelsen er til direktøren")
    rendered, position = dispatch.preview_report(tracker, kind, period, municipality)
    return HTMLResponse(preview_html(rendered), headers={"X-EHSJ-Position": str(position)})


@router.post(
    "/reports/send",
    operation_id="reports_send",
    summary="Send en rapport med vilje",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        **problems(502, 503),
        404: problem_doc("Ingen kontrakt for året"),
        422: problem_doc("Perioden passer ikke til rapporttypen, eller året er ikke lukket"),
    },
)
def send_report(body: SendRequest, user: Director, tracker: TrackerDep, request: Request) -> SendAccepted:
    """Send a report on purpose. Idempotent: each recipient gets it once, however often this is called.
    The SMTP server is checked first (nothing is sent): a refusal is a 502, an unreachable server a
    503, each with one line saying what to change; the ledger rows wait as pending meanwhile."""
    rows = dispatch.prepare(tracker, body.kind, body.period)
    _note_addresses(request, user, rows)
    if any(r.state == "pending" for r in rows):
        _server_answers(tracker)
    celery = request.app.state.celery
    if celery.conf.task_always_eager:  # embedded: do the work beside the request, not inside it
        threading.Thread(target=_send_beside, args=(celery, body.kind, body.period), daemon=True).start()
    else:
        try:
            send(celery, "reports.send", body.kind, body.period)
        except Exception:  # the broker is down: the rows wait as pending for the next firing
            log.exception(
                "could not enqueue reports.send %s %s; the scheduler's next firing will catch up",
                body.kind,
                body.period,
            )
    return SendAccepted(
        kind=body.kind, period=body.period, recipients=len(rows), dispatches=[_out(r, user) for r in rows]
    )


def _send_beside(celery: Any, kind: str, period: str) -> None:
    try:
        send(celery, "reports.send", kind, period)
    except Exception:  # recorded in the ledger (last_error); the scheduler tries again
        log.exception("sending %s %s failed", kind, period)


@router.post(
    "/reports/request",
    operation_id="reports_request_status",
    summary="Send status til KKR på anmodning",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        **problems(502, 503),
        404: problem_doc("Ingen kontrakt for året"),
        422: problem_doc("Perioden passer ikke til rapporttypen, eller året er ikke lukket"),
    },
)
def request_status(body: StatusRequest, user: Director, tracker: TrackerDep, request: Request) -> StatusRequested:
    """The status to KKR Sjælland on request (seed: "når KKR Sjælland i øvrigt anmoder om det"): the
    annual status as the log stands now, to every KKR recipient. Exactly once per `request_key`: a
    retried request answers with the rows of the first (`repeated`) and sends nothing new."""
    asked = on_request.request_status(tracker, body.request_key, body.year)
    _note_addresses(request, user, asked.rows)
    if asked.open_rows:
        _server_answers(tracker)
        deliver_rows(request.app.state.celery, [r.id for r in asked.open_rows])
    return StatusRequested(
        kind=asked.kind,
        period=asked.period,
        year=asked.year,
        repeated=asked.repeated,
        recipients=len(asked.rows),
        dispatches=[_out(r, user) for r in asked.rows],
    )


def _server_answers(tracker: TrackerDep) -> None:
    """The SMTP server is checked before anything is queued: a refusal is a 502, an unreachable server
    a 503, each with the one line saying what to change."""
    try:
        check_server(tracker.settings)
    except MailError as exc:
        raise HTTPException(exc.failure.http_status, detail=exc.failure.text) from None


def deliver_rows(celery: Any, dispatch_ids: list[int]) -> None:
    """One `reports.deliver` per open ledger row: beside the request in embedded mode, through the
    broker otherwise (a broker that is down leaves the rows pending for the scheduler's next retry)."""

    def run() -> None:
        for dispatch_id in dispatch_ids:
            try:
                send(celery, "reports.deliver", dispatch_id)
            except Exception:  # recorded in the ledger (last_error); `reports.retry_open` tries again
                log.exception("could not deliver dispatch %s; the scheduler's next retry will", dispatch_id)

    if celery.conf.task_always_eager:
        threading.Thread(target=run, daemon=True).start()
    else:
        run()


@router.get("/recipients", operation_id="recipients_list", summary="Rapportmodtagerne")
def read_recipients(user: Director, tracker: TrackerDep, request: Request) -> RecipientList:
    """Report recipients (personal data: director only; each read is in the access log)."""
    rows = list_recipients(tracker.engine)
    note(request, user, "recipients.read", {"where": request.url.path, "addresses": len(rows)})
    return RecipientList(recipients=[RecipientOut.model_validate(r.as_dict()) for r in rows])


@router.post(
    "/recipients",
    operation_id="recipients_create",
    summary="Tilføj en rapportmodtager",
    status_code=status.HTTP_201_CREATED,
    responses={422: problem_doc("Ugyldig rolle, e-mailadresse eller kommune")},
)
def create_recipient(body: RecipientIn, _user: Director, tracker: TrackerDep) -> RecipientOut:
    """Add a recipient; a new business chief replaces the municipality's previous one."""
    row = add_recipient(
        tracker.engine, tracker.contract().contract, body.role, body.name, body.email, body.municipality
    )
    return RecipientOut.model_validate(row.as_dict())


@router.delete(
    "/recipients/{recipient_id}",
    operation_id="recipients_deactivate",
    summary="Deaktivér en rapportmodtager",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: problem_doc("Modtageren findes ikke")},
)
def delete_recipient(
    recipient_id: Annotated[int, Path(ge=1, le=2**31 - 1)], _user: Director, tracker: TrackerDep
) -> Response:
    """Deactivate a recipient (what was sent to them stays in the ledger)."""
    deactivate_recipient(tracker.engine, recipient_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
