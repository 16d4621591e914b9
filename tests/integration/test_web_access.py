"""The role table, sessions and CSRF of the web app, through the test client (no browser)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from ehsj_core.accounts import disable_user, set_password
from ehsj_core.events.views import view_data
from ehsj_core.settings import Settings
from ehsj_core.tracker import Tracker
from ehsj_core.users import issue_token
from services.api.app import create_app
from services.api.web import PAGE_MODULES
from tests.conftest import auth
from tests.factories import Actor, course
from tests.webclient import ROLE_PERSON, create_people, sign_in, token_of

ALL = {"consultant", "director", "auditor", "chief"}
BROWSERS = {"consultant", "director", "auditor"}
WRITERS = {"consultant", "director"}
AUDITORS = {"director", "auditor"}
# What each role may open, as the issue states it (the code's table is ehsj_core.users.PERMISSIONS).
PAGES: dict[str, set[str]] = {
    "/": ALL,
    "/?year=2019&as_of=2019-06-30": ALL,
    "/kommuner/Lolland": ALL,
    "/kommuner/lolland": ALL,
    "/kommuner/Sorø": BROWSERS,
    "/kommuner": BROWSERS,
    "/maal/1": BROWSERS,
    "/maal/5A": BROWSERS,
    "/historik": BROWSERS,
    "/historik?type=course.completed&municipality=Lolland&company=Maribo": BROWSERS,
    "/rapporter": BROWSERS,
    "/rapporter/forhaandsvisning?period=2019Q3&municipality=Lolland": BROWSERS,
    "/registrer": WRITERS,
    "/registrer/forloeb": WRITERS,
    "/registrer/milepael": WRITERS,
    "/brugere": {"director"},
    "/mine-sessioner": ALL,
    "/import": WRITERS,
    "/revision": AUDITORS,
    "/revision?year=2019&as_of=1&from=0&to=1": AUDITORS,
    "/revision/resultatopgoerelse.xlsx?year=2019": AUDITORS,
    "/revision/eksport.jsonl?year=2019": AUDITORS,
}


@pytest.fixture
def web(settings: Settings, tracker: Tracker) -> Iterator[TestClient]:
    create_people(tracker.engine)
    with TestClient(create_app(settings, tracker), base_url="https://testserver") as client:
        yield client


@pytest.mark.parametrize("role", sorted(ALL))
def test_each_role_opens_exactly_the_pages_the_role_table_allows(role: str, web: TestClient, tracker: Tracker) -> None:
    tracker.append(course("action_plan", "Lolland", company_name="Maribo Maskinfabrik ApS"), by=Actor("Kim Konsulent"))
    sign_in(web, ROLE_PERSON[role])
    for path, allowed in PAGES.items():
        answer = web.get(path)
        expected = 200 if role in allowed else 403
        assert answer.status_code == expected, f"{role} {path}: {answer.status_code}"
        if expected == 403:
            assert "Ingen adgang" in answer.text


def test_without_a_session_every_page_leads_to_the_sign_in_page(web: TestClient) -> None:
    for path in PAGES:
        answer = web.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/log-ind"), path
    assert (
        web.get("/historik?type=x", follow_redirects=False).headers["location"]
        == "/log-ind?next=%2Fhistorik%3Ftype%3Dx"
    )


def test_writing_is_refused_to_the_roles_that_may_not_even_with_a_valid_csrf_token(
    web: TestClient, tracker: Tracker
) -> None:
    [stored] = tracker.append(course(), by=Actor("Kim Konsulent"))
    for role in ("auditor", "chief"):
        web.cookies.clear()
        sign_in(web, ROLE_PERSON[role])
        token = token_of(web)
        form = {
            "csrf_token": token,
            "occurred_on": "2019-05-02",
            "course_type": "short",
            "municipality": "Lolland",
            "consultant": "X",
        }
        assert web.post("/registrer/forloeb", data=form).status_code == 403
        assert (
            web.post(f"/historik/{stored.event_id}/tilbagekald", data={"csrf_token": token, "reason": "x"}).status_code
            == 403
        )
        assert web.post("/brugere", data={"csrf_token": token, "name": "Ny", "role": "director"}).status_code == 403
    assert tracker.log.head().position == 1


def test_a_consultant_retracts_only_their_own_events_and_the_director_anybodys(
    web: TestClient, tracker: Tracker
) -> None:
    [own] = tracker.append(course(company=1), by=Actor("Karen Konsulent"))
    [other] = tracker.append(course(company=2), by=Actor("Kim Konsulent"))
    sign_in(web, "Karen Konsulent")
    token = token_of(web)
    assert web.get(f"/historik/{other.event_id}/tilbagekald").status_code == 403
    assert (
        web.post(f"/historik/{other.event_id}/tilbagekald", data={"csrf_token": token, "reason": "nej"}).status_code
        == 403
    )
    assert (
        web.post(f"/historik/{own.event_id}/tilbagekald", data={"csrf_token": token, "reason": ""}).status_code == 422
    )
    done = web.post(
        f"/historik/{own.event_id}/tilbagekald", data={"csrf_token": token, "reason": "Dublet"}, follow_redirects=False
    )
    assert done.status_code == 303
    again = web.post(f"/historik/{own.event_id}/tilbagekald", data={"csrf_token": token, "reason": "igen"})
    assert again.status_code == 422 and "allerede tilbagekaldt" in again.text
    web.cookies.clear()
    sign_in(web, "Dorte Direktør")
    token = token_of(web)
    assert (
        web.post(
            f"/historik/{other.event_id}/tilbagekald",
            data={"csrf_token": token, "reason": "Fejl"},
            follow_redirects=False,
        ).status_code
        == 303
    )
    retractions = [e for e in tracker.log.read_all() if e.type == "event.retracted"]
    assert [(e.recorded_by, view_data(e.data)["reason"]) for e in retractions] == [
        ("Karen Konsulent", "Dublet"),
        ("Dorte Direktør", "Fejl"),
    ]


def test_every_form_of_the_web_app_refuses_a_post_without_its_csrf_token(web: TestClient, tracker: Tracker) -> None:
    [stored] = tracker.append(course(), by=Actor("Dorte Direktør"))
    sign_in(web, "Dorte Direktør")
    token_of(web)
    values = {"event_id": stored.event_id, "slug": "forloeb", "account_id": "1", "token_id": "1", "session_id": "1"}
    posts = [
        r for m in PAGE_MODULES for r in m.router.routes if isinstance(r, APIRoute) and "POST" in (r.methods or ())
    ]
    assert len(posts) >= 8
    for route in posts:
        path = route.path.format(**values)
        for token in (None, "forkert"):
            data = {"reason": "x", "name": "Ny Bruger", "role": "auditor", "password": "en-lang-adgangskode"}
            if token:
                data["csrf_token"] = token
            answer = web.post(path, data=data, follow_redirects=False)
            assert answer.status_code == 403, f"{path} without a valid token: {answer.status_code}"
    assert tracker.log.head().position == 1
    assert web.get("/", follow_redirects=False).status_code == 200  # still signed in: nothing happened


def test_signing_out_ends_the_session_and_a_new_password_or_disabling_ends_the_others(
    web: TestClient, tracker: Tracker
) -> None:
    sign_in(web, "Karen Konsulent")
    assert web.post("/log-ud", data={"csrf_token": token_of(web)}, follow_redirects=False).status_code == 303
    assert web.get("/", follow_redirects=False).status_code == 303

    sign_in(web, "Karen Konsulent")
    set_password(tracker.engine, "Karen Konsulent", "en-helt-ny-adgangskode")
    assert web.get("/", follow_redirects=False).headers["location"] == "/log-ind"
    sign_in(web, "Karen Konsulent", "en-helt-ny-adgangskode")
    assert web.get("/").status_code == 200
    disable_user(tracker.engine, "Karen Konsulent")
    assert web.get("/", follow_redirects=False).status_code == 303
    refused = web.post(
        "/log-ind",
        data={"name": "Karen Konsulent", "password": "en-helt-ny-adgangskode", "csrf_token": token_of(web, "/log-ind")},
    )
    assert refused.status_code == 401 and "Forkert brugernavn eller adgangskode" in refused.text


def test_a_wrong_password_is_refused_and_the_next_address_stays_on_this_site(web: TestClient) -> None:
    token = token_of(web, "/log-ind")
    wrong = web.post("/log-ind", data={"name": "Karen Konsulent", "password": "forkert-forkert", "csrf_token": token})
    assert wrong.status_code == 401
    for target, lands in (("/historik", "/historik"), ("//evil.example", "/"), ("https://evil.example/", "/")):
        web.cookies.clear()
        token = token_of(web, "/log-ind")
        answer = web.post(
            "/log-ind",
            data={"name": "Karen Konsulent", "password": "korrekt-hest-batteri", "csrf_token": token, "next": target},
            follow_redirects=False,
        )
        assert answer.headers["location"] == lands


def test_the_session_cookie_is_secure_http_only_and_same_site_lax(web: TestClient) -> None:
    token = token_of(web, "/log-ind")
    answer = web.post(
        "/log-ind",
        data={"name": "Karen Konsulent", "password": "korrekt-hest-batteri", "csrf_token": token},
        follow_redirects=False,
    )
    [cookie] = [c.lower() for c in answer.headers.get_list("set-cookie") if c.startswith("ehsj_session=")]
    assert "httponly" in cookie and "secure" in cookie and "samesite=lax" in cookie


def test_a_session_ends_at_its_lifetime_however_busy(settings: Settings, tracker: Tracker) -> None:
    create_people(tracker.engine)
    short = settings.model_copy(update={"session_max_age_seconds": 60})
    with TestClient(create_app(short, Tracker(short, tracker.engine)), base_url="https://testserver") as web:
        sign_in(web, "Karen Konsulent")
        assert web.get("/", follow_redirects=False).status_code == 200
        web.app.state.tracker.settings = short.model_copy(update={"session_max_age_seconds": 0})  # type: ignore[attr-defined]
        assert web.get("/", follow_redirects=False).status_code == 303


def test_the_api_tokens_keep_working_beside_the_web_sessions(web: TestClient, tracker: Tracker) -> None:
    chief, consultant = issue_token(tracker.engine, "Lars Erhvervschef"), issue_token(tracker.engine, "Karen Konsulent")
    assert web.get("/api/goals", params={"year": 2019}, headers=auth(chief)).status_code == 200
    assert web.post("/api/events", json=course(), headers=auth(consultant)).status_code == 201
    assert web.get("/api/goals").status_code == 401
    assert "set-cookie" not in web.get("/api/healthz").headers
