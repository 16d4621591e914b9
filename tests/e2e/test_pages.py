"""Every main page with the demo year, at desktop and phone width: screenshots under tests/artifacts/,
no sideways scrolling on a phone, a label on every input, and Danish dates and numbers."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS, DESKTOP, PHONE, LiveApp, sign_in

PAGES = {
    "overblik": "/?year=2019",
    "overblik-pr-1-oktober": "/?year=2019&as_of=2019-10-01",
    "maal-1": "/maal/1?year=2019",
    "kommuner": "/kommuner?year=2019",
    "kommune-lolland": "/kommuner/Lolland?year=2019",
    "registrer": "/registrer",
    "registrer-forloeb": "/registrer/forloeb",
    "registrer-evaluering": "/registrer/evaluering",
    "historik": "/historik",
    "rapporter": "/rapporter?period=2019Q3&municipality=Lolland",
    "brugere": "/brugere",
}
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(e => e.type !== 'hidden' && !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
  .map(e => e.name || e.id)"""


@pytest.fixture
def demo_app(live_app: LiveApp) -> LiveApp:
    live_app.tracker.load_demo()
    return live_app


def test_every_main_page_renders_at_desktop_and_phone_width_with_labels_no_sideways_scrolling_and_no_errors(
    page: Page, demo_app: LiveApp
) -> None:
    folder = ARTIFACTS / "screens"
    folder.mkdir(parents=True, exist_ok=True)
    console_errors: list[str] = []  # a script or style the page policy blocked would show here
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    sign_in(page, demo_app, "Dorte Direktør")
    for size_name, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        for name, path in PAGES.items():
            response = page.goto(demo_app.url(path))
            assert response is not None and response.status == 200, path
            page.wait_for_load_state("load")
            assert page.evaluate(UNLABELLED) == [], f"{path}: inputs without a label"
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {size['width']} px"
            page.screenshot(path=str(folder / f"{name}-{size_name}-{size['width']}.png"), full_page=True)
    assert console_errors == []
    page.context.clear_cookies()
    page.goto(demo_app.url("/log-ind"))
    page.screenshot(path=str(folder / f"log-ind-phone-{PHONE['width']}.png"), full_page=True)


def test_the_dashboard_speaks_danish_dates_and_numbers(page: Page, demo_app: LiveApp) -> None:
    sign_in(page, demo_app, "Dorte Direktør")
    page.goto(demo_app.url("/?year=2019&as_of=2019-10-01"))
    expect(page.locator(".basis:not(.downloads)")).to_contain_text("Som kendt ved udgangen af 1. oktober 2019")
    expect(page.locator(".basis:not(.downloads)")).to_contain_text(r"hændelse nr. ")
    position_text = page.locator(".basis:not(.downloads)").inner_text().rsplit("nr. ", 1)[1]
    assert "." in position_text or len(position_text) <= 3  # thousands grouped with "."
    first_bar = page.locator("svg.bar").first
    expect(first_bar).to_have_attribute("role", "img")
    statuses = page.locator(".badge").all_inner_texts()
    words = {"opfyldt", "opfyldt for sent", "i rute", "bagud", "ikke startet", "ikke opfyldt", "afventer måling"}
    assert set(statuses) <= words


def test_the_report_preview_shows_the_quarterly_email_of_the_chosen_municipality(page: Page, demo_app: LiveApp) -> None:
    sign_in(page, demo_app, "Anders Revisor")
    page.goto(demo_app.url("/rapporter?period=2019Q3&municipality=Lolland"))
    frame = page.frame_locator("iframe.preview")
    expect(frame.locator("body")).to_contain_text("Lolland")
    expect(frame.locator("body")).to_contain_text("3. kvartal 2019")
