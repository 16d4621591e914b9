"""Logging a milestone in the browser: counts go up, bad input stays out, known companies fill in."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from ehsj_core.events.views import view_data
from tests.e2e.conftest import ARTIFACTS, PHONE, LiveApp, sign_in
from tests.factories import Actor, bad_cvr, course, cvr


def dashboard_count(page: Page, app: LiveApp, target: str) -> str:
    page.goto(app.url("/?year=2019"))
    return page.locator(f'tr[data-target="{target}"] td.actual').inner_text().strip()


def lolland_count(page: Page, app: LiveApp, course_type: str) -> str:
    page.goto(app.url("/kommuner/Lolland?year=2019"))
    return page.locator(f'dd[data-course="{course_type}"]').inner_text().strip()


def fill_course(page: Page, company_cvr: str, municipality: str = "Lolland") -> None:
    page.get_by_label("Dato").fill("2019-05-02")
    page.get_by_label("Forløbstype").select_option(label="Handlingsplan")
    page.get_by_label("CVR-nummer").fill(company_cvr)
    page.get_by_label("Virksomhedens navn").fill("Maribo Maskinfabrik ApS")
    page.get_by_label("Kommune").select_option(municipality)


def test_a_consultant_logs_a_course_in_lolland_and_the_dashboard_and_lolland_page_go_up_by_one(
    page: Page, live_app: LiveApp
) -> None:
    sign_in(page, live_app, "Karen Konsulent")
    assert dashboard_count(page, live_app, "1.action_plans") == "0"
    assert lolland_count(page, live_app, "action_plan") == "0"

    page.goto(live_app.url("/registrer/forloeb"))
    expect(page.get_by_label("Konsulent")).to_have_value("Karen Konsulent")
    fill_course(page, cvr(3))
    page.get_by_role("button", name="Gem").click()

    confirmation = page.locator("#confirmation")
    expect(confirmation).to_contain_text("Gemt som hændelse nr. 1")
    expect(confirmation).to_contain_text("Handlingsplan")
    expect(confirmation).to_contain_text("Lolland")
    assert dashboard_count(page, live_app, "1.action_plans") == "1"
    assert lolland_count(page, live_app, "action_plan") == "1"
    [stored] = live_app.tracker.log.read_all()
    assert stored.recorded_by == "Karen Konsulent" and view_data(stored.data)["municipality"] == "Lolland"


def test_a_wrong_cvr_shows_the_error_at_its_field_keeps_the_values_and_stores_nothing(
    page: Page, live_app: LiveApp
) -> None:
    sign_in(page, live_app, "Karen Konsulent")
    page.goto(live_app.url("/registrer/forloeb"))
    wrong = bad_cvr()
    fill_course(page, wrong)
    page.get_by_role("button", name="Gem").click()

    error = page.locator("#company_cvr-error")
    expect(error).to_contain_text("ugyldigt CVR-nummer")
    field = page.get_by_label("CVR-nummer")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()
    expect(field).to_have_value(wrong)
    expect(page.get_by_label("Kommune")).to_have_value("Lolland")
    expect(page.get_by_label("Virksomhedens navn")).to_have_value("Maribo Maskinfabrik ApS")
    expect(page.locator("#error-summary")).to_contain_text("Intet er gemt")
    assert live_app.tracker.log.head().position == 0
    page.set_viewport_size(PHONE)
    (ARTIFACTS / "screens").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "screens" / "registrer-fejl-phone-390.png"), full_page=True)


def test_a_known_company_fills_in_its_municipality_from_its_cvr(page: Page, live_app: LiveApp) -> None:
    known = course("growth_plan", "Guldborgsund", company=5, company_name="Nykøbing Bryghus A/S")
    live_app.tracker.append(known, by=Actor("Kim Konsulent"))
    sign_in(page, live_app, "Karen Konsulent")
    page.goto(live_app.url("/registrer/forloeb"))
    expect(page.get_by_label("Kommune")).to_have_value("")
    page.get_by_label("CVR-nummer").fill(cvr(5))
    expect(page.get_by_label("Kommune")).to_have_value("Guldborgsund")
    expect(page.get_by_label("Virksomhedens navn")).to_have_value("Nykøbing Bryghus A/S")
    expect(page.locator("#cvr-note")).to_contain_text("Virksomheden er kendt")


def test_a_form_posted_without_its_csrf_token_is_refused_and_stores_nothing(page: Page, live_app: LiveApp) -> None:
    sign_in(page, live_app, "Karen Konsulent")
    page.goto(live_app.url("/registrer/forloeb"))
    fill_course(page, cvr(3))
    page.evaluate("document.querySelector('form.event-form input[name=csrf_token]').remove()")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Gem").click()
    assert answer.value.status == 403
    expect(page.get_by_role("heading", name="Ingen adgang")).to_be_visible()
    expect(page.locator("main")).to_contain_text("sikkerhedsnøgle")
    assert live_app.tracker.log.head().position == 0
