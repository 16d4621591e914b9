"""User administration for the director: create, disable and enable users, set passwords."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ehsj_core.accounts import Account, enable_user, list_accounts, set_password
from ehsj_core.tracker import Tracker
from ehsj_core.users import ROLES, Principal, UserError, create_user, disable_user
from services.api.deps import TrackerDep
from services.api.web.auth import Admin, CheckedForm
from services.api.web.errors import PageNotFound
from services.api.web.templating import page

router = APIRouter(include_in_schema=False)
CREATE_FIELDS = ("name", "role", "municipality", "password")


def _users_page(
    request: Request, user: Principal, tracker: Tracker, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    context: dict[str, Any] = {"values": dict.fromkeys(CREATE_FIELDS, ""), "errors": {}, "token": None, **extra}
    return page(
        request,
        "users.html",
        user,
        status_code=status_code,
        accounts=list_accounts(tracker.engine),
        roles=ROLES,
        municipalities=[m.name for m in tracker.contract().contract.municipalities],
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
        request.session["flash"] = "Du kan ikke deaktivere dig selv."
    else:
        disable_user(tracker.engine, account.name)
        request.session["flash"] = f"{account.name} er deaktiveret og er logget ud."
    return RedirectResponse("/brugere", status_code=303)


@router.post("/brugere/{account_id}/aktiver")
def enable(account_id: int, request: Request, user: Admin, _form: CheckedForm, tracker: TrackerDep) -> Response:
    account = _account(tracker, user, account_id)
    enable_user(tracker.engine, account.name)
    request.session["flash"] = f"{account.name} er aktiveret igen."
    return RedirectResponse("/brugere", status_code=303)


@router.post("/brugere/{account_id}/adgangskode")
def new_password(account_id: int, request: Request, user: Admin, form: CheckedForm, tracker: TrackerDep) -> Response:
    account = _account(tracker, user, account_id)
    try:
        set_password(tracker.engine, account.name, str(form.get("password") or ""))
    except UserError as exc:
        request.session["flash"] = f"Adgangskoden til {account.name} blev ikke ændret: {_split(exc)[1]}"
        return RedirectResponse("/brugere", status_code=303)
    request.session["flash"] = f"{account.name} har fået en ny adgangskode."
    return RedirectResponse("/brugere", status_code=303)
