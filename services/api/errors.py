"""One error shape for every refusal of the API: a problem detail (RFC 9457, `application/problem+json`)
whose extension `errors` lists the field-level problems (`field`, `value`, `problem`, `allowed`):

    {"type": "about:blank", "title": "Ugyldigt input", "status": 422,
     "detail": "occurred_on: må ikke ligge efter i dag",
     "errors": [{"field": "occurred_on", "value": "2999-01-01", "problem": "må ikke ligge efter i dag",
                 "allowed": null}]}

A refusal without a field (401, 404, 409, 502 …) has the same shape, its sentence in `detail` and `errors`
empty. `problems` documents the answers a route can give (`responses=`), with this schema.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

from ehsj_core.errors import NotFound
from ehsj_core.events.rulebook import Forbidden
from ehsj_core.events.store import EventConflict
from ehsj_core.events.validation import InvalidInput, Problem, UnknownReference, problem_from_error

PROBLEM_JSON = "application/problem+json"
PROBLEM_REF = "#/components/schemas/ProblemDetail"

# Danish titles (RFC 9457 §4.2.1: with "about:blank" the status phrase, which may be localised).
TITLES: dict[int, str] = {
    400: "Ugyldig forespørgsel",
    401: "Ikke logget ind",
    403: "Ingen adgang",
    404: "Ikke fundet",
    405: "Metoden findes ikke her",
    409: "Konflikt",
    413: "For stor",
    422: "Ugyldigt input",
    429: "For mange forespørgsler",
    502: "En anden server afviste",
    503: "En anden server svarer ikke",
}
# Starlette's own refusals (no route at the address, or not with this method), in Danish.
ROUTING_DETAILS: dict[int, str] = {
    404: "Adressen findes ikke",
    405: "Adressen tager ikke imod denne metode",
}
# FastAPI's own words for a body it cannot read (not JSON, not UTF-8, a broken multipart), in Danish.
FASTAPI_DETAILS: dict[str, str] = {"There was an error parsing the body": "Indholdet kan ikke læses"}
# What each answer means wherever it is documented; a route may say it more precisely (`problems`).
DESCRIPTIONS: dict[int, str] = {
    400: "Indholdet kan ikke læses (fx ugyldig JSON eller tegnkodning, en ødelagt multipart)",
    401: "Manglende eller ugyldig adgangsnøgle (Authorization: Bearer <nøgle>)",
    403: "Rollen må ikke dette, eller spørger uden for sin egen kommune",
    404: "Det efterspurgte findes ikke (fx et år uden kontrakt)",
    409: "Et event_id findes allerede med andet indhold",
    413: "Filen er for stor",
    422: "Ugyldigt input: hvert problem i `errors` med felt, værdi, problem og de tilladte værdier",
    502: "SMTP-serveren afviste (TLS, login, afsender); intet er sendt, rækkerne venter",
    503: "SMTP-serveren kan ikke nås; intet er sendt, rækkerne venter",
}


class FieldProblem(BaseModel):
    """One problem of the request: the field (dotted, `events.0.data.company_cvr`), the value as sent,
    the problem in Danish and, where the choice is closed, what is allowed."""

    field: str
    value: Any = Field(description="værdien som sendt (null når den mangler)")
    problem: str
    allowed: list[str] | None


class ProblemDetail(BaseModel):
    """A problem detail (RFC 9457) with the field-level problems as the extension `errors`."""

    type: str = Field(default="about:blank", description="problemets type (RFC 9457); altid about:blank")
    title: str = Field(description="statuskodens betydning på dansk")
    status: int = Field(ge=400, le=599, description="HTTP-statuskoden")
    detail: str = Field(description="hvad der er galt, på dansk")
    errors: list[FieldProblem] = Field(description="problemerne felt for felt; tom, når intet felt er galt")


PROBLEM_MODELS = (ProblemDetail, FieldProblem)


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_JSON


def problem_response(
    status_code: int,
    detail: str | None = None,
    problems: Iterable[Problem] = (),
    headers: Mapping[str, str] | None = None,
) -> ProblemResponse:
    """The answer of one refusal; without `detail`, the problems in one line."""
    found = list(problems)
    text = detail or "; ".join(f"{p.field}: {p.problem}" for p in found) or _title(status_code)
    body = ProblemDetail(
        title=_title(status_code),
        status=status_code,
        detail=text,
        errors=[FieldProblem.model_validate(p.as_dict()) for p in found],
    )
    return ProblemResponse(body.model_dump(mode="json"), status_code=status_code, headers=headers)


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` of a route: each status with its Danish description and the problem schema."""
    return {code: problem_doc(DESCRIPTIONS[code]) for code in codes}


def problem_doc(description: str) -> dict[str, Any]:
    """One documented refusal (a route's own words for it)."""
    return {"description": description, "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}}


def _title(status_code: int) -> str:
    return TITLES.get(status_code) or HTTPStatus(status_code).phrase


async def api_http_exception(request: Request, exc: StarletteHTTPException) -> ProblemResponse:
    """Every HTTPException of the API (401, 403, 404 of an unknown address, 405, 413 …) as a problem;
    a detail that is a list of field problems (`Problem.as_dict()`) becomes `errors`."""
    detail: str | None = exc.detail if isinstance(exc.detail, str) else None
    headers = dict(exc.headers or {})
    found: Sequence[Problem] = ()
    if detail == HTTPStatus(exc.status_code).phrase:  # Starlette's English default: in Danish
        detail = ROUTING_DETAILS.get(exc.status_code)
    elif detail is not None:
        detail = FASTAPI_DETAILS.get(detail, detail)
    elif isinstance(exc.detail, list):  # field problems (`Problem.as_dict()`), as the upload's 413
        found = [Problem(**p) for p in exc.detail]
    if exc.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
        headers["Allow"] = ", ".join(sorted(_methods_at(request)))
    return problem_response(exc.status_code, detail, found, headers)


def _methods_at(request: Request) -> set[str]:
    """Every method the address takes. Starlette's 405 names only those of the first route whose path
    fits, and GET and POST /api/events are two routes."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Route) and route.methods and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route.methods
    return methods


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Forbidden)  # found before InvalidInput, its base class: a 403, not a 422
    async def _forbidden(_request: Request, exc: Forbidden) -> ProblemResponse:
        return problem_response(status.HTTP_403_FORBIDDEN, problems=exc.problems)

    @app.exception_handler(UnknownReference)  # likewise: names what does not exist, a 404
    async def _unknown(_request: Request, exc: UnknownReference) -> ProblemResponse:
        return problem_response(status.HTTP_404_NOT_FOUND, problems=exc.problems)

    @app.exception_handler(InvalidInput)
    async def _invalid(_request: Request, exc: InvalidInput) -> ProblemResponse:
        return problem_response(status.HTTP_422_UNPROCESSABLE_CONTENT, problems=exc.problems)

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(_request: Request, exc: RequestValidationError) -> ProblemResponse:
        return problem_response(status.HTTP_422_UNPROCESSABLE_CONTENT, problems=request_problems(exc))

    @app.exception_handler(EventConflict)
    async def _conflict(_request: Request, exc: EventConflict) -> ProblemResponse:
        return problem_response(status.HTTP_409_CONFLICT, f"event_id {exc.event_id} findes allerede med andet indhold")

    @app.exception_handler(NotFound)
    async def _not_found(_request: Request, exc: NotFound) -> ProblemResponse:
        return problem_response(status.HTTP_404_NOT_FOUND, str(exc))

    # HTTPException: the web app's handler (web/errors.py) answers the pages and calls
    # `api_http_exception` for everything else.


def request_problems(exc: RequestValidationError) -> list[Problem]:
    """FastAPI's validation errors as Danish problems, named by the parameter or the body field."""
    found = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        found.append(problem_from_error(err, ".".join(loc) or "(body)"))
    return found
