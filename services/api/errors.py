"""One error shape for every bad request: {"detail": [{"field", "value", "problem", "allowed"}]}."""

from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ehsj_core.errors import NotFound
from ehsj_core.events.rulebook import Forbidden
from ehsj_core.events.store import EventConflict
from ehsj_core.events.validation import InvalidInput, Problem, problem_from_error


def problems_response(problems: list[Problem]) -> JSONResponse:
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, content={"detail": [p.as_dict() for p in problems]}
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Forbidden)  # found before InvalidInput, its base class: a 403, not a 422
    async def _forbidden(_request: Request, exc: Forbidden) -> JSONResponse:
        return JSONResponse(
            status_code=status.HTTP_403_FORBIDDEN, content={"detail": [p.as_dict() for p in exc.problems]}
        )

    @app.exception_handler(InvalidInput)
    async def _invalid(_request: Request, exc: InvalidInput) -> JSONResponse:
        return problems_response(exc.problems)

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
            problems.append(problem_from_error(err, ".".join(loc) or "(body)"))
        return problems_response(problems)

    @app.exception_handler(EventConflict)
    async def _conflict(_request: Request, exc: EventConflict) -> JSONResponse:
        return JSONResponse(
            status_code=status.HTTP_409_CONFLICT,
            content={"detail": f"event_id {exc.event_id} findes allerede med andet indhold"},
        )

    @app.exception_handler(NotFound)
    async def _not_found(_request: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse(status_code=status.HTTP_404_NOT_FOUND, content={"detail": str(exc)})
