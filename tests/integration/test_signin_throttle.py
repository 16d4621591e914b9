"""Throttled sign-in: locks per account name and per client address, 429 alike for every name, unlock."""

from __future__ import annotations

from datetime import timedelta

import httpx
import sqlalchemy as sa
from fastapi.testclient import TestClient

from ehsj_core.settings import Settings
from ehsj_core.throttle import failures_table
from ehsj_core.tracker import Tracker
from services.api.app import create_app
from tests.webclient import PASSWORD, create_people, sign_in, token_of

WRONG = "forkert-forkert"


def attempt(web: TestClient, name: str, password: str) -> httpx.Response:
    data = {"name": name, "password": password, "csrf_token": token_of(web, "/log-ind")}
    answer: httpx.Response = web.post("/log-ind", data=data, follow_redirects=False)
    return answer


def expire_failures(tracker: Tracker, seconds: int) -> None:
    """Move every stored failure back in time (instead of waiting for the lock to end)."""
    with tracker.engine.begin() as conn:
        for row in conn.execute(sa.select(failures_table)).all():
            conn.execute(
                failures_table.update()
                .where(failures_table.c.id == row.id)
                .values(failed_at=row.failed_at - timedelta(seconds=seconds))
            )


def failure_count(tracker: Tracker) -> int:
    with tracker.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(failures_table)).scalar_one())


def test_the_sixth_wrong_password_answers_429_and_the_right_one_waits_for_the_lock(
    web: TestClient, tracker: Tracker
) -> None:
    for _ in range(5):
        assert attempt(web, "Karen Konsulent", WRONG).status_code == 401
    sixth = attempt(web, "Karen Konsulent", WRONG)
    assert sixth.status_code == 429
    assert "For mange forsøg — prøv igen om 15 minutter." in sixth.text
    assert 890 <= int(sixth.headers["retry-after"]) <= 900
    right = attempt(web, "Karen Konsulent", PASSWORD)
    assert right.status_code == 429 and "For mange forsøg" in right.text
    assert not any(c.startswith("ehsj_session=") for c in right.headers.get_list("set-cookie"))
    assert web.get("/", follow_redirects=False).status_code == 303  # not signed in
    assert failure_count(tracker) == 5  # refusals while locked are not counted

    expire_failures(tracker, 600)
    still = attempt(web, "Karen Konsulent", PASSWORD)
    assert still.status_code == 429 and "prøv igen om 5 minutter" in still.text
    expire_failures(tracker, 301)
    assert attempt(web, "Karen Konsulent", PASSWORD).status_code == 303
    assert failure_count(tracker) == 0  # a successful sign-in clears the name's failures


def test_an_unknown_name_locks_the_same_way_in_the_same_words(web: TestClient) -> None:
    answers = []
    for name in ("Karen Konsulent", "Ingen Sådan Bruger"):
        for _ in range(5):
            assert attempt(web, name, WRONG).status_code == 401
        answers.append(attempt(web, name, WRONG))
    for answer in answers:
        assert answer.status_code == 429 and 890 <= int(answer.headers["retry-after"]) <= 900
    assert [error_of(a.text) for a in answers] == ["For mange forsøg — prøv igen om 15 minutter."] * 2


def error_of(html: str) -> str:
    return html.split('id="signin-error">')[1].split("</p>")[0]


def test_the_name_is_case_folded_and_spaces_do_not_give_new_tries(web: TestClient) -> None:
    for name in ("Karen Konsulent", "KAREN KONSULENT", " karen konsulent ", "karen KONSULENT", "Karen konsulent"):
        assert attempt(web, name, WRONG).status_code == 401
    assert attempt(web, "Karen Konsulent", PASSWORD).status_code == 429
    assert attempt(web, "Kim Konsulent", PASSWORD).status_code == 303  # another name is not locked


def test_one_address_trying_many_names_is_locked_at_the_higher_threshold(settings: Settings, tracker: Tracker) -> None:
    create_people(tracker.engine)
    strict = settings.model_copy(update={"signin_max_failures_per_address": 3})
    with TestClient(create_app(strict, Tracker(strict, tracker.engine)), base_url="https://testserver") as web:
        for name in ("a", "b", "c"):
            assert attempt(web, name, WRONG).status_code == 401
        locked = attempt(web, "Karen Konsulent", PASSWORD)  # a name with no failures, the right password
        assert locked.status_code == 429 and "For mange forsøg" in locked.text
        expire_failures(tracker, 901)
        assert attempt(web, "Karen Konsulent", PASSWORD).status_code == 303


def test_the_director_sees_locked_names_and_addresses_and_unlocks_them(
    web: TestClient, settings: Settings, tracker: Tracker
) -> None:
    for _ in range(5):
        attempt(web, "Karen Konsulent", WRONG)
        attempt(web, "ukendt", WRONG)
    assert attempt(web, "Karen Konsulent", PASSWORD).status_code == 429
    expire_failures(tracker, 1)  # still locked
    with TestClient(create_app(settings, tracker), base_url="https://testserver") as director:
        sign_in(director, "Dorte Direktør")  # the same address: 10 failures are below its threshold (20)
        page = director.get("/brugere").text
        assert '<tr data-lock="account:karen konsulent">' in page and '<tr data-lock="account:ukendt">' in page
        assert "aktiv · <strong>låst</strong>" in page
        unlocked = director.post(
            "/brugere/laas-op", data={"csrf_token": token_of(director), "kind": "account", "key": "karen konsulent"}
        )
        assert "karen konsulent kan logge ind igen" in unlocked.text
        assert (
            'data-lock="account:karen konsulent"' not in unlocked.text and 'data-lock="account:ukendt"' in unlocked.text
        )
    assert attempt(web, "Karen Konsulent", PASSWORD).status_code == 303


def test_an_address_lock_is_listed_and_the_director_lifts_it(settings: Settings, tracker: Tracker) -> None:
    create_people(tracker.engine)
    strict = settings.model_copy(update={"signin_max_failures_per_address": 2})
    app = create_app(strict, Tracker(strict, tracker.engine))
    with (
        TestClient(app, base_url="https://testserver") as director,
        TestClient(app, base_url="https://testserver") as web,
    ):
        sign_in(director, "Dorte Direktør")  # before the address is locked
        attempt(web, "a", WRONG)
        attempt(web, "b", WRONG)
        assert attempt(web, "Karen Konsulent", PASSWORD).status_code == 429
        page = director.get("/brugere").text
        assert '<tr data-lock="address:testclient">' in page and "(IP-adresse)" in page
        lifted = director.post(
            "/brugere/laas-op", data={"csrf_token": token_of(director), "kind": "address", "key": "testclient"}
        )
        assert "Adressen testclient kan logge ind igen" in lifted.text
        assert attempt(web, "Karen Konsulent", PASSWORD).status_code == 303
