"""The access log for the director: who saw the recipients' addresses, searched the history by CVR
or name, or exported the log (reading it here is not recorded; see `ehsj_core.access_log`)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ehsj_core.access_log import ACTIONS, AccessQuery, read_access_log
from services.api.deps import TrackerDep
from services.api.web.auth import Admin
from services.api.web.history_pages import filter_date
from services.api.web.templating import page

router = APIRouter(include_in_schema=False)
PAGE_LIMIT = 500
FILTERS = ("since", "until", "user", "action")
# What the detail's keys mean, in the director's words.
DETAIL_LABELS = {
    "where": "hvor",
    "addresses": "adresser",
    "company": "CVR-nummer eller navn",
    "company_cvr": "CVR-nummer",
    "consultant": "konsulent",
    "year": "år",
    "file": "fil",
}
CHANNELS = {"web": "webappen", "api": "API", "cli": "kommandolinjen"}


@router.get("/adgangslog")
def access_log(request: Request, user: Admin, tracker: TrackerDep) -> HTMLResponse:
    typed = {name: (request.query_params.get(name) or "").strip()[:128] for name in FILTERS}
    problems: dict[str, str] = {}
    since, until = filter_date(typed["since"], problems, "since"), filter_date(typed["until"], problems, "until")
    if typed["action"] and typed["action"] not in ACTIONS:
        problems["action"] = "ukendt handling"
    query = AccessQuery(
        since=datetime.combine(since, time(), tracker.tz) if since else None,
        until=datetime.combine(until + timedelta(days=1), time(), tracker.tz) if until else None,  # the whole day
        user=typed["user"] or None,
        action=typed["action"] if typed["action"] in ACTIONS else None,
        limit=PAGE_LIMIT,
    )
    return page(
        request,
        "access_log.html",
        user,
        status_code=422 if problems else 200,
        entries=read_access_log(tracker.engine, query),
        typed=typed,
        problems=problems,
        actions=ACTIONS,
        channels=CHANNELS,
        detail_labels=DETAIL_LABELS,
        limit=PAGE_LIMIT,
    )
