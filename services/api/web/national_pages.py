"""The national roll-up as a page (`/nationalt`), for the permission "national": the national goals
per house and across the houses, each house's other targets side by side, every figure with the
export it came from, and the roll-up's digest. Read only: the page has no form that writes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from ehsj_core.errors import NotFound
from ehsj_core.events.validation import InvalidInput
from ehsj_core.reports import labels
from ehsj_core.users import Principal
from services.api.deps import TrackerDep
from services.api.web.auth import allow
from services.api.web.templating import page

router = APIRouter(include_in_schema=False)
PATH = "/nationalt"
National = Annotated[Principal, Depends(allow("national"))]


def _figure(target: dict[str, Any], kind: str | None = None) -> str:
    return labels.actual_text(kind or str(target.get("kind")), target.get("actual"), target.get("reached_on"))


def _source(source: dict[str, Any]) -> str:
    return f"eksport {source['export_id']}, position {source['head_position']}, hash {source['head_hash']}"


@router.get(PATH)
def national_page(request: Request, user: National, tracker: TrackerDep) -> HTMLResponse:
    params = request.query_params
    problems: dict[str, str] = {}
    years = sorted({y for key in tracker.houses.keys() for y in tracker.contract_book().years(key)})
    year_text = (params.get("year") or "").strip()
    year = max((y for y in years if y <= tracker.today().year), default=years[0] if years else 2019)
    if year_text:
        if year_text.isascii() and year_text.isdigit() and int(year_text) in years:
            year = int(year_text)
        else:
            problems["year"] = f"der er ingen kontrakt for det år; år: {', '.join(map(str, years))}"
    chosen: list[int] = []
    for text in params.getlist("export"):
        if text.strip().isascii() and text.strip().isdigit():
            chosen.append(int(text.strip()))
        else:
            problems["export"] = "skal være en gemt eksports id (et heltal)"
    rollup = None
    if not problems:
        try:
            rollup = tracker.national_rollup(year, chosen or None)
        except InvalidInput as exc:
            problems["export"] = "; ".join(p.problem for p in exc.problems)
        except NotFound as exc:
            problems["export"] = str(exc)
    return page(
        request,
        "national.html",
        user,
        status_code=422 if problems else 200,
        year=year,
        years=years,
        chosen=chosen,
        problems=problems,
        document=None if rollup is None else rollup.as_dict(),
        digest=None if rollup is None else rollup.digest,
        figure=_figure,
        source=_source,
    )
