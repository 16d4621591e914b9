"""Security headers on every answer, and the server time on every web page.

Every answer: `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin`, a
`Permissions-Policy` that denies the browser features no page uses, and — only when
`EHSJ_BEHIND_TLS_PROXY` says every client comes through HTTPS — `Strict-Transport-Security`.
Then by kind of answer:
- the API (`/api/…`, `/openapi.json`): a policy that loads and frames nothing (JSON is never a
  document to run; the one HTML answer, a report preview, gets the preview's sandboxed policy),
  `X-Frame-Options: DENY` and `Cache-Control: no-store` (personal data);
- the API documentation (`/docs`, `/redoc`): the policy its route sets (services/api/docs.py) and
  `X-Frame-Options: DENY`;
- the web pages: the strict page policy, `X-Frame-Options: SAMEORIGIN` (as `frame-ancestors`),
  `Cache-Control: no-store` (not for the static files) and `Server-Timing: app;dur=<ms>`.
A route that sets a header of its own keeps it (the e-mail preview's policy, for one).
"""

from __future__ import annotations

import time

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ehsj_core.settings import Settings

# Scripts, styles and images come from this site only; no inline script anywhere.
PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
# The e-mail preview is a whole document of its own with inline styles; it runs nothing.
PREVIEW_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox"
# JSON, CSV and the other API answers: nothing to load, run or frame.
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# Browser features none of our pages uses (the ones Chromium knows: an unknown name is a console error).
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "serial",
        "usb",
    )
)
API_PATHS = ("/api/", "/openapi.json")
DOCS_PATHS = ("/docs", "/redoc")
CACHEABLE = ("/static/", "/docs-assets/")


def hsts(settings: Settings | None) -> str | None:
    """The HSTS header value when the app is behind a TLS proxy, else None (never over plain HTTP:
    a browser that learnt it from a misconfigured host could no longer reach it)."""
    if settings is None or not settings.behind_tls_proxy:
        return None
    return f"max-age={settings.hsts_max_age_seconds}; includeSubDomains"


class WebHeaders:
    """The headers above, added to each answer's start (pure ASGI: streamed answers too)."""

    def __init__(self, app: ASGIApp, settings: Settings | None = None) -> None:
        self.app = app
        self.hsts = hsts(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
                if self.hsts is not None:
                    headers.setdefault("Strict-Transport-Security", self.hsts)
                if path.startswith(API_PATHS):
                    document = headers.get("content-type", "").startswith("text/html")  # a report preview
                    headers.setdefault("Content-Security-Policy", PREVIEW_POLICY if document else API_POLICY)
                    headers.setdefault("X-Frame-Options", "DENY")
                    headers.setdefault("Cache-Control", "no-store")
                elif path in DOCS_PATHS:
                    headers.setdefault("X-Frame-Options", "DENY")
                else:
                    headers.setdefault("Content-Security-Policy", PAGE_POLICY)
                    headers.setdefault("X-Frame-Options", "SAMEORIGIN")
                    if not path.startswith(CACHEABLE):
                        headers.setdefault("Cache-Control", "no-store")
                    headers.append("Server-Timing", f"app;dur={(time.perf_counter() - started) * 1000:.1f}")
            await send(message)

        await self.app(scope, receive, send_with_headers)
