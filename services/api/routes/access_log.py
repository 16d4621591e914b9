"""The access log for the director (GET /api/access-log), and `note`, which the routes and pages
that show addresses, search by CVR or name, or export the log call before they answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from ehsj_core.access_log import AccessQuery, local_moment, read_access_log, record_access
from ehsj_core.tracker import Tracker
from ehsj_core.users import Principal
from services.api.deps import TrackerDep, require
from services.api.errors import problems
from services.api.schemas import Timestamp

router = APIRouter(prefix="/api", tags=["access log"], responses=problems(401, 403))
Director = Annotated[Principal, Depends(require("admin"))]
Action = Literal["recipients.read", "history.search", "log.export"]


def note(request: Request, who: Principal, action: Action, detail: Mapping[str, Any]) -> None:
    """Record an access of this request (the API under /api, the web app elsewhere) before the answer.
    Raises when the entry cannot be written, and the request fails with it."""
    tracker: Tracker = request.app.state.tracker
    channel: Literal["api", "web"] = "api" if request.url.path.startswith("/api/") else "web"
    client = request.client.host if request.client else None
    record_access(
        tracker.engine,
        who,
        action,
        detail,
        channel,
        client,
        retention_days=tracker.settings.access_log_retention_days,
    )


class AccessEntryOut(BaseModel):
    id: int
    at: str
    user: str
    role: str | None
    action: str
    detail: dict[str, Any]
    channel: str
    client: str | None


class AccessLogOut(BaseModel):
    entries: list[AccessEntryOut]


@router.get("/access-log", operation_id="access_log_list", summary="Adgangsloggen")
def read_log(
    _user: Director,
    tracker: TrackerDep,
    since: Annotated[
        Timestamp | None, Query(description="fra og med dette tidspunkt (ISO; uden tidszone: dansk tid)")
    ] = None,
    until: Annotated[Timestamp | None, Query(description="før dette tidspunkt (ISO)")] = None,
    user: Annotated[str | None, Query(max_length=128, description="én brugers opslag")] = None,
    action: Annotated[Action | None, Query(description="handlingen")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000, description="højst så mange opslag")] = 200,
) -> AccessLogOut:
    """Who read the recipients' addresses, searched the history by CVR or name, or exported the log;
    newest first (director only). Reading it is not recorded."""
    query = AccessQuery(local_moment(since, tracker.tz), local_moment(until, tracker.tz), user, action, limit)
    entries = read_access_log(tracker.engine, query)
    return AccessLogOut(entries=[AccessEntryOut.model_validate(e.as_dict()) for e in entries])
