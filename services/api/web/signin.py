"""Signing in and out."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from ehsj_core.accounts import sign_in
from services.api.deps import TrackerDep
from services.api.web.auth import CheckedForm, begin_session, end_session, safe_next, session_user
from services.api.web.templating import page

router = APIRouter(include_in_schema=False)


@router.get("/log-ind")
def sign_in_page(request: Request, tracker: TrackerDep) -> Response:
    next_url = safe_next(request.query_params.get("next"))
    if session_user(request, tracker) is not None:
        return RedirectResponse(next_url, status_code=303)
    signed_out = request.query_params.get("logget_ud") == "1"
    return page(request, "sign_in.html", None, next_url=next_url, name="", error=None, signed_out=signed_out)


@router.post("/log-ind")
def sign_in_submit(request: Request, form: CheckedForm, tracker: TrackerDep) -> Response:
    name, password = str(form.get("name") or ""), str(form.get("password") or "")
    next_url = safe_next(form.get("next"))
    signed = sign_in(tracker.engine, name, password) if name.strip() and password else None
    if signed is None:
        error = "Forkert brugernavn eller adgangskode, eller brugeren er deaktiveret."
        return page(
            request, "sign_in.html", None, status_code=401, next_url=next_url, name=name, error=error, signed_out=False
        )
    begin_session(request, signed)
    return RedirectResponse(next_url, status_code=303)


@router.post("/log-ud")
def sign_out(request: Request, _form: CheckedForm) -> Response:
    end_session(request)
    return RedirectResponse("/log-ind?logget_ud=1", status_code=303)
