"""Single sign-on with OpenID Connect (rules: `ehsj_core.oidc`; settings: EHSJ_OIDC_*).

GET /log-ind/sso sends the browser to the identity provider: the authorization code flow with state,
nonce and PKCE (S256), which Authlib keeps in the session until the provider sends the browser back.
GET /log-ind/sso/callback exchanges the code, validates the ID token (the provider's signature,
issuer, audience, expiry, nonce), maps its groups to a role and begins our own session. Every refusal
is a Danish page (403: not allowed here; 400: a broken, expired or forged sign-in; 502: the provider
did not answer), never a traceback.

Signing out is /log-ud as for everybody; it ends our session. Afterwards the sign-in page offers
GET /log-ud/sso, which sends the browser to the provider's end_session_endpoint to end the session
there too (a form posting to /log-ud cannot redirect to another site: the page policy's form-action).
"""

from __future__ import annotations

import logging
import warnings
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.common.errors import AuthlibBaseError  # type: ignore[import-untyped]
from authlib.deprecate import AuthlibDeprecationWarning  # type: ignore[import-untyped]
from authlib.integrations.base_client import MismatchingStateError  # type: ignore[import-untyped]

# Authlib 1.9 warns on import that its httpx integration (which the Starlette client uses) will
# move to "httpx2"; the warning is about Authlib's future, not our use, and an import-time line on
# stderr would break the JSON log of `ehsj serve` in production.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.starlette_client import OAuth  # type: ignore[import-untyped]
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from joserfc.errors import JoseError
from starlette.concurrency import run_in_threadpool

from ehsj_core.errors import NotFound
from ehsj_core.oidc import SignInRefused, SsoConfig, sign_in_oidc, sso_config
from ehsj_core.tracker import Tracker
from ehsj_core.users import Principal
from services.api.deps import TrackerDep
from services.api.web.auth import begin_session, safe_next
from services.api.web.templating import page

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)
CLIENT_NAME = "ehsj"
NEXT_KEY = "sso_next"
CALLBACK = "/log-ind/sso/callback"  # the redirect URI registered with the provider
PROVIDER_DOWN = (
    "Organisationens log-ind-tjeneste svarer ikke lige nu. Prøv igen om lidt, eller log ind med adgangskode."
)


def _client(request: Request) -> Any | None:
    """This app's OpenID client (Authlib's StarletteOAuth2App), made on first use; it fetches the
    discovery document and the signing keys when it first needs them and keeps them. None: SSO is off."""
    state = request.app.state
    client = getattr(state, "oidc_client", None)
    if client is None:
        config = sso_config(state.tracker.settings)
        if config is None:
            return None
        client = _register(config)
        state.oidc_client = client
    return client


def _register(config: SsoConfig) -> Any:
    oauth = OAuth()
    return oauth.register(
        CLIENT_NAME,
        client_id=config.client_id,
        client_secret=config.client_secret,
        server_metadata_url=config.discovery_url,
        client_kwargs={
            "scope": config.scopes,
            "code_challenge_method": "S256",
            # without a secret (a public client) the code verifier alone proves who asks for the token
            "token_endpoint_auth_method": "client_secret_post" if config.client_secret else "none",
            "timeout": 15.0,
        },
    )


def _refused(request: Request, refusal: SignInRefused) -> HTMLResponse:
    return page(request, "sso_refused.html", None, status_code=refusal.status, reason=refusal.reason)


def _absolute(request: Request, path: str, tracker: Tracker) -> str:
    """An address of this app as the provider must be told it: https when behind a TLS proxy."""
    url = str(request.base_url).rstrip("/") + path
    if tracker.settings.behind_tls_proxy and url.startswith("http://"):
        url = "https://" + url.removeprefix("http://")
    return url


@router.get("/log-ind/sso")
async def sso_start(request: Request, tracker: TrackerDep) -> Response:
    client = _client(request)
    if client is None:
        return _refused(request, SignInRefused("Log ind med organisationens konto er ikke sat op her.", status=404))
    request.session[NEXT_KEY] = safe_next(request.query_params.get("next"))
    try:
        response: Response = await client.authorize_redirect(request, _absolute(request, CALLBACK, tracker))
    except (httpx.HTTPError, ValueError, AuthlibBaseError) as exc:
        log.warning("single sign-on: the provider's discovery failed: %s", exc)
        return _refused(request, SignInRefused(PROVIDER_DOWN, status=502))
    return response


@router.get(CALLBACK)
async def sso_callback(request: Request, tracker: TrackerDep) -> Response:
    client = _client(request)
    if client is None:
        return _refused(request, SignInRefused("Log ind med organisationens konto er ikke sat op her.", status=404))
    error = request.query_params.get("error")
    if error:
        log.info("single sign-on: the provider refused: %s %s", error, request.query_params.get("error_description"))
        reason = "Organisationens log-ind-tjeneste afviste log-ind" + (
            " (du eller tjenesten afbrød)." if error == "access_denied" else f" ({error})."
        )
        return _refused(request, SignInRefused(reason, status=403))
    try:
        token = await client.authorize_access_token(request)
    except MismatchingStateError:
        reason = "Log-ind-forsøget var udløbet eller blev begyndt i en anden browser. Start forfra."
        return _refused(request, SignInRefused(reason, status=400))
    except (AuthlibBaseError, JoseError) as exc:  # a refused code, a bad signature, a wrong nonce or audience
        log.warning("single sign-on: the ID token was not accepted: %s", exc)
        return _refused(request, SignInRefused("Organisationens log-ind kunne ikke bekræftes. Start forfra.", 400))
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("single sign-on: the provider did not answer: %s", exc)
        return _refused(request, SignInRefused(PROVIDER_DOWN, status=502))
    claims = token.get("userinfo")
    if not isinstance(claims, dict):
        return _refused(request, SignInRefused("Organisationens log-ind sendte ingen ID-token. Start forfra.", 400))
    next_url = safe_next(request.session.pop(NEXT_KEY, None))
    response = RedirectResponse(next_url, status_code=303)
    try:
        await run_in_threadpool(_sign_in, request, response, tracker, dict(claims))
    except SignInRefused as refusal:
        log.info("single sign-on: refused %s at %s: %s", claims.get("sub"), claims.get("iss"), refusal.reason)
        return _refused(request, refusal)
    return response


def _sign_in(request: Request, response: Response, tracker: Tracker, claims: dict[str, object]) -> Principal:
    config = sso_config(tracker.settings)
    assert config is not None  # _client made a client from it
    try:
        municipalities = [m.name for m in tracker.contract().contract.municipalities]
    except NotFound:  # no contract loaded yet: a chief's municipality is taken as configured
        municipalities = []
    principal = sign_in_oidc(
        tracker.engine, str(claims.get("iss") or ""), str(claims.get("sub") or ""), claims, config.rules(municipalities)
    )
    begin_session(request, response, tracker, principal, method="oidc")
    return principal


@router.get("/log-ud/sso")
async def sso_sign_out(request: Request, tracker: TrackerDep) -> Response:
    """After signing out here: end the session at the provider too, when it offers that."""
    signed_out = RedirectResponse("/log-ind?logget_ud=1", status_code=303)
    client = _client(request)
    if client is None:
        return signed_out
    try:
        metadata = await client.load_server_metadata()
    except (httpx.HTTPError, ValueError, AuthlibBaseError):
        return _refused(request, SignInRefused(PROVIDER_DOWN, status=502))
    endpoint = metadata.get("end_session_endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        return signed_out
    back = _absolute(request, "/log-ind", tracker)
    query = urlencode({"client_id": client.client_id, "post_logout_redirect_uri": back})
    return RedirectResponse(f"{endpoint}{'&' if '?' in endpoint else '?'}{query}", status_code=303)
