"""Signing in (throttled: `ehsj_core.throttle`) and out."""

from __future__ import annotations

import math

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from ehsj_core.accounts import attempt_sign_in
from ehsj_core.throttle import ThrottleLimits
from ehsj_core.users import Principal
from services.api.deps import TrackerDep
from services.api.web.auth import CheckedForm, begin_session, client_address, end_session, safe_next, session_user
from services.api.web.templating import page

router = APIRouter(include_in_schema=False)
WRONG = "Forkert brugernavn eller adgangskode, eller brugeren er deaktiveret."


def landing(user: Principal, next_url: str) -> str:
    """Where a sign-in goes: `next_url`, but a user who may read the national roll-up and not the
    house's own status (the role `national`) lands on the roll-up instead of the overview."""
    if next_url == "/" and user.may("national") and not user.may("read"):
        return "/nationalt"
    return next_url


def too_many_attempts(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"For mange forsøg — prøv igen om {minutes} {'minut' if minutes == 1 else 'minutter'}."


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
    if name.strip() and password:
        limits = ThrottleLimits.of(tracker.settings)
        outcome = attempt_sign_in(tracker.engine, limits, name, password, client_address(request))
        if outcome.principal is not None:
            response = RedirectResponse(landing(outcome.principal, next_url), status_code=303)
            begin_session(request, response, tracker, outcome.principal)
            return response
        if outcome.retry_after is not None:
            refused = page(
                request,
                "sign_in.html",
                None,
                status_code=429,
                next_url=next_url,
                name=name,
                error=too_many_attempts(outcome.retry_after),
                signed_out=False,
            )
            refused.headers["Retry-After"] = str(outcome.retry_after)
            return refused
    return page(
        request, "sign_in.html", None, status_code=401, next_url=next_url, name=name, error=WRONG, signed_out=False
    )


@router.post("/log-ud")
def sign_out(request: Request, _form: CheckedForm, tracker: TrackerDep) -> Response:
    response = RedirectResponse("/log-ind?logget_ud=1", status_code=303)
    end_session(request, response, tracker)
    return response
