"""Rendering the web pages: one Jinja2 environment with the Danish number and date formats."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy.exc import SQLAlchemyError

from ehsj_core.contract.model import Contract
from ehsj_core.events.rulebook import may_retract
from ehsj_core.reports import labels
from ehsj_core.reports.house import fictitious_note, is_fictitious
from ehsj_core.users import Principal
from services.api.web import svg
from services.api.web.auth import csrf_token
from services.api.web.vocabulary import EVENT_TITLES, FIELD_LABELS, ROLE_TITLES, choice

TEMPLATES = Path(__file__).resolve().parent / "templates"


def moment(value: datetime | None, tz: ZoneInfo) -> str:
    """A moment in the business time zone: "27. november 2026 kl. 14.05"."""
    if value is None:
        return "–"
    local = value.astimezone(tz)
    return f"{labels.long_date(local.date())} kl. {local:%H.%M}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(labels.FILTERS)
    env.filters.update(
        actual=lambda t: labels.actual_text(t.kind, t.actual, t.reached_on),
        wanted=lambda t: labels.wanted_text(t.kind, t.target, t.target_min, t.target_max, t.deadline),
        choice=lambda value, field: choice(field, value),
        month=lambda key: f"{labels.MONTHS[int(key[5:7]) - 1]} {key[:4]}",
    )
    env.globals.update(
        event_titles=EVENT_TITLES,
        field_labels=FIELD_LABELS,
        role_titles=ROLE_TITLES,
        may_retract=may_retract,
        status_colours=labels.STATUS_COLOURS,
        svg=svg,
    )
    return env


def nav_items(user: Principal | None) -> list[tuple[str, str]]:
    """The menu of a user: only what their role may open."""
    if user is None:
        return []
    items = [("/", "Overblik")]
    if user.may("browse"):
        items.append(("/kommuner", "Kommuner"))
    elif user.municipality:
        items.append((f"/kommuner/{user.municipality}", f"{user.municipality} Kommune"))
    if user.may("append"):
        items += [("/registrer", "Registrér"), ("/import", "Import")]
    if user.may("browse"):
        items += [("/historik", "Historik"), ("/rapporter", "Rapporter")]
    if user.may("audit"):
        items.append(("/revision", "Revision"))
    if user.may("admin"):
        items.append(("/brugere", "Brugere"))
    return items


def _contracts(tracker: Any, house: str) -> list[Contract]:
    """The house's contracts. An error page may be drawn before the database is migrated (a provider
    that does not answer at start): then there are none."""
    try:
        book = tracker.contract_book()
    except SQLAlchemyError:
        return []
    return [item.contract for y in book.years(house) if (item := book.get(house, y)) is not None]


def house_context(tracker: Any) -> dict[str, Any]:
    """The house every page names (the house file's entry) and, for a fictitious example — the house
    or one of its contracts is (`fictitious: true`) — the sentence the banner of every page says."""
    house = tracker.house_info
    fictitious = is_fictitious(house, _contracts(tracker, house.key))
    return {"house": house, "fictitious_note": fictitious_note(house.name) if fictitious else None}


def page(
    request: Request, template: str, user: Principal | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    tracker = request.app.state.tracker
    tz = tracker.tz
    html = (
        environment()
        .get_template(template)
        .render(
            request=request,
            user=user,
            nav=nav_items(user),
            path=request.url.path,
            csrf_token=csrf_token(request),
            flash=request.session.pop("flash", None),
            when=lambda value: moment(value, tz),
            **house_context(tracker),
            **context,
        )
    )
    return HTMLResponse(html, status_code=status_code)
