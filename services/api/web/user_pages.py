"""User administration for the director (create, disable and enable users, set passwords, end
sessions, API tokens, unlock sign-in), and "Mine sessioner" for everyone."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ehsj_core import sessions, throttle
from ehsj_core.accounts import Account, disable_user, enable_user, list_accounts, set_password
from ehsj_core.throttle import ThrottleLimits
from ehsj_core.tracker import Tracker
from ehsj_core.users import ROLES, Principal, UserError, create_token, create_user, list_tokens, revoke_token
from services.api.deps import TrackerDep
from services.api.web.auth import (
    Admin,
    CheckedForm,
    WebUser,
    current_session,
    forget_session_cookie,
    session_limits,
)
from services.api.web.errors import PageNotFound
from services.api.web.templating import page

router = APIRouter(include_in_schema=False)
CREATE_FIELDS = ("name", "role", "municipality", "password")


def _users_page(
    request: Request, user: Principal, tracker: Tracker, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    context: dict[str, Any] = {
        "values": dict.fromkeys(CREATE_FIELDS, ""),
        "errors": {},
        "token": None,
        "token_error": None,
        **extra,
    }
    locks = throttle.current_locks(tracker.engine, ThrottleLimits.of(tracker.settings))
    return page(
        request,
        "users.html",
        user,
        status_code=status_code,
        accounts=list_accounts(tracker.engine),
        roles=ROLES,
        municipalities=[m.name for m in tracker.contract().contract.municipalities],
        session_counts=sessions.open_session_counts(tracker.engine, session_limits(tracker)),
        locks=locks,
        locked_names={lock.key for lock in locks if lock.kind == "account"},
        api_tokens=list_tokens(tracker.engine),
        **context,
    )


def _split(exc: UserError) -> tuple[str, str]:
    field, _, text = str(exc).partition(": ")
    return (field, text) if text else ("name", field)


def _account(tracker: Tracker, user: Principal, account_id: int) -> Account:
    found = next((a for a in list_accounts(tracker.engine) if a.id == account_id), None)
    if found is None:
        raise PageNotFound(user, "Brugeren findes ikke.")
    return found


# The first marker found names the browser (Edge's text also says Chrome and Safari; Chrome's says Safari).
BROWSERS = (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
# Android's text also says Linux, an iPhone's also Mac OS: the first found wins.
SYSTEMS = (
    ("Windows", "Windows"),
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Mac OS", "Mac"),
    ("Linux", "Linux"),
)


def browser_label(user_agent: str | None) -> str:
    """A browser as people name it ("Firefox på Windows"); the raw text when it is none of the known."""
    if not user_agent:
        return "ukendt browser"
    name = next((label for marker, label in BROWSERS if marker in user_agent), None)
    system = next((label for marker, label in SYSTEMS if marker in user_agent), None)
    if name is None:
        return user_agent[:60]
    return f"{name} på {system}" if system else name


def _count(sessions_ended: int) -> str:
    return f"{sessions_ended} {'session' if sessions_ended == 1 else 'sessioner'}"


def _back(request: Request, flash: str, to: str = "/brugere") -> Response:
    request.session["flash"] = flash
    return RedirectResponse(to, status_code=303)


@router.get("/brugere")
def users(request: Request, user: Admin, tracker: TrackerDep) -> HTMLResponse:
    return _users_page(request, user, tracker)


@router.post("/brugere")
def create(request: Request, user: Admin, form: CheckedForm, tracker: TrackerDep) -> Response:
    values = {name: str(form.get(name) or "").strip() for name in CREATE_FIELDS}
    values["password"] = str(form.get("password") or "")
    municipality: str | None = values["municipality"] or None
    if municipality is not None:
        municipality = tracker.contract().contract.canonical_municipality(municipality)
        if municipality is None:
            errors = {"municipality": "ukendt kommune"}
            return _users_page(request, user, tracker, 422, values={**values, "password": ""}, errors=errors)
    try:
        token = create_user(tracker.engine, values["name"], values["role"], municipality, values["password"] or None)
    except UserError as exc:
        field, text = _split(exc)
        return _users_page(request, user, tracker, 422, values={**values, "password": ""}, errors={field: text})
    return _users_page(request, user, tracker, created=values["name"], token=token)


@router.post("/brugere/{account_id}/deaktiver")
def disable(account_id: int, request: Request, user: Admin, _form: CheckedForm, tracker: TrackerDep) -> Response:
    account = _account(tracker, user, account_id)
    if account.id == user.id:
        return _back(request, "Du kan ikke deaktivere dig selv.")
    disable_user(tracker.engine, account.name)
    return _back(request, f"{account.name} er deaktiveret og er logget ud.")


@router.post("/brugere/{account_id}/aktiver")
def enable(account_id: int, request: Request, user: Admin, _form: CheckedForm, tracker: TrackerDep) -> Response:
    account = _account(tracker, user, account_id)
    enable_user(tracker.engine, account.name)
    return _back(request, f"{account.name} er aktiveret igen.")


@router.post("/brugere/{account_id}/adgangskode")
def new_password(account_id: int, request: Request, user: Admin, form: CheckedForm, tracker: TrackerDep) -> Response:
    account = _account(tracker, user, account_id)
    try:
        set_password(tracker.engine, account.name, str(form.get("password") or ""))
    except UserError as exc:
        return _back(request, f"Adgangskoden til {account.name} blev ikke ændret: {_split(exc)[1]}")
    return _back(request, f"{account.name} har fået en ny adgangskode og er logget ud alle steder.")


@router.post("/brugere/{account_id}/sessioner/afslut")
def end_sessions(account_id: int, request: Request, user: Admin, _form: CheckedForm, tracker: TrackerDep) -> Response:
    account = _account(tracker, user, account_id)
    ended = sessions.end_sessions_of(tracker.engine, account.name)
    return _back(request, f"{_count(ended)} for {account.name} er afsluttet.")


@router.post("/brugere/noegler")
def new_token(request: Request, user: Admin, form: CheckedForm, tracker: TrackerDep) -> Response:
    chosen = str(form.get("account_id") or "")
    account = _account(tracker, user, int(chosen) if chosen.isdigit() else 0)
    try:
        token = create_token(tracker.engine, account.name, str(form.get("token_name") or ""))
    except UserError as exc:
        error = f"Ingen ny nøgle til {account.name}: {_split(exc)[1]}"
        return _users_page(request, user, tracker, 422, token_error=error)
    return _users_page(request, user, tracker, created=f"En ny API-nøgle til {account.name}", token=token)


@router.post("/brugere/noegler/{token_id}/tilbagekald")
def revoke(token_id: int, request: Request, _user: Admin, _form: CheckedForm, tracker: TrackerDep) -> Response:
    try:
        revoked = revoke_token(tracker.engine, token_id)
    except UserError as exc:
        return _back(request, f"Nøglen blev ikke tilbagekaldt: {_split(exc)[1]}")
    return _back(request, f"Nøglen {revoked.name!r} til {revoked.user_name} er tilbagekaldt.")


@router.post("/brugere/laas-op")
def unlock(request: Request, _user: Admin, form: CheckedForm, tracker: TrackerDep) -> Response:
    kind, key = str(form.get("kind") or ""), str(form.get("key") or "").strip()
    if kind not in ("account", "address") or not key:
        return _back(request, "Intet er låst op: formularen skal angive et brugernavn eller en adresse.")
    if kind == "address":
        throttle.clear_address(tracker.engine, key)
        return _back(request, f"Adressen {key} kan logge ind igen.")
    throttle.clear_account(tracker.engine, key)
    return _back(request, f"{key} kan logge ind igen.")


@router.get("/mine-sessioner")
def my_sessions(request: Request, user: WebUser, tracker: TrackerDep) -> HTMLResponse:
    this = current_session(request, tracker)
    return page(
        request,
        "sessions.html",
        user,
        sessions=sessions.list_sessions(tracker.engine, user.id, session_limits(tracker)),
        this_id=None if this is None else this.session.id,
        browser=browser_label,
        idle_minutes=tracker.settings.session_idle_seconds // 60,
        max_hours=f"{tracker.settings.session_max_age_seconds / 3600:g}".replace(".", ","),
    )


@router.post("/mine-sessioner/{session_id}/afslut")
def end_my_session(
    session_id: int, request: Request, user: WebUser, _form: CheckedForm, tracker: TrackerDep
) -> Response:
    if not sessions.end_session(tracker.engine, session_id, sessions.ENDED_BY_USER, user_id=user.id):
        raise PageNotFound(user, "Sessionen findes ikke, eller den er allerede afsluttet.")
    this = current_session(request, tracker)
    if this is not None and this.session.id == session_id:
        response = RedirectResponse("/log-ind?logget_ud=1", status_code=303)
        forget_session_cookie(response, tracker)
        return response
    return _back(request, "Sessionen er afsluttet; den browser er logget ud.", "/mine-sessioner")


@router.post("/mine-sessioner/afslut-andre")
def end_other_sessions(request: Request, user: WebUser, _form: CheckedForm, tracker: TrackerDep) -> Response:
    this = current_session(request, tracker)
    ended = sessions.end_other_sessions(tracker.engine, user.id, None if this is None else this.session.id)
    return _back(request, f"{_count(ended)} i andre browsere er afsluttet.", "/mine-sessioner")
