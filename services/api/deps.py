"""FastAPI dependencies: the tracker of this app, the signed-in principal, role checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ehsj_core.events.rulebook import Forbidden, append_problem
from ehsj_core.events.validation import Problem
from ehsj_core.tracker import Tracker
from ehsj_core.users import Principal, authenticate

bearer = HTTPBearer(auto_error=False, description="API-nøgle fra `ehsj users create`")


def get_tracker(request: Request) -> Tracker:
    tracker: Tracker = request.app.state.tracker
    return tracker


TrackerDep = Annotated[Tracker, Depends(get_tracker)]


def current_user(
    tracker: TrackerDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    principal = authenticate(tracker.engine, credentials.credentials) if credentials else None
    if principal is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="Manglende eller ugyldig adgangsnøgle (Authorization: Bearer <nøgle>)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]


# Permissions whose routes show nothing of one house's municipalities: the national roll-up (issue 14)
# is the houses side by side, read by a role that has no municipality and reads no house's own status.
UNSCOPED_PERMISSIONS = frozenset({"national"})


def require(permission: str) -> Callable[[Principal], Principal]:
    def check(user: CurrentUser) -> Principal:
        if not user.may(permission):
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail=f"Rollen '{user.role}' må ikke dette ({permission})")
        if permission in UNSCOPED_PERMISSIONS:
            return user
        try:
            user.municipality_scope()  # a chief bound to no municipality reads nothing
        except PermissionError as exc:
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail=str(exc)) from exc
        return user

    return check


def outside_scope(what: str) -> HTTPException:
    """The 403 for a principal limited to one municipality (`Principal.municipality_scope`) asking for another."""
    return HTTPException(
        status.HTTP_403_FORBIDDEN, detail=f"Ingen adgang: en erhvervschef ser kun sin egen kommunes {what}"
    )


# Every role reads the overall status; a route a Reader may open that shows a municipality's figures
# or events narrows them with `user.municipality_scope()` (a chief: their own municipality only).
Reader = Annotated[Principal, Depends(require("read"))]
# Every other reading route: not for a chief.
Browser = Annotated[Principal, Depends(require("browse"))]


def appender(user: CurrentUser) -> Principal:
    """Who may log events at all: the rule book's answer (`rulebook.append_problem`), which every
    entry point gives in the same words."""
    problem = append_problem(user.role)
    if problem is not None:
        raise Forbidden([Problem("role", user.role, problem)])
    return user


Appender = Annotated[Principal, Depends(appender)]
