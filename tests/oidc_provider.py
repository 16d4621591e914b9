"""A real OpenID Connect provider for the tests: oidc-provider-mock (Authlib's authorization server in
Flask: discovery, signed ID tokens, nonce, end_session) served by werkzeug on a free port in a thread.

Its authorization page has one button per predefined user (the subject as the label); a test presses
the one it wants, as a person would choose an account. The provider is reached as `localhost`, the
app as `127.0.0.1`: two sites, so the return from the provider is a cross-site navigation, as with
Entra ID.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import oidc_provider_mock  # type: ignore[import-untyped]
import werkzeug.serving


@dataclass(frozen=True)
class Provider:
    base_url: str

    @property
    def issuer(self) -> str:
        return self.base_url

    @property
    def discovery_url(self) -> str:
        return f"{self.base_url}/.well-known/openid-configuration"

    def set_claims(self, subject: str, claims: Mapping[str, object]) -> None:
        """Give a user other claims (groups, name) from their next sign-in on."""
        answer = httpx.put(f"{self.base_url}/users/{subject}", json=dict(claims), timeout=10)
        answer.raise_for_status()


@contextmanager
def oidc_provider(users: Mapping[str, Mapping[str, object]]) -> Iterator[Provider]:
    """The provider with these users (subject → claims), stopped at the end."""
    app = oidc_provider_mock.app(
        require_nonce=True,
        user_claims=[oidc_provider_mock.User(sub=sub, claims=dict(claims)) for sub, claims in users.items()],
    )
    server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield Provider(f"http://localhost:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
