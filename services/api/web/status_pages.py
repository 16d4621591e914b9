"""The pages that show where the contract stands: dashboard, goal, municipalities, one municipality."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ehsj_core.contract.model import SPECIALISED_COURSE_TYPES, Contract
from ehsj_core.errors import NotFound
from ehsj_core.events.records import HistoryQuery
from ehsj_core.progress import goal_months, municipality_months
from ehsj_core.reports.render import STATUS_ORDER
from ehsj_core.tracker import Tracker
from services.api.deps import TrackerDep
from services.api.web.auth import Browser, NoAccess, Reader, WebUser
from services.api.web.errors import PageNotFound
from services.api.web.templating import page
from services.api.web.vocabulary import course_names, describe

router = APIRouter(include_in_schema=False)
DEFAULT_DEVIATION_LIMIT = 2.0


@dataclass
class Moment:
    """The year and the "as of" date a page was asked for, checked; problems are shown at the field."""

    year: int | None = None
    as_of_text: str = ""
    as_of: datetime | None = None  # the end of the as-of day in the business time zone; None: live
    years: list[int] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)

    def query(self) -> str:
        parts = ([f"year={self.year}"] if self.year else []) + ([f"as_of={self.as_of_text}"] if self.as_of else [])
        return ("?" + "&".join(parts)) if parts else ""


def read_moment(request: Request, tracker: Tracker) -> Moment:
    params = request.query_params
    m = Moment(years=tracker.contract_book().years(tracker.house))
    year_text = (params.get("year") or "").strip()
    if year_text:
        if year_text.isascii() and year_text.isdigit() and int(year_text) in m.years:
            m.year = int(year_text)
        else:
            m.problems["year"] = "der er ingen kontrakt for det år"
    m.as_of_text = (params.get("as_of") or "").strip()
    if m.as_of_text:
        try:
            day = date.fromisoformat(m.as_of_text)
        except ValueError:
            m.problems["as_of"] = "skal være en dato (ÅÅÅÅ-MM-DD)"
        else:
            if day < tracker.today():
                m.as_of = datetime.combine(day, time.max, tzinfo=tracker.tz)
    return m


def deviation_limit(contract: Contract) -> float:
    for goal in contract.goals:
        for target in goal.targets:
            if target.kind == "max_deviation" and target.target is not None:
                return target.target
    return DEFAULT_DEVIATION_LIMIT


@router.get("/")
def dashboard(request: Request, user: WebUser, tracker: TrackerDep) -> Response:
    if not user.may("read"):  # the national role: its page is the roll-up
        if user.may("national"):
            return RedirectResponse("/nationalt", status_code=303)
        raise NoAccess(user, "Din rolle giver ikke adgang til denne side.")
    moment = read_moment(request, tracker)
    report = tracker.status(moment.year, moment.as_of)
    counts = Counter[str](t.status for g in report.goals for t in g.targets)
    summary = [(s, counts[s]) for s in STATUS_ORDER if counts[s]]
    return page(request, "dashboard.html", user, report=report, moment=moment, summary=summary)


@router.get("/maal/{goal_id}")
def goal_page(goal_id: str, request: Request, user: Browser, tracker: TrackerDep) -> HTMLResponse:
    moment = read_moment(request, tracker)
    try:
        report, goal = tracker.goal(goal_id, moment.year, moment.as_of)
    except NotFound as exc:
        raise PageNotFound(user, str(exc)) from None
    contract = report.contract.contract
    spec = next(g for g in contract.goals if g.id == goal.id)
    months = {s.key: s for s in goal_months(tracker.facts_at(report.year, report.as_of.position), goal.id)}
    counting = {
        t.key: [
            (e, describe(e.data, contract))
            for e in tracker.log.events_towards(tracker.house, report.year, goal.id, t, report.as_of.position)
        ]
        for t in spec.targets
    }
    return page(
        request, "goal.html", user, report=report, goal=goal, spec=spec, months=months, counting=counting, moment=moment
    )


@router.get("/kommuner")
def municipalities_page(request: Request, user: Browser, tracker: TrackerDep) -> HTMLResponse:
    moment = read_moment(request, tracker)
    report = tracker.municipalities(moment.year, moment.as_of)
    contract = report.contract.contract
    return page(
        request,
        "municipalities.html",
        user,
        report=report,
        moment=moment,
        course_names=course_names(contract),
        limit=deviation_limit(contract),
    )


@router.get("/kommuner/{name}")
def municipality_page(name: str, request: Request, user: Reader, tracker: TrackerDep) -> HTMLResponse:
    moment = read_moment(request, tracker)
    report = tracker.municipalities(moment.year, moment.as_of)
    contract = report.contract.contract
    canonical = contract.canonical_municipality(name)
    if not user.may_see_municipality(canonical or name):
        raise NoAccess(user, "Du kan kun se din egen kommunes side.")
    if canonical is None:
        raise PageNotFound(user, f"Kommunen {name!r} findes ikke i kontrakten.")
    figures = next(m for m in report.municipalities if m.name == canonical)
    months = municipality_months(tracker.facts_at(report.year, report.as_of.position), canonical)
    latest = tracker.log.find_history(
        tracker.house,
        HistoryQuery(
            municipality=canonical,
            occurred_from=date(report.year, 1, 1),
            occurred_to=date(report.year, 12, 31),
            before=report.as_of.position + 1,
            limit=10,
        ),
    )
    return page(
        request,
        "municipality.html",
        user,
        report=report,
        moment=moment,
        m=figures,
        months=months,
        specialised=SPECIALISED_COURSE_TYPES,
        course_names=course_names(contract),
        limit=deviation_limit(contract),
        latest=[(entry, describe(entry.event.data, contract)) for entry in latest.entries],
    )
