"""Every table page as a download, XLSX or CSV: `/eksport/<side>.xlsx|csv` with the page's own query.

Each download asks the core for exactly what its page asks for (same year, moment, filters and role
checks) and hands it to `ehsj_core.reports.downloads`; the file's bytes come from
`ehsj_core.reports.spreadsheet`. A wrong filter is refused with 422, naming the field.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ehsj_core.notify import ledger
from ehsj_core.progress import municipality_months
from ehsj_core.reports import downloads
from ehsj_core.reports.spreadsheet import CSV_MIMETYPE, XLSX_MIMETYPE, Table, to_csv, to_xlsx
from ehsj_core.users import Principal
from services.api.deps import TrackerDep
from services.api.routes.access_log import note
from services.api.web.auth import Browser, NoAccess, Reader
from services.api.web.errors import PageNotFound
from services.api.web.history_pages import PERSON_FILTERS, describe_recorded, read_filters
from services.api.web.report_pages import STATES
from services.api.web.status_pages import Moment, read_moment
from services.api.web.templating import house_context, page
from services.api.web.vocabulary import EVENT_TITLES

router = APIRouter(include_in_schema=False)
FORMATS = {"xlsx": XLSX_MIMETYPE, "csv": CSV_MIMETYPE}
# The query fields of the pages, as their forms label them: a refusal names the field so.
FIELD_NAMES = {
    "year": "År",
    "as_of": "Som kendt pr.",
    "type": "Type",
    "municipality": "Kommune",
    "consultant": "Konsulent",
    "occurred_from": "Fra dato",
    "occurred_to": "Til dato",
    "company": "CVR-nummer eller virksomhedsnavn",
}
ASCII_LETTERS = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})


def _format(fmt: str, user: Principal) -> str:
    if fmt not in FORMATS:
        raise PageNotFound(user, "Tabellerne kan hentes som XLSX og CSV (.xlsx eller .csv).")
    return fmt


def _refused(request: Request, user: Principal, problems: dict[str, str], allowed: dict[str, str]) -> HTMLResponse:
    """422: each wrong field by its label, what was wrong and what is allowed."""
    lines = [
        (FIELD_NAMES.get(name, name), name, request.query_params.get(name, ""), problem, allowed.get(name))
        for name, problem in problems.items()
    ]
    return page(request, "download_refused.html", user, status_code=422, lines=lines)


def _moment_allowed(moment: Moment) -> dict[str, str]:
    return {
        "year": "et kontraktår: " + ", ".join(str(y) for y in moment.years),
        "as_of": "en dato som ÅÅÅÅ-MM-DD, eller tom for nu",
    }


def _file(table: Table, fmt: str, name: str, headers: dict[str, str] | None = None) -> Response:
    """The table as an attachment; `name` without its extension, Danish letters and all."""
    body = to_xlsx(table) if fmt == "xlsx" else to_csv(table)
    full = f"{name}.{fmt}"
    plain = full.translate(ASCII_LETTERS).encode("ascii", "replace").decode().replace("?", "_")
    disposition = f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(full)}"
    return Response(body, media_type=FORMATS[fmt], headers={"Content-Disposition": disposition, **(headers or {})})


def _position(position: int) -> dict[str, str]:
    return {"X-EHSJ-Position": str(position)}


@router.get("/eksport/overblik.{fmt}")
def dashboard_download(fmt: str, request: Request, user: Reader, tracker: TrackerDep) -> Response:
    """The dashboard: every target of every goal (any role, a chief too, as the dashboard)."""
    fmt = _format(fmt, user)
    moment = read_moment(request, tracker)
    if moment.problems:
        return _refused(request, user, moment.problems, _moment_allowed(moment))
    report = tracker.status(moment.year, moment.as_of)
    name = f"overblik-{report.year}-{report.as_of.on_date}"
    return _file(downloads.goals_table(report), fmt, name, _position(report.as_of.position))


@router.get("/eksport/kommuner.{fmt}")
def municipalities_download(fmt: str, request: Request, user: Browser, tracker: TrackerDep) -> Response:
    fmt = _format(fmt, user)
    moment = read_moment(request, tracker)
    if moment.problems:
        return _refused(request, user, moment.problems, _moment_allowed(moment))
    report = tracker.municipalities(moment.year, moment.as_of)
    name = f"kommuner-{report.year}-{report.as_of.on_date}"
    return _file(downloads.municipalities_table(report), fmt, name, _position(report.as_of.position))


@router.get("/eksport/kommuner/{name}.{fmt}")
def municipality_download(name: str, fmt: str, request: Request, user: Reader, tracker: TrackerDep) -> Response:
    """One municipality's months: who may see its page (a chief their own only)."""
    fmt = _format(fmt, user)
    moment = read_moment(request, tracker)
    canonical = tracker.contract(moment.year).contract.canonical_municipality(name)
    if not user.may_see_municipality(canonical or name):
        raise NoAccess(user, "Du kan kun se din egen kommunes side.")
    if canonical is None:
        raise PageNotFound(user, f"Kommunen {name!r} findes ikke i kontrakten.")
    if moment.problems:
        return _refused(request, user, moment.problems, _moment_allowed(moment))
    report = tracker.municipalities(moment.year, moment.as_of)
    months = municipality_months(tracker.facts_at(report.year, report.as_of.position), canonical)
    file_name = f"{canonical.lower()}-{report.year}-{report.as_of.on_date}"
    table = downloads.municipality_months_table(report, months)
    return _file(table, fmt, file_name, _position(report.as_of.position))


@router.get("/eksport/historik.{fmt}")
def history_download(fmt: str, request: Request, user: Browser, tracker: TrackerDep) -> Response:
    """The history with the page's filters, every page of it (at most `downloads.ROW_CAP` events)."""
    fmt = _format(fmt, user)
    query, typed, problems = read_filters(request, tracker)
    if problems:
        allowed = {
            "type": "en hændelsestype som i listen på Historik, fx course.completed",
            "municipality": "en af kontraktens kommuner",
            "occurred_from": "en dato som ÅÅÅÅ-MM-DD",
            "occurred_to": "en dato som ÅÅÅÅ-MM-DD",
        }
        return _refused(request, user, problems, allowed)
    searched = {name: typed[name] for name in PERSON_FILTERS if typed[name]}
    if searched:  # a search for a company (a sole proprietorship: a person) or a consultant, as the page
        note(request, user, "history.search", searched)
    entries, truncated = downloads.history_entries(tracker.log, tracker.house, query)
    filters = {FIELD_NAMES[name]: value for name, value in typed.items() if value}
    book = tracker.contract_book()
    table = downloads.history_table(
        entries,
        truncated,
        filters,
        lambda event: describe_recorded(tracker, event, book),
        EVENT_TITLES,
        tracker.tz,
        fictitious=house_context(tracker)["fictitious_note"],
    )
    headers = {"X-EHSJ-Truncated": "true" if truncated else "false"}
    return _file(table, fmt, f"historik-{tracker.today()}", headers)


@router.get("/eksport/udsendelser.{fmt}")
def ledger_download(fmt: str, request: Request, user: Browser, tracker: TrackerDep) -> Response:
    """The dispatch ledger; the addresses for the director only, noted in the access log as on the page."""
    fmt = _format(fmt, user)
    rows = ledger.find_rows(tracker.engine, limit=downloads.ROW_CAP)
    with_email = user.may("admin")
    if with_email and rows:
        note(request, user, "recipients.read", {"where": request.url.path, "addresses": len({r.email for r in rows})})
    table = downloads.ledger_table(
        rows, STATES, with_email, tracker.tz, fictitious=house_context(tracker)["fictitious_note"]
    )
    return _file(table, fmt, f"udsendelser-{tracker.today()}")
