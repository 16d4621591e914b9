"""Web sessions and CSRF protection.

Two cookies, both HTTP-only and SameSite=Lax:
- `ehsj_session` carries only the session token, signed with `EHSJ_SECRET_KEY` (itsdangerous), Secure
  unless `session_cookie_secure` is off. The session itself is a row on the server
  (`ehsj_core.sessions`): signing out, the user, the director, disabling or a new password end it there,
  after which a copy of the cookie opens nothing.
- `ehsj_form` is Starlette's signed cookie for what grants no access: the CSRF token of a visitor who
  has no session yet (the sign-in form needs one before there is a session) and the one-line notice
  shown after a redirect.

Every form carries the CSRF token in a hidden field — the session's own once signed in, the
`ehsj_form` one before — and every POST is refused with 403 unless the field matches it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request, Response
from itsdangerous import BadSignature, Signer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from ehsj_core import sessions
from ehsj_core.events.rulebook import append_problem
from ehsj_core.sessions import ActiveSession, SessionLimits
from ehsj_core.tracker import Tracker
from ehsj_core.users import Principal
from services.api.deps import TrackerDep

SESSION_COOKIE = "ehsj_session"
FORM_COOKIE = "ehsj_form"
CSRF_FIELD = "csrf_token"
_SIGNER_SALT = "ehsj.web-session"
_NOT_LOOKED_UP = object()


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


def _signer(tracker: Tracker) -> Signer:
    key = tracker.settings.secret_key
    assert key is not None  # Settings makes one outside production, refuses none in it
    return Signer(key.get_secret_value(), salt=_SIGNER_SALT)


def session_limits(tracker: Tracker) -> SessionLimits:
    settings = tracker.settings
    return SessionLimits(settings.session_idle_seconds, settings.session_max_age_seconds)


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def current_session(request: Request, tracker: Tracker | None = None) -> ActiveSession | None:
    """The open session of this request's cookie, looked up once per request."""
    found = getattr(request.state, "web_session", _NOT_LOOKED_UP)
    if isinstance(found, ActiveSession) or found is None:
        return found
    tracker = tracker or request.app.state.tracker
    assert tracker is not None
    session: ActiveSession | None = None
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        try:
            token = _signer(tracker).unsign(cookie).decode()
        except BadSignature:
            token = None
        if token:
            session = sessions.resolve_session(tracker.engine, token, session_limits(tracker))
    request.state.web_session = session
    return session


def csrf_token(request: Request) -> str:
    """The CSRF token forms carry: the session's, or before signing in the visitor's (made on first use)."""
    session = current_session(request)
    if session is not None:
        return session.session.csrf_token
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def begin_session(
    request: Request, response: Response, tracker: Tracker, principal: Principal, method: str = "password"
) -> None:
    """Open a server-side session for a principal who just signed in and set its cookie on `response`.
    A session this browser had before ends (no session fixation); the session has a CSRF token of its own."""
    previous = current_session(request, tracker)
    if previous is not None:
        sessions.end_session(tracker.engine, previous.session.id, sessions.REPLACED)
    opened = sessions.open_session(
        tracker.engine, principal, method, request.headers.get("user-agent"), client_address(request)
    )
    request.session.pop("csrf", None)
    response.set_cookie(
        SESSION_COOKIE,
        _signer(tracker).sign(opened.token).decode(),
        max_age=tracker.settings.session_max_age_seconds,
        path="/",
        secure=tracker.settings.session_cookie_secure,
        httponly=True,
        samesite="lax",
    )
    request.state.web_session = opened.active


def end_session(request: Request, response: Response, tracker: Tracker) -> None:
    """End this browser's session on the server and remove its cookie."""
    session = current_session(request, tracker)
    if session is not None:
        sessions.end_session(tracker.engine, session.session.id, sessions.SIGNED_OUT)
    forget_session_cookie(response, tracker)
    request.state.web_session = None


def forget_session_cookie(response: Response, tracker: Tracker) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=tracker.settings.session_cookie_secure, httponly=True, samesite="lax"
    )


def session_user(request: Request, tracker: Tracker) -> Principal | None:
    """The signed-in user, while the session lasts (see `ehsj_core.sessions`)."""
    session = current_session(request, tracker)
    return None if session is None else session.principal


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
# The house's own figures: every role of the house (a chief: the overall status and their own
# municipality); not the `national` role, which reads the national roll-up only.
Reader = Annotated[Principal, Depends(allow("read"))]


def writer(user: WebUser) -> Principal:
    """Who may open the forms that log events: the rule book's answer, in its words."""
    problem = append_problem(user.role)
    if problem is not None:
        raise NoAccess(user, problem[:1].upper() + problem[1:] + ".")
    return user


Writer = Annotated[Principal, Depends(writer)]
Admin = Annotated[Principal, Depends(allow("admin"))]


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token matched the session's (or, before signing in, the visitor's)."""
    form = await request.form()
    session = await run_in_threadpool(current_session, request)  # a database look-up: off the event loop
    sent = form.get(CSRF_FIELD)
    expected = session.session.csrf_token if session is not None else request.session.get("csrf")
    if not isinstance(sent, str) or not isinstance(expected, str) or not secrets.compare_digest(sent, expected):
        raise CsrfRejected()
    return form


CheckedForm = Annotated[FormData, Depends(checked_form)]


def safe_next(value: object) -> str:
    """Where to go after signing in: a path of this site only (never "//host" or a full URL)."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"
