"""Accessibility in the browser: axe-core on every page of the web app, for every role and signed out,
at desktop and phone width, with no violation of WCAG 2.0/2.1 A or AA whose impact is serious or
critical; and the accessibility statement, open to everyone and linked from every page.

The pages are the web routes themselves (`PAGE_MODULES`): every GET route is visited, its path
parameters filled in from `path_values` — a route with a parameter that has no value there fails
`test_every_web_route_has_addresses_to_check`, so a new page is listed before it can go unchecked. An
address that answers a redirect is checked where it leads, one that answers no HTML (a download, JSON)
is not a page. The director, who may open everything, visits every value of a parameter (every goal,
every form); the others the first one. One app with the demo year serves the whole module."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]  # no type hints
from fastapi.routing import APIRoute
from playwright.sync_api import Browser, Page, ViewportSize, expect

from ehsj_core.db import create_db_engine
from ehsj_core.events.records import HistoryQuery
from ehsj_core.notify.dispatch import deliver, prepare
from ehsj_core.notify.recipients import add_demo_recipients
from ehsj_core.settings import Settings
from ehsj_core.setup import initialise
from ehsj_core.tracker import Tracker
from ehsj_core.users import create_user
from services.api.web import PAGE_MODULES
from services.api.web.forms import SLUGS
from tests.conftest import CONTRACTS
from tests.e2e.conftest import DESKTOP, PASSWORD, PEOPLE, PHONE, LiveApp, served, sign_in

STATEMENT = "/tilgaengelighed"
WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": WCAG_A_AA},
    "resultTypes": ["violations"],
    "iframes": False,  # the e-mail preview's frame is its own address, checked as a page
}
BLOCKING = {"serious", "critical"}
WIDTHS: tuple[ViewportSize, ...] = (DESKTOP, PHONE)
ROLE_PEOPLE = {
    "consultant": "Karen Konsulent",
    "director": "Dorte Direktør",
    "auditor": "Anders Revisor",
    "chief": "Lars Erhvervschef",
}
ALL_VALUES_ROLE = "director"
# Addresses a route is visited with (its query strings); a route not named here is visited bare.
QUERIES: dict[str, tuple[str, ...]] = {
    "/": ("?year=2019", "?year=2019&as_of=2019-10-01", "?year=1999"),
    "/maal/{goal_id}": ("?year=2019",),
    "/kommuner": ("?year=2019",),
    "/kommuner/{name}": ("?year=2019",),
    "/historik": ("", "?type=course.completed&municipality=Lolland&occurred_from=2019-03-01", "?occurred_to=x"),
    "/rapporter": ("?period=2019Q3&municipality=Lolland",),
    "/rapporter/forhaandsvisning": ("?period=2019Q3&municipality=Lolland",),
    "/revision": ("", "?year=2019&as_of=200&from=100&to=200"),
    "/revision/resultatopgoerelse.{fmt}": ("?year=2019",),
    "/revision/eksport.jsonl": ("?year=2019",),
    "/adgangslog": ("", "?since=ikke-en-dato&action=x"),
    "/nationalt": ("", "?year=2019", "?year=1999"),
}
# Files (by their suffix) are not fetched: no page, and a PDF takes seconds to make. But a download
# asked with a filter it cannot use answers a page that says why.
FILE_SUFFIXES = (".xlsx", ".csv", ".pdf", ".jsonl", ".ics")
REFUSED_DOWNLOADS = [("/eksport/historik.{fmt}", "/eksport/historik.xlsx?occurred_from=x")]
# Values of a parameter for one route, in place of `path_values`.
ROUTE_VALUES: dict[str, dict[str, list[str]]] = {"/revision/resultatopgoerelse.{fmt}": {"fmt": ["html", "xlsx"]}}
NOT_FOUND = "/findes-ikke"
# Whole documents the app serves beside its pages (an e-mail as sent, the final statement to print):
# checked like the pages, without the app's menu and footer.
DOCUMENTS = {"/rapporter/forhaandsvisning", "/revision/resultatopgoerelse.{fmt}"}


@dataclass
class Site:
    app: LiveApp
    values: dict[str, list[str]]


def path_values(tracker: Tracker, dispatch_id: int) -> dict[str, list[str]]:
    """A value (the first) or values (all, for the director) for each path parameter of the web routes."""
    contract = tracker.contract(2019).contract
    newest = tracker.log.find_history(tracker.house, HistoryQuery(limit=1)).entries[0].event
    return {
        "goal_id": [goal.id for goal in contract.goals],
        "name": ["Lolland"],  # the chief's own municipality
        "slug": list(SLUGS),
        "event_id": [newest.event_id],
        "dispatch_id": [str(dispatch_id)],
        "fmt": ["xlsx", "csv"],  # the downloads: no pages, but their refusals are
        "cvr": ["12345678"],  # JSON for the form's script: no page
        "token": ["ukendt"],  # a calendar feed: no page
    }


def web_get_routes() -> list[str]:
    routes = [r for m in PAGE_MODULES for r in m.router.routes if isinstance(r, APIRoute)]
    return sorted({r.path for r in routes if "GET" in (r.methods or ())})


def route_parameters(path: str) -> list[str]:
    return [part.split("}")[0] for part in path.split("{")[1:]]


def addresses(values: dict[str, list[str]], all_values: bool) -> list[tuple[str, str]]:
    """(route, address) of every web GET route, with its parameters filled in and its query strings."""
    found: list[tuple[str, str]] = []
    for route in web_get_routes():
        paths, own = [route], values | ROUTE_VALUES.get(route, {})
        for name in route_parameters(route):
            chosen = own[name] if all_values else own[name][:1]
            paths = [p.replace("{" + name + "}", v) for p in paths for v in chosen]
        found += [(route, p + query) for p in paths for query in QUERIES.get(route, ("",))]
    pages = [(route, address) for route, address in found if not address.split("?")[0].endswith(FILE_SUFFIXES)]
    return [*pages, *REFUSED_DOWNLOADS, (NOT_FOUND, NOT_FOUND)]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("accessibility")
    settings = Settings(
        database_url=f"sqlite:///{folder / 'a11y.sqlite3'}",
        contracts_dir=CONTRACTS,
        environment="test",
        snapshot_every=100,
        outbox_dir=folder / "outbox",
    )
    engine = create_db_engine(settings.database_url)
    initialise(engine, settings.contracts_dir)
    tracker = Tracker(settings, engine)
    for name, (role, municipality) in PEOPLE.items():
        create_user(engine, name, role, municipality, password=PASSWORD)
    tracker.load_demo()
    add_demo_recipients(engine, tracker.contract(2019).contract)
    sent = next(r for r in prepare(tracker, "quarterly_status", "2019Q3") if r.municipality == "Lolland")
    assert deliver(tracker, sent.id) == "sent"  # the ledger, the audit page and its reproduction have a row
    try:
        with served(settings, tracker) as app:
            yield Site(app, path_values(tracker, sent.id))
    finally:
        engine.dispose()


@pytest.fixture
def tab(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, locale="da-DK", timezone_id="Europe/Copenhagen")
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def blocking_violations(page: Page, label: str, document: bool = False) -> list[str]:
    """What axe finds on the page as shown, serious or critical, one line a rule with its nodes;
    and a page without the footer's link to the statement."""
    results: Any = Axe().run(page, options=AXE_OPTIONS).response
    found = []
    for v in results["violations"]:
        if v["impact"] in BLOCKING:
            targets = "; ".join(" ".join(map(str, node["target"])) for node in v["nodes"][:8])
            found.append(f"{label}: {v['id']} ({v['impact']}) {v['help']} — {v['helpUrl']}\n      {targets}")
    if not document and page.locator(f'footer a[href="{STATEMENT}"]').count() != 1:
        found.append(f"{label}: no link to {STATEMENT} in the footer")
    return found


def check_each(page: Page, app: LiveApp, who: str, wanted: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """(the addresses checked, the problems): every address that answers an HTML page at its own
    address, at both widths; of the "Ingen adgang" answers (the same page each time), the first."""
    pages: list[tuple[str, str]] = []
    no_access = False
    for route, address in wanted:
        answer = page.request.get(app.url(address), max_redirects=0)
        assert answer.status < 500, f"{who} {address}: {answer.status}"
        if 300 <= answer.status < 400 or not answer.headers.get("content-type", "").startswith("text/html"):
            continue  # checked where it leads; JSON is no page
        if answer.status == 403:
            if no_access:
                continue
            no_access = True
        pages.append((route, address))
    problems: list[str] = []
    for size in WIDTHS:
        page.set_viewport_size(size)
        for route, address in pages:
            if route in DOCUMENTS:  # its policy runs no script, axe's neither: the same markup, loaded as is
                page.set_content(page.request.get(app.url(address)).text())
            else:
                page.goto(app.url(address))
            problems += blocking_violations(page, f"{who} {size['width']}px {address}", route in DOCUMENTS)
    return [address for _route, address in pages], problems


def submit_and_check(page: Page, app: LiveApp, who: str, address: str, button: str) -> list[str]:
    """A form sent empty: the page that shows its errors, at both widths."""
    problems: list[str] = []
    for size in WIDTHS:
        page.set_viewport_size(size)
        page.goto(app.url(address))
        with page.expect_response(lambda r: r.request.method == "POST") as posted:
            page.get_by_role("button", name=button, exact=True).last.click()
        assert posted.value.status in (401, 422), f"{who} {address}: {posted.value.status}"
        page.wait_for_load_state("load")
        problems += blocking_violations(page, f"{who} {size['width']}px {address} (sent empty)")
    return problems


# The forms each role can send empty to see its errors: (address, the submit button's name).
FORMS_WITH_ERRORS: dict[str, list[tuple[str, str]]] = {
    "consultant": [("/registrer/forloeb", "Gem")],
    "director": [
        ("/registrer/arrangement", "Gem"),
        ("/historik/{event_id}/tilbagekald", "Ja, tilbagekald hændelsen"),
        ("/brugere", "Opret bruger"),
    ],
    "auditor": [],
    "chief": [],
}


def test_every_web_route_has_addresses_to_check(site: Site) -> None:
    routes = web_get_routes()
    missing = {route: name for route in routes for name in route_parameters(route) if name not in site.values}
    assert missing == {}, f"routes with a path parameter path_values has no value for: {missing}"
    assert {"/", "/historik", "/log-ind", STATEMENT} <= set(routes)


@pytest.mark.parametrize("role", sorted(ROLE_PEOPLE))
def test_every_page_a_role_opens_has_no_serious_or_critical_axe_violation(role: str, tab: Page, site: Site) -> None:
    app = site.app
    sign_in(tab, app, ROLE_PEOPLE[role])
    checked, problems = check_each(tab, app, role, addresses(site.values, all_values=role == ALL_VALUES_ROLE))
    for route, button in FORMS_WITH_ERRORS[role]:
        address = route.format(**{name: values[0] for name, values in site.values.items()})
        problems += submit_and_check(tab, app, role, address, button)
        checked.append(f"{address} (sent empty)")
    assert {"/?year=2019", "/mine-sessioner", STATEMENT, NOT_FOUND} <= set(checked), checked
    assert not problems, f"{len(problems)} serious or critical violations:\n" + "\n".join(problems)


def test_every_page_open_without_signing_in_has_no_serious_or_critical_axe_violation(tab: Page, site: Site) -> None:
    app = site.app
    checked, problems = check_each(tab, app, "signed out", addresses(site.values, all_values=False))
    problems += submit_and_check(tab, app, "signed out", "/log-ind", "Log ind")
    assert {"/log-ind", STATEMENT, NOT_FOUND} <= set(checked), checked
    assert "/?year=2019" not in checked  # the pages lead to the sign-in page
    assert not problems, f"{len(problems)} serious or critical violations:\n" + "\n".join(problems)


def test_the_accessibility_statement_is_open_to_all_and_linked_from_every_page(tab: Page, site: Site) -> None:
    app = site.app
    answer = tab.goto(app.url("/log-ind"))
    assert answer is not None and answer.status == 200
    tab.get_by_role("contentinfo").get_by_role("link", name="Tilgængelighedserklæring").click()
    tab.wait_for_url(app.url(STATEMENT))  # signed out: the statement itself, not the sign-in page
    expect(tab.get_by_role("heading", level=1)).to_have_text("Tilgængelighedserklæring")
    for heading in (
        "Hvad erklæringen dækker",
        "Overholdelsesstatus",
        "Indhold, der ikke er tilgængeligt",
        "Sådan er webstedet vurderet",
        "Feedback og kontaktoplysninger",
        "Klage",
        "Erklæringens dato",
    ):
        expect(tab.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(tab.locator("#status-text")).to_contain_text("overholder delvist")
    expect(tab.locator("#status-text")).to_contain_text("WCAG 2.1 på niveau AA")
    expect(tab.locator("#contact-email")).to_have_attribute("href", "mailto:rapporter@erhvervshussjaelland.dk")
    expect(tab.locator("#fill-in")).to_contain_text("Udfyldes af Erhvervshus Sjælland")
    expect(tab.locator("#complaints-link")).to_have_text("https://www.was.digst.dk/")
    expect(tab.locator("#dates-text")).to_contain_text("udarbejdet den 1. december 2026")
    expect(tab.get_by_role("link", name="Tilgængelighedserklæring")).to_have_attribute("aria-current", "page")
    sign_in(tab, app, "Lars Erhvervschef")  # signed in: the same statement, with the menu
    tab.goto(app.url(STATEMENT))
    expect(tab.get_by_role("navigation", name="Hovedmenu")).to_be_visible()
    expect(tab.get_by_role("heading", level=1)).to_have_text("Tilgængelighedserklæring")
    # "linked from every page": each page the sweeps above check has the footer link (blocking_violations)


def test_the_keyboard_reaches_the_skip_link_first_and_it_moves_focus_to_the_content(tab: Page, site: Site) -> None:
    sign_in(tab, site.app, "Karen Konsulent")
    tab.goto(site.app.url("/historik"))
    tab.keyboard.press("Tab")
    focused = tab.locator(":focus")
    expect(focused).to_have_text("Spring til indholdet")
    expect(focused).to_be_in_viewport()  # shown when focused, not left off screen
    tab.keyboard.press("Enter")
    expect(tab.locator(":focus")).to_have_id("indhold")
