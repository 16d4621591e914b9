"""What the browser gets when it may not go on: the sign-in page, "Ingen adgang" (403), "Ikke fundet"."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ehsj_core.users import Principal
from services.api.errors import api_http_exception
from services.api.web.auth import CsrfRejected, NoAccess, SignInRequired, session_user
from services.api.web.templating import page


class PageNotFound(Exception):
    def __init__(self, user: Principal | None, reason: str) -> None:
        super().__init__(reason)
        self.user = user
        self.reason = reason


def install_web_errors(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def _sign_in(_request: Request, exc: SignInRequired) -> Response:
        query = "" if exc.next_url == "/" else "?" + urlencode({"next": exc.next_url})
        return RedirectResponse(f"/log-ind{query}", status_code=303)

    @app.exception_handler(NoAccess)
    async def _no_access(request: Request, exc: NoAccess) -> HTMLResponse:
        return page(request, "no_access.html", exc.user, status_code=403, reason=exc.reason)

    @app.exception_handler(CsrfRejected)
    async def _csrf(request: Request, _exc: CsrfRejected) -> HTMLResponse:
        user = session_user(request, request.app.state.tracker)
        reason = (
            "Formularen manglede sin sikkerhedsnøgle eller den var udløbet. Intet er gemt. "
            "Genindlæs siden og prøv igen."
        )
        return page(request, "no_access.html", user, status_code=403, reason=reason)

    @app.exception_handler(PageNotFound)
    async def _not_found(request: Request, exc: PageNotFound) -> HTMLResponse:
        return page(request, "not_found.html", exc.user, status_code=404, reason=exc.reason)

    @app.exception_handler(StarletteHTTPException)
    async def _unknown_page(request: Request, exc: StarletteHTTPException) -> Response:
        """An address no page has: a Danish page for people, the API's problem detail for the API."""
        path = request.url.path
        if exc.status_code != 404 or path.startswith(("/api", "/docs", "/redoc", "/openapi", "/static")):
            return await api_http_exception(request, exc)
        user = session_user(request, request.app.state.tracker)
        return page(request, "not_found.html", user, status_code=404, reason="Siden findes ikke.")
