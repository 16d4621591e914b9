"""FastAPI dependencies: the tracker of this app, the signed-in principal, role checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

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


def require(permission: str) -> Callable[[Principal], Principal]:
    def check(user: CurrentUser) -> Principal:
        if not user.may(permission):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, detail=f"Rollen '{user.role}' må ikke dette ({permission})"
            )
        return user

    return check


Reader = Annotated[Principal, Depends(require("read"))]
Appender = Annotated[Principal, Depends(require("append"))]
