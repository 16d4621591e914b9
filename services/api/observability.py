"""Request ids, one log line per request, and the app's Prometheus metrics.

`RequestLog` is a plain ASGI middleware (outermost of the app's own): it takes the request id from
an incoming `X-Request-ID` (letters, digits and `._:-`, up to 128) or makes one, returns it in the
response's `X-Request-ID`, and holds it in a contextvar (`ehsj_core.logging_setup.current_request`)
so every line logged during the request carries it. When the response is done it writes one line to
the logger `ehsj.http` — method, path, status, duration, the user (the principal's name, or "-") —
and observes the latency histogram by method, route template and status.

The user is recorded by the two dependencies that authenticate (the API token, the web session),
overridden here with wrappers that note the principal's name on the request.

The appends counter counts the events the app's tracker stores (duplicates not counted): the
tracker's two append methods, through which every entry point of the API and the web app appends,
are wrapped once. Scrape-time gauges (the log head, the dispatch ledger by state, the scheduler's
last heartbeat) are read from the database when `/metrics` is asked for.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ehsj_core.events.records import AppendResult
from ehsj_core.heartbeat import last_beat
from ehsj_core.logging_setup import NO_VALUE, RequestContext, current_request
from ehsj_core.notify.ledger import count_by_state
from ehsj_core.tracker import Tracker
from ehsj_core.users import Principal
from services.api.deps import TrackerDep, bearer, current_user
from services.api.web.auth import web_user

log = logging.getLogger("ehsj.http")
REQUEST_ID_HEADER = "X-Request-ID"
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
QUIET_PATHS = frozenset({"/api/healthz"})  # healthchecks every few seconds: logged at DEBUG
SCOPE_KEY = "ehsj.request"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class AppMetrics:
    """The metrics of one app, in a registry of its own (each app of a test run counts alone)."""

    def __init__(self, tracker: Tracker) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.request_duration = Histogram(
            "ehsj_http_request_duration_seconds",
            "HTTP request latency, by method, route template and status",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.events_appended = Counter(
            "ehsj_events_appended",
            "Events appended to the log by this process (duplicates not counted)",
            registry=self.registry,
        )
        self.registry.register(ScrapeCollector(tracker))


class ScrapeCollector(Collector):
    """Gauges read from the database at scrape time."""

    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker

    def describe(self) -> Iterable[Metric]:
        return []  # nothing at registration: collect() reads the database

    def collect(self) -> Iterable[Metric]:
        head = GaugeMetricFamily("ehsj_log_head_position", "Position of the newest event in the log")
        head.add_metric([], self.tracker.log.head().position)
        yield head
        dispatches = GaugeMetricFamily("ehsj_dispatches", "Rows of the dispatch ledger, by state", labels=["state"])
        for state, count in sorted(count_by_state(self.tracker.engine).items()):
            dispatches.add_metric([state], count)
        yield dispatches
        beat = last_beat(self.tracker.engine)
        if beat is not None:
            last_run = GaugeMetricFamily(
                "ehsj_scheduler_last_run_timestamp_seconds", "When the scheduler last wrote its heartbeat (Unix time)"
            )
            last_run.add_metric([], beat.last_run_at.timestamp())
            yield last_run


class RequestLog:
    """The ASGI middleware: request id, the request line, the latency histogram."""

    def __init__(self, app: ASGIApp, metrics: AppMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        context = RequestContext(incoming if incoming and VALID_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex)
        scope[SCOPE_KEY] = context
        token = current_request.set(context)
        started = time.perf_counter()
        status = 500  # what the client gets when the app raises before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", context.request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            duration = time.perf_counter() - started
            self._record(scope, status, duration, context)
            current_request.reset(token)

    def _record(self, scope: Scope, status: int, duration: float, context: RequestContext) -> None:
        method, path = scope["method"], scope["path"]
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        self.metrics.request_duration.labels(method, route, str(status)).observe(duration)
        level = logging.DEBUG if path in QUIET_PATHS and status < 400 else logging.INFO
        log.log(
            level,
            "%s %s %s %.1f ms",
            method,
            path,
            status,
            duration * 1000,
            extra={
                "method": method,
                "path": path,
                "route": route,
                "status": status,
                "duration_ms": round(duration * 1000, 2),
                "request_id": context.request_id,
                "user": context.user,
            },
        )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1").strip()
    return None


def note_user(request: Request, principal: Principal) -> None:
    context = request.scope.get(SCOPE_KEY)
    if isinstance(context, RequestContext):
        context.user = principal.name or NO_VALUE


def _api_user(
    request: Request,
    tracker: TrackerDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    principal = current_user(tracker, credentials)
    note_user(request, principal)
    return principal


def _web_user(request: Request, tracker: TrackerDep) -> Principal:
    principal = web_user(request, tracker)
    note_user(request, principal)
    return principal


def _count_appends(tracker: Tracker, counters: list[Counter]) -> None:
    """Wrap the tracker's two append methods (once per tracker) to count what they store."""
    known: list[Counter] | None = getattr(tracker, "_ehsj_append_counters", None)
    if known is not None:  # wrapped already (another app on the same tracker): count there too
        known.extend(counters)
        return
    tracker._ehsj_append_counters = counters  # type: ignore[attr-defined]

    def counted(method: Callable[..., list[AppendResult]]) -> Callable[..., list[AppendResult]]:
        @wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> list[AppendResult]:
            results = method(*args, **kwargs)
            stored = sum(1 for r in results if not r.duplicate)
            if stored:
                for counter in counters:
                    counter.inc(stored)
            return results

        return wrapper

    tracker.append = counted(tracker.append)  # type: ignore[method-assign]
    tracker.append_events = counted(tracker.append_events)  # type: ignore[method-assign]


def install_observability(app: FastAPI, tracker: Tracker) -> AppMetrics:
    """The middleware (outermost of the app's own), the user-noting dependencies, the counters."""
    metrics = AppMetrics(tracker)
    app.state.metrics = metrics
    app.dependency_overrides.setdefault(current_user, _api_user)
    app.dependency_overrides.setdefault(web_user, _web_user)
    _count_appends(tracker, [metrics.events_appended])
    app.add_middleware(RequestLog, metrics=metrics)
    return metrics
