"""The calendar: "Kalender" (every signed-in user: their secret address, renewing it, how to subscribe)
and the feed itself, `/kalender/<token>.ics`, which calendar apps fetch without a session
(ehsj_core/calendar_service.py, calendar_tokens.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ehsj_core import calendar_service
from ehsj_core.calendar_tokens import FeedAddress
from services.api.deps import TrackerDep
from services.api.web.auth import CheckedForm, WebUser
from services.api.web.templating import page

router = APIRouter(include_in_schema=False)
ICS_TYPE = "text/calendar; charset=utf-8"


def feed_url(request: Request, address: FeedAddress | None) -> str | None:
    """The address to copy into a calendar app (https, as this request came), or None."""
    if address is None or address.token is None:
        return None
    return f"{str(request.base_url).rstrip('/')}/kalender/{address.token}.ics"


@router.get("/kalender")
def calendar(request: Request, user: WebUser, tracker: TrackerDep) -> HTMLResponse:
    view = calendar_service.calendar_page(tracker, user)
    url = feed_url(request, view.address)
    webcal = None if url is None else "webcal://" + url.split("://", 1)[1]
    return page(request, "calendar.html", user, view=view, feed_url=url, webcal_url=webcal)


@router.post("/kalender/adresse")
def make_address(request: Request, user: WebUser, _form: CheckedForm, tracker: TrackerDep) -> Response:
    calendar_service.make_address(tracker, user)
    request.session["flash"] = "Din kalenderadresse er klar. Kopiér den ind i Outlook eller Google Kalender."
    return RedirectResponse("/kalender", status_code=303)


@router.post("/kalender/forny")
def renew_address(request: Request, user: WebUser, _form: CheckedForm, tracker: TrackerDep) -> Response:
    calendar_service.renew_address(tracker, user)
    request.session["flash"] = (
        "Du har fået en ny kalenderadresse. Den gamle virker ikke længere: "
        "abonnér på den nye i Outlook eller Google Kalender, og fjern den gamle kalender."
    )
    return RedirectResponse("/kalender", status_code=303)


@router.api_route("/kalender/{token}.ics", methods=["GET", "HEAD"])
def feed(token: str, request: Request, tracker: TrackerDep) -> Response:
    """No session: the token is the key. Unknown, renewed or a disabled user's: 404."""
    document = calendar_service.calendar_for_token(tracker, token, str(request.base_url))
    if document is None:
        return Response("Kalenderen findes ikke.", status_code=404, media_type="text/plain; charset=utf-8")
    return Response(
        document, media_type=ICS_TYPE, headers={"Content-Disposition": 'inline; filename="ehsj-kalender.ics"'}
    )
