"""The API documentation, Swagger UI at /docs and ReDoc at /redoc, with every asset served by the app
itself (the files fastapi-offline ships): no visitor's address goes to a CDN.

Each page carries a policy as strict as the page allows: scripts from this site, plus Swagger UI's
one inline start-up script by its hash; ReDoc builds its styles at run time (inline styles) and runs
its search in a worker made from a blob: URL. ReDoc's menu shows Redocly's logo from their CDN: the
app serves ReDoc's script with that one address replaced by an empty image.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS_URL = "/docs-assets"
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
EMPTY_IMAGE = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.DOTALL)
_COMMON = "default-src 'none'; connect-src 'self'; img-src 'self' data:; font-src 'self'; "
_TAIL = "frame-ancestors 'none'; base-uri 'none'; form-action 'none'; object-src 'none'"


def _hashes(html: str, element: str) -> str:
    """The CSP source expressions ('sha256-…') of the page's inline <script> or <style> elements."""
    found = [text for name, text in _INLINE.findall(html) if name == element]
    return " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(t.encode()).digest()).decode()}'" for t in found)


def _swagger(app: FastAPI) -> tuple[str, str]:
    """(the page, its policy)."""
    assert app.openapi_url is not None
    page = get_swagger_ui_html(
        openapi_url=app.openapi_url,
        title=f"{app.title} – API-dokumentation",
        swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
        swagger_ui_parameters=app.swagger_ui_parameters,
    )
    html = bytes(page.body).decode()
    return html, f"{_COMMON}script-src 'self' {_hashes(html, 'script')}; style-src 'self'; {_TAIL}"


def _redoc(app: FastAPI) -> tuple[str, str]:
    assert app.openapi_url is not None
    page = get_redoc_html(
        openapi_url=app.openapi_url,
        title=f"{app.title} – ReDoc",
        redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
        redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
        with_google_fonts=False,
    )
    html = bytes(page.body).decode()
    return html, f"{_COMMON}script-src 'self'; style-src 'self' 'unsafe-inline'; worker-src blob:; {_TAIL}"


def install_docs(app: FastAPI) -> None:
    """/docs, /redoc and their assets; the app is made with `docs_url=None, redoc_url=None`."""
    swagger, redoc = _swagger(app), _redoc(app)  # the pages never change: built once (a fresh answer each time)
    redoc_js = (ASSETS / "redoc.standalone.js").read_bytes().replace(REDOC_LOGO.encode(), EMPTY_IMAGE.encode())

    @app.get(f"{ASSETS_URL}/redoc.standalone.js", include_in_schema=False)  # before the mount: it wins
    def redoc_script() -> Response:
        return Response(redoc_js, media_type="text/javascript; charset=utf-8")

    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(swagger[0], headers={"Content-Security-Policy": swagger[1]})

    @app.get("/redoc", include_in_schema=False)
    def redoc_page() -> HTMLResponse:
        return HTMLResponse(redoc[0], headers={"Content-Security-Policy": redoc[1]})
