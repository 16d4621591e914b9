"""The API documentation in Chromium: Swagger UI and ReDoc render from the app's own assets, ask no
other host for anything, and break no rule of their content security policy."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.e2e.conftest import LiveApp

# Every violation of the page's policy, as the page itself reports it (an init script runs before
# the page's own scripts and is not subject to the policy).
WATCH_POLICY = (
    "window.__violations = [];"
    "document.addEventListener('securitypolicyviolation',"
    " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
)


@pytest.mark.parametrize(
    ("path", "operation"),
    [("/docs", "#operations-events-events_append"), ("/redoc", "[data-section-id]")],
)
def test_the_api_documentation_renders_from_our_own_assets_within_its_policy(
    page: Page, live_app: LiveApp, path: str, operation: str
) -> None:
    urls: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    page.on("console", lambda message: _error(message, errors))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.add_init_script(WATCH_POLICY)

    response = page.goto(live_app.url(path))
    assert response is not None and response.status == 200
    expect(page.locator(operation).first).to_be_visible()
    expect(page.get_by_text("/api/events").first).to_be_visible()
    page.wait_for_load_state("networkidle")

    ours = urlsplit(live_app.base_url).netloc
    assert {urlsplit(u).scheme for u in urls} <= {"http", "data", "blob"}  # ReDoc's worker: a blob: URL
    assert {urlsplit(u).netloc for u in urls if u.startswith("http")} == {ours}
    assert page.evaluate("window.__violations") == []
    assert errors == []


def _error(message: ConsoleMessage, errors: list[str]) -> None:
    if message.type == "error":
        errors.append(message.text)
