"""The FastAPI application factory (`uvicorn --factory services.api.app:create_app`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic.json_schema import models_json_schema

from ehsj_core.houses import HouseError
from ehsj_core.logging_setup import configure_logging
from ehsj_core.settings import Settings, get_settings
from ehsj_core.tracker import Tracker
from services.api.deps import TrackerDep
from services.api.descriptions import OPERATION_DESCRIPTIONS
from services.api.docs import install_docs
from services.api.errors import DESCRIPTIONS, PROBLEM_MODELS, install_error_handlers, problem_doc
from services.api.observability import install_observability
from services.api.routes import access_log, audit, events, imports, metrics, national, national_upload, reports, status
from services.api.schemas import Health
from services.api.web import install_web
from services.worker.app import create_celery
from services.worker.scheduler import start_scheduler


def create_app(
    settings: Settings | None = None, tracker: Tracker | None = None, run_scheduler: bool = False
) -> FastAPI:
    """The app. `run_scheduler` only for the single process of embedded mode (`ehsj serve`): the
    distributed setup never runs a scheduler inside API processes."""
    settings = settings or get_settings()
    configure_logging(settings)
    tracker = tracker or Tracker(settings)
    try:
        house = tracker.house_info
    except HouseError as exc:  # EHSJ_HOUSE unknown, or another house than the database's: one line, no traceback
        raise SystemExit(f"EHSJ kan ikke starte: {exc}") from None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        scheduler = start_scheduler(settings, tracker.contract_book()) if run_scheduler else None
        yield
        if scheduler is not None:
            scheduler.shutdown(wait=False)

    app = FastAPI(
        title="EHSJ målopfølgning",
        description=f"Hændelseslog og målstatus for resultatkontrakten mellem {house.kkr} og {house.name}.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served by install_docs, with assets of our own
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.tracker = tracker
    app.state.celery = create_celery(settings)
    install_error_handlers(app)
    app.include_router(events.router)
    app.include_router(status.router)
    app.include_router(reports.router)
    app.include_router(audit.router)
    app.include_router(imports.router)
    app.include_router(metrics.router)
    app.include_router(access_log.router)
    app.include_router(national.router)  # issue 14: reading the roll-up
    app.include_router(national_upload.router)  # issue 14: houses' uploads
    install_docs(app)
    install_web(app, settings)
    install_observability(app, tracker)  # last: its middleware is the outermost

    @app.get("/api/healthz", tags=["health"], operation_id="health_check", summary="Svarer databasen?")
    def healthz(tracker: TrackerDep) -> Health:
        """Liveness and readiness: answers only when the database does."""
        return Health(status="ok", position=tracker.log.head().position)

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated schema plus the models it documents by reference (the event input of the raw-JSON
    route, the problem detail), with FastAPI's own 422 (`HTTPValidationError`, a shape the API never
    answers with) replaced by the problem detail."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        _, defs = models_json_schema(
            [(m, "validation") for m in (*events.BODY_MODELS, *PROBLEM_MODELS)],
            ref_template="#/components/schemas/{model}",
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(defs.get("$defs", {}))
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        for operation in (op for path in schema["paths"].values() for op in path.values()):
            answer = operation["responses"].get("422", {})
            if "HTTPValidationError" in str(answer.get("content")):
                operation["responses"]["422"] = problem_doc(DESCRIPTIONS[422])
            if "requestBody" in operation:  # FastAPI's own 400 for a body it cannot read
                operation["responses"].setdefault("400", problem_doc(DESCRIPTIONS[400]))
            if operation.get("operationId") in OPERATION_DESCRIPTIONS:
                operation["description"] = OPERATION_DESCRIPTIONS[operation["operationId"]]
        app.openapi_schema = schema
    return app.openapi_schema
