"""Who may do what in the browser; signing out; retracting with a reason."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS, PHONE, LiveApp, sign_in
from tests.factories import Actor, course

FORMS = (
    "forloeb",
    "henvisning",
    "moede",
    "nyhedsbrev",
    "arrangement",
    "evaluering",
    "aftale",
    "medarbejder",
    "milepael",
)


def status_of(page: Page, app: LiveApp, path: str) -> int:
    response = page.goto(app.url(path))
    assert response is not None
    return response.status


def test_a_chief_sees_the_dashboard_and_their_own_municipality_and_no_access_elsewhere(
    page: Page, live_app: LiveApp
) -> None:
    live_app.tracker.append(course("action_plan", "Lolland", company=2), by=Actor("Kim Konsulent"))
    sign_in(page, live_app, "Lars Erhvervschef")
    expect(page.get_by_role("heading", name="Overblik 2019")).to_be_visible()
    menu = page.get_by_role("navigation", name="Hovedmenu")
    expect(menu.get_by_role("link")).to_have_text(["Overblik", "Lolland Kommune"])

    assert status_of(page, live_app, "/kommuner/Lolland") == 200
    expect(page.locator('dd[data-course="action_plan"]')).to_have_text("1")
    for path in ("/kommuner/Sor%C3%B8", "/kommuner", "/maal/1", "/historik", "/rapporter", "/brugere", "/registrer"):
        assert status_of(page, live_app, path) == 403, path
        expect(page.get_by_role("heading", name="Ingen adgang")).to_be_visible()
    for slug in FORMS:
        assert status_of(page, live_app, f"/registrer/{slug}") == 403, slug
        expect(page.get_by_role("heading", name="Ingen adgang")).to_be_visible()
    page.set_viewport_size(PHONE)
    (ARTIFACTS / "screens").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "screens" / "ingen-adgang-phone-390.png"), full_page=True)
    event_id = next(iter(live_app.tracker.log.read_all())).event_id
    assert status_of(page, live_app, f"/historik/{event_id}/tilbagekald") == 403


def test_signing_out_ends_the_session(page: Page, live_app: LiveApp) -> None:
    sign_in(page, live_app, "Karen Konsulent")
    assert status_of(page, live_app, "/historik") == 200
    page.get_by_role("button", name="Log ud").click()
    page.wait_for_url("**/log-ind?logget_ud=1")
    expect(page.get_by_role("status")).to_have_text("Du er logget ud.")

    page.goto(live_app.url("/historik"))
    page.wait_for_url("**/log-ind?next=%2Fhistorik")
    expect(page.get_by_role("heading", name="Log ind")).to_be_visible()


def test_the_session_cookie_is_http_only_secure_and_same_site(page: Page, live_app: LiveApp) -> None:
    sign_in(page, live_app, "Karen Konsulent")
    [cookie] = [c for c in page.context.cookies() if c["name"] == "ehsj_session"]
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Lax"
    assert page.evaluate("document.cookie") == ""


def test_a_retraction_removes_the_course_from_the_counts_and_is_struck_through_in_the_history(
    page: Page, live_app: LiveApp
) -> None:
    [result] = live_app.tracker.append(course("action_plan", "Lolland", company=4), by=Actor("Karen Konsulent"))
    live_app.tracker.append(course("action_plan", "Sorø", company=6), by=Actor("Kim Konsulent"))
    sign_in(page, live_app, "Karen Konsulent")
    page.goto(live_app.url("/?year=2019"))
    expect(page.locator('tr[data-target="1.action_plans"] td.actual')).to_have_text("2")

    page.goto(live_app.url("/historik"))
    others = page.locator("tr[data-position='2']")
    expect(others.get_by_role("link", name="Tilbagekald")).to_have_count(0)  # Kim's event: not Karen's to retract
    page.locator("tr[data-position='1']").get_by_role("link", name="Tilbagekald").click()
    expect(page.get_by_role("heading", name="Tilbagekald hændelse nr. 1")).to_be_visible()
    page.get_by_label("Begrundelse").fill("Forkert kommune; registreres igen")
    page.get_by_role("button", name="Ja, tilbagekald hændelsen").click()

    expect(page.get_by_role("status")).to_contain_text("Hændelse nr. 1 er tilbagekaldt")
    row = page.locator(f"#e-{result.event_id}")
    expect(row).to_have_class("retracted")
    expect(row).to_contain_text("Tilbagekaldt af Karen Konsulent")
    expect(row).to_contain_text("Begrundelse: Forkert kommune; registreres igen")
    decoration = row.locator(".strike").first.evaluate("e => getComputedStyle(e).textDecorationLine")
    assert decoration == "line-through"

    page.goto(live_app.url("/?year=2019"))
    expect(page.locator('tr[data-target="1.action_plans"] td.actual')).to_have_text("1")
    page.goto(live_app.url("/kommuner/Lolland?year=2019"))
    expect(page.locator('dd[data-course="action_plan"]')).to_have_text("0")
