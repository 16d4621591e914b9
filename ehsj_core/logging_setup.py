"""One logging configuration for every process: `ehsj serve`, the uvicorn factory, `ehsj worker`,
`ehsj scheduler` and every other `ehsj` command.

One handler on the root logger, writing to the process's standard error: text lines for people
(development, test) or one JSON object a line (production) — EHSJ_LOG_FORMAT, EHSJ_LOG_LEVEL. Every
line carries the request id and the user of the HTTP request it was written during (a contextvar the
API's middleware sets, `services/api/observability.py`), "-" outside a request. Uvicorn's own
loggers go through the same handler; its access log is off (the API writes one line per request
itself). Configuring again replaces only the handler made here, so it is safe to call twice.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from ehsj_core.settings import Settings

NO_VALUE = "-"
# Attributes every LogRecord has; anything else was passed through `extra=` and goes into the JSON.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "color_message",
}
_CONTEXT_FIELDS = ("request_id", "user")


@dataclass
class RequestContext:
    """The request a log line is written during. Mutable: the user is known only once the
    dependency that authenticates has run (in another thread, with a copy of the context)."""

    request_id: str
    user: str = NO_VALUE


current_request: ContextVar[RequestContext | None] = ContextVar("ehsj_request", default=None)


class ContextFilter(logging.Filter):
    """Puts `request_id` and `user` on every record (from the current request, or "-")."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = current_request.get()
        if not hasattr(record, "request_id"):
            record.request_id = context.request_id if context else NO_VALUE
        if not hasattr(record, "user"):
            record.user = context.user if context else NO_VALUE
        return True


class TextFormatter(logging.Formatter):
    """`2026-12-01 09:15:02,113 INFO ehsj.http [4f1c… Karen] GET /api/goals 200 12.4 ms`"""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s %(user)s] %(message)s")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, request_id, user, the
    fields passed with `extra=` (a request line: method, path, route, status, duration_ms), and the
    exception's traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in _CONTEXT_FIELDS:
            out[key] = getattr(record, key, NO_VALUE)
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and key not in out:
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def _stderr() -> TextIO:
    # The original stream: a Celery worker replaces sys.stderr by a proxy that logs what is written.
    return sys.__stderr__ or sys.stderr


def configure_logging(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """Install the process's log handler (replacing one installed earlier by this function)."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "ehsj_handler", False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or _stderr())
    handler.ehsj_handler = True  # type: ignore[attr-defined]
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter() if settings.effective_log_format() == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in ("uvicorn", "uvicorn.error"):  # through our handler, not uvicorn's own
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
    access = logging.getLogger("uvicorn.access")  # the middleware writes the request lines
    access.handlers.clear()
    access.propagate = False
    access.setLevel(logging.CRITICAL + 1)
    return handler
