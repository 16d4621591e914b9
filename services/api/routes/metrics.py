"""`GET /metrics`: the Prometheus exposition, for the director's API token only (`admin`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ehsj_core.users import Principal
from services.api.deps import require
from services.api.observability import AppMetrics

router = APIRouter(tags=["operations"])
Director = Annotated[Principal, Depends(require("admin"))]


@router.get("/metrics", response_class=Response, include_in_schema=False)
def metrics(request: Request, _user: Director) -> Response:
    """Request latency, appends, the log head, the dispatch ledger by state, the scheduler's last run."""
    app_metrics: AppMetrics = request.app.state.metrics
    return Response(generate_latest(app_metrics.registry), media_type=CONTENT_TYPE_LATEST)
