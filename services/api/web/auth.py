"""Web sessions and CSRF protection.

The session is Starlette's signed cookie (itsdangerous, `EHSJ_SECRET_KEY`; HTTP-only, Secure,
SameSite=Lax). It holds the user's id, the stamp of the password it began with (see
`ehsj_core.accounts`), when it began, and the CSRF token. Signing out clears the cookie; a copy of
it taken earlier would stay valid until the session's lifetime ends, the password changes or the
user is disabled (a signed cookie has no server-side record to revoke). Every form carries that token
in a hidden field and every POST is refused with 403 unless the field matches the session's token.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from ehsj_core.accounts import SignedIn, principal_for_session
from ehsj_core.events.rulebook import append_problem
from ehsj_core.tracker import Tracker
from ehsj_core.users import Principal
from services.api.deps import TrackerDep

SESSION_COOKIE = "ehsj_session"
CSRF_FIELD = "csrf_token"


class SignInRequired(Exception):
    """No signed-in user: the browser is sent to the sign-in page, and back here afterwards."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class NoAccess(Exception):
    """The user's role may not do this: the "Ingen adgang" page, HTTP 403."""

    def __init__(self, user: Principal | None, reason: str) -> None:
        super().__init__(reason)
        self.user = user
        self.reason = reason


class CsrfRejected(Exception):
    """A form came without the session's CSRF token: refused with HTTP 403, nothing done."""


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def begin_session(request: Request, signed: SignedIn) -> None:
    """A fresh session for a user who just signed in (a new CSRF token: no session fixation)."""
    request.session.clear()
    request.session.update(
        uid=signed.principal.id, stamp=signed.stamp, csrf=secrets.token_urlsafe(32), since=int(time.time())
    )


def end_session(request: Request) -> None:
    request.session.clear()


def session_user(request: Request, tracker: Tracker) -> Principal | None:
    """The signed-in user. A session lasts `session_max_age_seconds` from signing in, however busy:
    the cookie is re-signed on every response, so its own age alone would never run out."""
    uid, stamp, since = request.session.get("uid"), request.session.get("stamp"), request.session.get("since")
    if not isinstance(uid, int) or not isinstance(stamp, str) or not isinstance(since, int):
        return None
    fresh = 0 <= time.time() - since <= tracker.settings.session_max_age_seconds
    principal = principal_for_session(tracker.engine, uid, stamp) if fresh else None
    if principal is None:  # expired, disabled, or a new password since: the session is over
        request.session.pop("uid", None)
        request.session.pop("stamp", None)
    return principal


def web_user(request: Request, tracker: TrackerDep) -> Principal:
    principal = session_user(request, tracker)
    if principal is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target if request.method == "GET" else "/")
    return principal


WebUser = Annotated[Principal, Depends(web_user)]


def allow(permission: str) -> Callable[[Principal], Principal]:
    def check(user: WebUser) -> Principal:
        if not user.may(permission):
            raise NoAccess(user, "Din rolle giver ikke adgang til denne side.")
        return user

    return check


Browser = Annotated[Principal, Depends(allow("browse"))]


def writer(user: WebUser) -> Principal:
    """Who may open the forms that log events: the rule book's answer, in its words."""
    problem = append_problem(user.role)
    if problem is not None:
        raise NoAccess(user, problem[:1].upper() + problem[1:] + ".")
    return user


Writer = Annotated[Principal, Depends(writer)]
Admin = Annotated[Principal, Depends(allow("admin"))]


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token matched the session's."""
    form = await request.form()
    sent, expected = form.get(CSRF_FIELD), request.session.get("csrf")
    if not isinstance(sent, str) or not isinstance(expected, str) or not secrets.compare_digest(sent, expected):
        raise CsrfRejected()
    return form


CheckedForm = Annotated[FormData, Depends(checked_form)]


def safe_next(value: object) -> str:
    """Where to go after signing in: a path of this site only (never "//host" or a full URL)."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"
