"""The web app: server-rendered pages (Jinja2, a little plain JS) in the API's own process."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from ehsj_core.settings import Settings
from services.api.web import (
    access_pages,
    accessibility_pages,
    audit_pages,
    calendar_pages,
    download_pages,
    history_pages,
    import_pages,
    log_pages,
    national_pages,
    pdf_pages,
    report_pages,
    signin,
    sso,
    status_pages,
    user_pages,
)
from services.api.web.auth import FORM_COOKIE
from services.api.web.errors import install_web_errors
from services.api.web.headers import WebHeaders

STATIC = Path(__file__).resolve().parent / "static"
PAGE_MODULES = (
    signin,
    status_pages,
    log_pages,
    history_pages,
    report_pages,
    user_pages,
    pdf_pages,  # before audit_pages: its /revision/resultatopgoerelse.{fmt} would take the .pdf
    audit_pages,
    import_pages,
    access_pages,
    accessibility_pages,
    download_pages,
    calendar_pages,
    national_pages,  # issue 14: the national roll-up
    sso,
)


def install_web(app: FastAPI, settings: Settings) -> None:
    """Sessions, security headers, the static files, the pages and their error pages."""
    assert settings.secret_key is not None  # Settings makes one outside production, refuses none in it
    app.add_middleware(WebHeaders, settings=settings)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key.get_secret_value(),
        session_cookie=FORM_COOKIE,  # no access in it: the pre-session CSRF token and notices (auth.py)
        max_age=settings.session_max_age_seconds,
        same_site="lax",
        https_only=settings.session_cookie_secure,
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_web_errors(app)
    for module in PAGE_MODULES:
        app.include_router(module.router)
