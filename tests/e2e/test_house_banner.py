"""Issue 14 in the browser: an installation of Erhvervshus Fyn (a fictitious example contract) shows
the "Fiktivt eksempel" banner on top of every page, visible on a phone and a wide screen, as a note
that axe-core finds nothing serious in; the brand and the footer name Fyn and KKR Syddanmark."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from ehsj_core.db import create_db_engine
from ehsj_core.settings import Settings
from ehsj_core.setup import initialise
from ehsj_core.tracker import Tracker
from ehsj_core.users import create_user
from tests.conftest import CONTRACTS
from tests.e2e.conftest import DESKTOP, PASSWORD, PHONE, LiveApp, served, sign_in
from tests.e2e.test_accessibility import blocking_violations
from tests.factories import Actor, course

PAGES = ("/", "/kommuner", "/kommuner/Odense", "/rapporter", "/kalender", "/tilgaengelighed")


@pytest.fixture
def fyn_app(tmp_path: Path) -> Iterator[LiveApp]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'fyn.sqlite3'}",
        contracts_dir=CONTRACTS,
        environment="test",
        snapshot_every=100,
        outbox_dir=tmp_path / "outbox",
        house="fyn",
    )
    engine = create_db_engine(settings.database_url)
    initialise(engine, settings.contracts_dir)
    tracker = Tracker(settings, engine)
    create_user(engine, "Dorte Direktør", "director", None, password=PASSWORD)
    tracker.append(course("action_plan", "Odense", "2019-03-04", company=2), by=Actor("Karen Konsulent", "consultant"))
    try:
        with served(settings, tracker) as app:
            yield app
    finally:
        engine.dispose()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_fictitious_banner_is_on_top_of_every_page_and_accessible(
    browser: Browser, fyn_app: LiveApp, viewport: ViewportSize
) -> None:
    context = browser.new_context(viewport=viewport, locale="da-DK", timezone_id="Europe/Copenhagen")
    context.set_default_timeout(15_000)
    tab: Page = context.new_page()
    try:
        sign_in(tab, fyn_app, "Dorte Direktør")
        found: list[str] = []
        for path in PAGES:
            tab.goto(fyn_app.url(path))
            banner = tab.get_by_role("note").filter(has_text="Fiktivt eksempel:")
            expect(banner).to_be_visible()
            expect(banner).to_contain_text("ikke en rigtig resultatkontrakt for Erhvervshus Fyn")
            box = banner.bounding_box()
            assert box is not None and box["width"] <= viewport["width"]  # no sideways scrolling for it
            expect(tab.locator("a.brand")).to_have_text("Erhvervshus Fyn · målopfølgning")
            expect(tab.locator("footer")).to_contain_text("Erhvervshus Fyn · resultatkontrakten med KKR Syddanmark")
            found += blocking_violations(tab, path)
        assert not found, "\n".join(found)
    finally:
        context.close()
