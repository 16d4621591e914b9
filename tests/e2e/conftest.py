"""The browser tests: Debian's Chromium, driven by Playwright, against the app served by a real
uvicorn on a free local port, each test with a fresh SQLite database of its own."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

from ehsj_core.db import create_db_engine
from ehsj_core.settings import Settings
from ehsj_core.setup import initialise
from ehsj_core.tracker import Tracker
from ehsj_core.users import create_user
from services.api.app import create_app
from tests.conftest import CONTRACTS, ROOT
from tests.mailsink import free_port
from tests.services import service_missing

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "tests" / "artifacts"
PASSWORD = "korrekt-hest-batteri"
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
# name → (role, municipality)
PEOPLE = {
    "Karen Konsulent": ("consultant", None),
    "Kim Konsulent": ("consultant", None),
    "Dorte Direktør": ("director", None),
    "Anders Revisor": ("auditor", None),
    "Lars Erhvervschef": ("chief", "Lolland"),
}


@dataclass
class LiveApp:
    base_url: str
    tracker: Tracker

    def url(self, path: str) -> str:
        return self.base_url + path


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        service_missing("Chromium", f"{CHROMIUM} is missing (scripts/ensure-chromium.sh installs it)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def live_app(tmp_path: Path) -> Iterator[LiveApp]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'e2e.sqlite3'}",
        contracts_dir=CONTRACTS,
        environment="test",
        snapshot_every=100,
        outbox_dir=tmp_path / "outbox",
    )
    engine = create_db_engine(settings.database_url)
    initialise(engine, settings.contracts_dir)
    tracker = Tracker(settings, engine)
    for name, (role, municipality) in PEOPLE.items():
        create_user(engine, name, role, municipality, password=PASSWORD)
    try:
        with served(settings, tracker) as app:
            yield app
    finally:
        engine.dispose()


@contextmanager
def served(settings: Settings, tracker: Tracker) -> Iterator[LiveApp]:
    """The app on a real uvicorn, in a thread, on a free local port, until the block ends."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, tracker), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="uvicorn-e2e", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield LiveApp(f"http://127.0.0.1:{port}", tracker)
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, locale="da-DK", timezone_id="Europe/Copenhagen")
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


def sign_in(page: Page, app: LiveApp, name: str, password: str = PASSWORD) -> None:
    page.goto(app.url("/log-ind"))
    page.get_by_label("Brugernavn").fill(name)
    page.get_by_label("Adgangskode").fill(password)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(app.url("/"))
