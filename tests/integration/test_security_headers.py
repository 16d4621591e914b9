"""The headers of every kind of answer (a page, the API, the API documentation), HSTS only behind a
TLS proxy, the documentation's assets served by the app itself, and the session cookie's flags."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Headers

from ehsj_core.settings import Settings
from ehsj_core.tracker import Tracker
from services.api.app import create_app
from tests.conftest import auth
from tests.webclient import PASSWORD, csrf_of

EVERYWHERE = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
DENIED_FEATURES = ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()")
ASSET = re.compile(r'(?:src|href)="([^"]+)"')


def directives(policy: str) -> dict[str, list[str]]:
    parts = (p.split() for p in policy.split(";") if p.strip())
    return {words[0]: words[1:] for words in parts}


def assert_everywhere(headers: Headers) -> None:
    for name, value in EVERYWHERE.items():
        assert headers.get(name) == value, name
    permissions = headers.get("Permissions-Policy") or ""
    assert all(feature in permissions for feature in DENIED_FEATURES), permissions


def test_a_page_has_the_strict_policy_and_every_header(web: TestClient) -> None:
    answer = web.get("/log-ind")
    assert answer.status_code == 200
    assert_everywhere(answer.headers)
    policy = directives(answer.headers["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert answer.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert answer.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in answer.headers  # not behind a TLS proxy by default


def test_the_api_answers_load_and_frame_nothing_and_are_not_stored(client: TestClient, tokens: dict[str, str]) -> None:
    for answer in (
        client.get("/api/healthz"),
        client.get("/api/goals", params={"year": 2019}, headers=auth(tokens["consultant"])),
        client.get("/api/goals"),  # a refusal too
        client.get("/openapi.json"),
    ):
        assert answer.status_code in (200, 401), answer.url
        assert_everywhere(answer.headers)
        policy = directives(answer.headers["Content-Security-Policy"])
        assert policy["default-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert answer.headers["Cache-Control"] == "no-store"
        assert "Strict-Transport-Security" not in answer.headers


def test_a_report_preview_from_the_api_keeps_its_inline_styles_and_runs_nothing(
    client: TestClient, tokens: dict[str, str]
) -> None:
    params = {"kind": "quarterly_status", "period": "2019Q3", "municipality": "Lolland"}
    preview = client.get("/api/reports/preview", params=params, headers=auth(tokens["director"]))
    assert preview.status_code == 200 and preview.headers["content-type"].startswith("text/html")
    policy = directives(preview.headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'none'"] and policy["style-src"] == ["'unsafe-inline'"] and "sandbox" in policy
    assert "script-src" not in policy  # no script at all: default-src 'none'


def test_the_documentation_pages_use_only_our_own_assets_under_a_policy_of_their_own(client: TestClient) -> None:
    types = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
    for path in ("/docs", "/redoc"):
        page = client.get(path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "http://" not in page.text and "https://" not in page.text, path  # no CDN, no font service
        assert_everywhere(page.headers)
        policy = directives(page.headers["Content-Security-Policy"])
        assert policy["default-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
        assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
        assert page.headers["X-Frame-Options"] == "DENY"
        assets = [url for url in ASSET.findall(page.text) if url.startswith("/docs-assets/")]
        assert len(assets) >= 2, path
        for url in assets:
            asset = client.get(url)
            wanted = types[url[url.rfind(".") :]]
            assert asset.status_code == 200 and asset.headers["content-type"].startswith(wanted), url
            assert asset.headers["X-Content-Type-Options"] == "nosniff"
    swagger = directives(client.get("/docs").headers["Content-Security-Policy"])
    assert swagger["style-src"] == ["'self'"] and any(s.startswith("'sha256-") for s in swagger["script-src"])
    assert b"cdn.redoc.ly" not in client.get("/docs-assets/redoc.standalone.js").content


def test_hsts_is_sent_only_when_the_app_is_behind_a_tls_proxy(settings: Settings, tracker: Tracker) -> None:
    proxied = settings.model_copy(update={"behind_tls_proxy": True, "hsts_max_age_seconds": 600})
    with TestClient(create_app(proxied, tracker), base_url="https://testserver") as client:
        for path in ("/log-ind", "/api/healthz", "/docs", "/static/app.css"):
            answer = client.get(path)
            assert answer.status_code == 200, path
            assert answer.headers["Strict-Transport-Security"] == "max-age=600; includeSubDomains", path


def test_signing_in_sets_the_session_cookie_http_only_secure_and_same_site_lax(web: TestClient) -> None:
    token = csrf_of(web.get("/log-ind").text)
    answer = web.post(
        "/log-ind",
        data={"name": "Karen Konsulent", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    cookies = answer.headers.get_list("set-cookie")
    assert cookies, "signing in set no cookie"
    for cookie in cookies:
        attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
        assert "httponly" in attributes and "secure" in attributes, cookie
        assert attributes.get("samesite", "").lower() == "samesite=lax", cookie
