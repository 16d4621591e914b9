"""The reading pages and the user administration, through the test client."""

from __future__ import annotations

from fastapi.testclient import TestClient

from ehsj_core.accounts import list_accounts
from ehsj_core.notify.dispatch import prepare
from ehsj_core.notify.recipients import add_demo_recipients
from ehsj_core.tracker import Tracker
from tests.factories import Actor, course, cvr, retraction
from tests.webclient import sign_in, token_of


def test_the_history_filters_by_company_name_across_the_events_that_carry_only_its_cvr(
    web: TestClient, tracker: Tracker
) -> None:
    tracker.append(
        course("growth_plan", "Odsherred", company=11, company_name="Æblegården ApS"), by=Actor("Karen Konsulent")
    )
    evaluation = {
        "type": "evaluation.received",
        "occurred_on": "2019-03-20",
        "data": {
            "course_type": "growth_plan",
            "company_cvr": cvr(11),
            "nps": 10,
            "satisfaction": 5,
            "consultant_competence": 5,
            "effect": ["hoj"] * 7,
        },
    }
    tracker.append(evaluation, by=Actor("Kim Konsulent"))
    tracker.append(course("short", "Sorø", company=13, company_name="Sorø Bogtryk"), by=Actor("Kim Konsulent"))
    sign_in(web, "Anders Revisor")

    def positions(query: str) -> list[str]:
        html = web.get(f"/historik?{query}").text
        return [part.split('"')[0] for part in html.split('data-position="')[1:]]

    assert positions("company=%C3%A6ble") == ["2", "1"]  # "æble" finds "Æblegården" and its evaluation
    assert positions(f"company={cvr(13)}") == ["3"]
    assert positions("consultant=kim") == ["3", "2"]
    assert positions("type=course.completed&municipality=sor%C3%B8") == ["3"]
    assert positions("occurred_from=2019-03-10&occurred_to=2019-03-31") == ["2"]
    bad = web.get("/historik?municipality=Atlantis&occurred_from=i+går")
    assert "ukendt kommune" in bad.text and "skal være en dato" in bad.text


def test_the_history_pages_through_the_log_newest_first(web: TestClient, tracker: Tracker) -> None:
    tracker.append(
        {"events": [course("short", company=0, occurred_on="2019-02-01") for _ in range(60)]}, by=Actor("Kim Konsulent")
    )
    sign_in(web, "Dorte Direktør")
    first = web.get("/historik").text
    assert 'data-position="60"' in first and 'data-position="11"' in first and 'data-position="10"' not in first
    assert "before=11" in first and "Nyere" not in first
    older = web.get("/historik?before=11").text
    assert (
        'data-position="10"' in older and 'data-position="1"' in older and "after=10" in older and "Ældre" not in older
    )
    newer = web.get("/historik?after=10").text
    assert 'data-position="60"' in newer and 'data-position="11"' in newer


def test_the_goal_page_lists_the_events_that_count_and_not_the_retracted_ones(
    web: TestClient, tracker: Tracker
) -> None:
    [kept] = tracker.append(
        course("action_plan", "Lolland", company=1, company_name="Tæller Med ApS"), by=Actor("Kim Konsulent")
    )
    [gone] = tracker.append(
        course("action_plan", "Lolland", company=2, company_name="Tilbagekaldt ApS"), by=Actor("Kim Konsulent")
    )
    tracker.append(retraction(gone.event_id), by=Actor("Kim Konsulent"))
    sign_in(web, "Karen Konsulent")
    html = web.get("/maal/1?year=2019").text
    assert "Tæller Med ApS" in html and "Tilbagekaldt ApS" not in html
    assert "<svg" in html and "månedsudvikling" in html
    assert web.get("/maal/99").status_code == 404
    assert kept.position == 1


def test_the_dashboard_as_of_an_earlier_date_shows_what_was_known_then(web: TestClient, tracker: Tracker) -> None:
    tracker.append(course("action_plan", "Lolland"), by=Actor("Kim Konsulent"))  # recorded today
    sign_in(web, "Lars Erhvervschef")

    def actual(query: str) -> str:
        html = web.get(f"/{query}").text
        row = html.split('data-target="1.action_plans"')[1]
        return str(row.split('class="num actual">')[1].split("<")[0])

    assert actual("?year=2019") == "1"
    assert actual("?year=2019&as_of=2020-01-01") == "0"
    assert "1. januar 2020" in web.get("/?year=2019&as_of=2020-01-01").text
    assert "skal være en dato" in web.get("/?as_of=igår").text
    assert "ingen kontrakt for det år" in web.get("/?year=1999").text


def test_the_reports_page_shows_the_ledger_with_addresses_for_the_director_only(
    web: TestClient, tracker: Tracker
) -> None:
    add_demo_recipients(tracker.engine, tracker.contract(2019).contract)
    prepare(tracker, "quarterly_status", "2019Q1")
    sign_in(web, "Anders Revisor")
    html = web.get("/rapporter").text
    assert html.count("Kvartalsstatus") >= 17 and "Erhvervschef, Lolland" in html and "@example.org" not in html
    assert web.get("/rapporter/forhaandsvisning?period=2019Q9&municipality=Lolland").status_code == 422
    preview = web.get("/rapporter/forhaandsvisning?period=2019Q1&municipality=Lolland")
    assert preview.status_code == 200 and "sandbox" in preview.headers["content-security-policy"]
    web.cookies.clear()
    sign_in(web, "Dorte Direktør")
    assert "erhvervschef.lolland@example.org" in web.get("/rapporter").text


def test_the_director_creates_disables_enables_and_resets_users_in_the_app(web: TestClient, tracker: Tracker) -> None:
    sign_in(web, "Dorte Direktør")
    token = token_of(web, "/brugere")
    refused = web.post(
        "/brugere",
        data={
            "csrf_token": token,
            "name": "Sofie",
            "role": "chief",
            "municipality": "Atlantis",
            "password": "en-lang-kode-1",
        },
    )
    assert refused.status_code == 422 and "ukendt kommune" in refused.text
    short = web.post(
        "/brugere",
        data={"csrf_token": token, "name": "Sofie", "role": "chief", "municipality": "Sorø", "password": "kort"},
    )
    assert short.status_code == 422 and "mindst 10 tegn" in short.text and 'value="Sofie"' in short.text
    created = web.post(
        "/brugere",
        data={
            "csrf_token": token,
            "name": "Sofie",
            "role": "chief",
            "municipality": "sorø",
            "password": "en-lang-kode-1",
        },
    )
    assert created.status_code == 200 and "API-nøgle" in created.text and "ehsj_" in created.text

    chief = TestClient(web.app, base_url="https://testserver")
    sign_in(chief, "Sofie", "en-lang-kode-1")
    assert chief.get("/kommuner/Sor%C3%B8").status_code == 200 and chief.get("/kommuner/Lolland").status_code == 403

    ids = {a.name: a.id for a in list_accounts(tracker.engine)}
    assert (
        web.post(f"/brugere/{ids['Sofie']}/deaktiver", data={"csrf_token": token}, follow_redirects=False).status_code
        == 303
    )
    assert chief.get("/", follow_redirects=False).status_code == 303  # disabled: the session is over
    assert (
        web.post(f"/brugere/{ids['Sofie']}/aktiver", data={"csrf_token": token}, follow_redirects=False).status_code
        == 303
    )
    assert (
        web.post(
            f"/brugere/{ids['Sofie']}/adgangskode",
            data={"csrf_token": token, "password": "endnu-en-lang-kode"},
            follow_redirects=False,
        ).status_code
        == 303
    )
    sign_in(chief, "Sofie", "endnu-en-lang-kode")
    assert chief.get("/").status_code == 200
    own = web.post(f"/brugere/{ids['Dorte Direktør']}/deaktiver", data={"csrf_token": token})
    assert "Du kan ikke deaktivere dig selv" in own.text


def test_an_unknown_address_gets_a_danish_page_and_the_api_keeps_its_json(web: TestClient) -> None:
    sign_in(web, "Karen Konsulent")
    page = web.get("/findes-ikke")
    assert page.status_code == 404 and "Ikke fundet" in page.text and "Siden findes ikke" in page.text
    assert web.get("/kommuner/Atlantis").status_code == 404
    assert web.get("/api/findes-ikke").json() == {
        "type": "about:blank",
        "title": "Ikke fundet",
        "status": 404,
        "detail": "Adressen findes ikke",
        "errors": [],
    }
