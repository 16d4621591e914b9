"""The forms for the seed's readings: the newsletter's channel (goal 5B counts the local business
councils' only), an event's participants stored as short courses in one batch with it, and
Erhvervsstyrelsen's figures, which only the director records."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ehsj_core.events.participants import participant_event_id
from ehsj_core.events.records import RecordedEvent
from ehsj_core.events.views import view_data
from ehsj_core.settings import Settings
from ehsj_core.tracker import Tracker
from services.api.app import create_app
from services.api.web.forms import decimal_of
from tests.factories import bad_cvr, cvr
from tests.webclient import create_people, sign_in, token_of

Browser = Callable[[str], TestClient]


@pytest.fixture
def browser(settings: Settings, tracker: Tracker) -> Iterator[Browser]:
    """A signed-in client per person, on one app."""
    create_people(tracker.engine)
    app = create_app(settings, tracker)
    with ExitStack() as stack:

        def signed_in(name: str) -> TestClient:
            client = stack.enter_context(TestClient(app, base_url="https://testserver"))
            sign_in(client, name)
            return client

        yield signed_in


@pytest.fixture
def web(browser: Browser) -> TestClient:
    return browser("Karen Konsulent")


def post(web: TestClient, slug: str, **fields: Any) -> tuple[int, str]:
    data = {"csrf_token": token_of(web, f"/registrer/{slug}"), "event_id": str(uuid.uuid4()), **fields}
    answer = web.post(f"/registrer/{slug}", data=data)
    return answer.status_code, answer.text


def error_at(html: str, field: str) -> str:
    found = re.search(rf'<p class="error" id="{re.escape(field)}-?error">(.*?)</p>', html, re.S)
    assert found, f"no error at {field}"
    return found.group(1)


def of_type(tracker: Tracker, event_type: str) -> list[RecordedEvent]:
    return [e for e in tracker.log.read_all() if e.type == event_type]


def data_of(event: RecordedEvent) -> dict[str, Any]:
    """The event's data as given (the view's empty defaults, such as no topics, left out)."""
    return {k: v for k, v in view_data(event.data).items() if v != []}


# --- the newsletter's channel ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "word"),
    [
        ("local_business_council", "Lokalt erhvervsråd"),
        ("house", "Erhvervshusets eget nyhedsbrev"),
        ("other", "Anden kanal"),
    ],
)
def test_a_newsletter_is_stored_with_the_kind_of_its_channel(
    web: TestClient, tracker: Tracker, kind: str, word: str
) -> None:
    form = web.get("/registrer/nyhedsbrev").text
    assert f'<option value="{kind}">{word}</option>' in form
    assert "Kun nyhedsbreve gennem et lokalt erhvervsråd tæller med i mål 5B." in form
    status, html = post(
        web, "nyhedsbrev", occurred_on="2019-05-02", channel="Nyhedsbrevet", channel_kind=kind, recipients="300"
    )
    assert status == 200 and "Gemt som hændelse" in html
    assert f"Nyhedsbrevet · {word} · 300 modtagere" in html  # the confirmation, in words
    [event] = tracker.log.read_all()
    assert view_data(event.data) == {"channel": "Nyhedsbrevet", "channel_kind": kind, "recipients": 300}
    assert f"Nyhedsbrevet · {word}" in web.get("/historik").text


def test_a_newsletter_without_the_kind_of_its_channel_is_refused_at_that_field(
    web: TestClient, tracker: Tracker
) -> None:
    status, html = post(web, "nyhedsbrev", occurred_on="2019-05-02", channel="Nyhedsbrevet")
    assert status == 422 and "feltet mangler" in error_at(html, "channel_kind")
    assert tracker.log.head().position == 0


# --- an event's participants -------------------------------------------------------------------------
EVENT = {
    "occurred_on": "2019-05-14",
    "event_kind": "event",
    "title": "Morgenmøde om eksport",
    "municipality": "Sorø",
    "participants": "40",
}
THREE = {  # rows 1, 2 and 4 filled in; row 3 (and 5) left empty
    "participant_rows": "5",
    "participant_1_company_cvr": cvr(3),
    "participant_1_company_name": "Maribo Maskinfabrik ApS",
    "participant_2_company_name": "Næstved Bryg",
    "participant_2_municipality": "Næstved",
    "participant_4_municipality": "Faxe",
}


def test_the_event_form_offers_rows_of_participants_in_fieldsets(web: TestClient) -> None:
    html = web.get("/registrer/arrangement").text
    assert html.count('<fieldset class="participant"') == 5
    assert "<legend>Deltager 1</legend>" in html and "<legend>Deltager 5</legend>" in html
    assert '<label for="f-participant_3_company_cvr">CVR-nummer</label>' in html
    assert '<option value="">Som arrangementet</option>' in html
    consultant = re.search(r'<input type="text" id="f-participant_consultant"[^>]*>', html)
    assert consultant and 'value="Karen Konsulent"' in consultant.group(0)  # the signed-in user
    assert 'name="action" value="more_rows"' in html


def test_an_event_with_three_participants_stores_the_event_and_three_short_courses_once(
    web: TestClient, tracker: Tracker
) -> None:
    event_id = str(uuid.uuid4())
    fields = {**EVENT, **THREE, "participant_consultant": "Kim Konsulent", "event_id": event_id}
    status, html = post(web, "arrangement", **fields)
    assert status == 200 and 'Gemt som hændelse nr. <strong class="position">1</strong>' in html
    assert "3 deltagere gemt som korte forløb (hændelse nr. 2–4)" in html

    [held] = of_type(tracker, "event.held")
    courses = of_type(tracker, "course.completed")
    assert held.event_id == event_id and held.position == 1
    assert [c.event_id for c in courses] == [participant_event_id(event_id, i) for i in range(3)]
    assert {c.occurred_on.isoformat() for c in courses} == {"2019-05-14"}
    assert {c.recorded_by for c in [held, *courses]} == {"Karen Konsulent"}
    assert [data_of(c) for c in courses] == [
        {
            "course_type": "short",
            "company_cvr": cvr(3),
            "company_name": "Maribo Maskinfabrik ApS",
            "municipality": "Sorø",
            "consultant": "Kim Konsulent",
            "event_ref": event_id,
        },
        {
            "course_type": "short",
            "company_name": "Næstved Bryg",
            "municipality": "Næstved",
            "consultant": "Kim Konsulent",
            "event_ref": event_id,
        },
        {"course_type": "short", "municipality": "Faxe", "consultant": "Kim Konsulent", "event_ref": event_id},
    ]

    again_status, again = post(web, "arrangement", **fields)  # the same form sent again (a retry)
    assert again_status == 200 and 'hændelse nr. <strong class="position">1</strong>' in again
    assert tracker.log.head().position == 4
    assert "deltog i et arrangement" in web.get("/historik").text


def test_the_participants_consultant_is_the_signed_in_user_when_left_empty(web: TestClient, tracker: Tracker) -> None:
    status, _html = post(web, "arrangement", **EVENT, **THREE, participant_consultant="")
    assert status == 200
    assert {view_data(c.data)["consultant"] for c in of_type(tracker, "course.completed")} == {"Karen Konsulent"}


def test_an_event_without_participants_is_stored_alone(web: TestClient, tracker: Tracker) -> None:
    status, html = post(web, "arrangement", **EVENT, participant_rows="5", participant_consultant="Karen Konsulent")
    assert status == 200 and "Gemt som hændelse" in html and "gemt som korte forløb" not in html
    assert [e.type for e in tracker.log.read_all()] == ["event.held"]


def test_a_bad_participant_row_stores_nothing_and_shows_the_problem_at_that_row(
    web: TestClient, tracker: Tracker
) -> None:
    rows = {**THREE, "participant_4_company_cvr": bad_cvr(), "participant_4_municipality": "Faxe"}
    status, html = post(web, "arrangement", **EVENT, **rows)
    assert status == 422 and "Intet er gemt" in html
    assert "ugyldigt CVR-nummer" in error_at(html, "participant_4_company_cvr")
    assert '<a href="#f-participant_4_company_cvr">Deltager 4, CVR-nummer: ugyldigt CVR-nummer' in html
    for other in ("participant_1_company_cvr", "participant_2_company_name", "company_cvr"):
        assert f'id="{other}-error"' not in html
    assert f'value="{bad_cvr()}"' in html and 'value="Næstved Bryg"' in html  # the rows are kept
    assert tracker.log.head().position == 0


def test_a_problem_of_the_event_is_shown_at_its_field_and_stores_no_participant(
    web: TestClient, tracker: Tracker
) -> None:
    status, html = post(web, "arrangement", **{**EVENT, "participants": "mange"}, **THREE)
    assert status == 422 and "skal være et heltal" in error_at(html, "participants")
    assert tracker.log.head().position == 0


def test_a_date_in_the_future_is_shown_once_at_the_events_date(web: TestClient, tracker: Tracker) -> None:
    status, html = post(web, "arrangement", **{**EVENT, "occurred_on": "2999-01-01"}, **THREE)
    assert status == 422 and error_at(html, "occurred_on").count("må ikke ligge efter i dag") == 1
    assert tracker.log.head().position == 0


def test_more_rows_without_javascript_shows_the_form_again_with_five_more_and_stores_nothing(
    web: TestClient, tracker: Tracker
) -> None:
    event_id = str(uuid.uuid4())
    status, html = post(web, "arrangement", **EVENT, **THREE, event_id=event_id, action="more_rows")
    assert status == 200 and "Intet er gemt" not in html and "Gemt som hændelse" not in html
    assert html.count('<fieldset class="participant"') == 10
    assert 'name="participant_rows" id="participant-rows-count" value="10"' in html
    assert f'name="event_id" value="{event_id}"' in html and 'value="Næstved Bryg"' in html
    assert tracker.log.head().position == 0

    more = {**THREE, "participant_rows": "10", "participant_9_company_name": "Faxe Kalkbrud A/S"}
    status, html = post(web, "arrangement", **EVENT, **more, event_id=event_id)
    assert status == 200 and "4 deltagere gemt som korte forløb" in html
    assert tracker.log.head().position == 5


# --- Erhvervsstyrelsen's figures ---------------------------------------------------------------------
OFFICIAL = {
    "occurred_on": "2020-03-02",
    "target": "3.nps",
    "year": "2019",
    "value": "62,5",
    "source": "Erhvervsstyrelsens brugerevaluering",
    "published_on": "2020-02-28",
}
EFFECT = {
    "occurred_on": "2020-06-02",
    "measure": "jobs",
    "year": "2019",
    "customers_growth_pct": "12,5",
    "control_growth_pct": "-1,25",
    "companies": "120",
    "control_companies": "2400",
    "source": "Erhvervsstyrelsen, Danmarks Statistik",
    "published_on": "2020-05-29",
}


def test_the_director_records_an_official_figure_with_a_decimal_comma(browser: Browser, tracker: Tracker) -> None:
    director = browser("Dorte Direktør")
    form = director.get("/registrer/officielt-tal")
    assert form.status_code == 200
    assert '<option value="3.nps">Mål 3: ' in form.text and '<option value="5B.newsletters">' in form.text
    year = re.search(r'<input type="text" inputmode="numeric" id="f-year"[^>]*>', form.text)
    assert year and 'value="2019"' in year.group(0)  # the contract year in force
    status, html = post(director, "officielt-tal", **OFFICIAL, note="Foreløbigt tal")
    assert status == 200 and "Gemt som hændelse" in html, html[:3000]
    [event] = tracker.log.read_all()
    assert event.type == "official_figure.reported" and event.recorded_by == "Dorte Direktør"
    assert view_data(event.data) == {
        "target": "3.nps",
        "year": 2019,
        "value": 62.5,
        "source": "Erhvervsstyrelsens brugerevaluering",
        "published_on": "2020-02-28",
        "note": "Foreløbigt tal",
    }
    assert "for 2019: NPS 62,5 · kilde: Erhvervsstyrelsens brugerevaluering, offentliggjort 28. februar 2020" in html
    assert "Erhvervsstyrelsens tal" in director.get("/registrer").text


def test_the_director_records_an_effect_measurement(browser: Browser, tracker: Tracker) -> None:
    director = browser("Dorte Direktør")
    status, html = post(director, "effektmaaling", **EFFECT)
    assert status == 200 and "Gemt som hændelse" in html, html[:3000]
    [event] = tracker.log.read_all()
    assert view_data(event.data) == {
        "measure": "jobs",
        "year": 2019,
        "customers_growth_pct": 12.5,
        "control_growth_pct": -1.25,
        "companies": 120,
        "control_companies": 2400,
        "source": "Erhvervsstyrelsen, Danmarks Statistik",
        "published_on": "2020-05-29",
    }
    history = director.get("/historik").text
    assert "Effektmåling af vækstvirksomheder" in history
    assert "kundernes vækst 12,5 % mod kontrolgruppens -1,25 %" in history


@pytest.mark.parametrize(
    ("fields", "field", "problem"),
    [
        ({"target": "4.effect", "value": "112,5"}, "value", "mellem 0 og 100"),
        ({"target": "9.nothing"}, "target", "ukendt mål"),
        ({"year": "2031"}, "year", "der er ingen kontrakt for 2031"),
        ({"published_on": "28-02-2020"}, "published_on", "skal være en dato"),
    ],
)
def test_a_bad_official_figure_is_refused_at_its_field(
    browser: Browser, tracker: Tracker, fields: dict[str, str], field: str, problem: str
) -> None:
    director = browser("Dorte Direktør")
    status, html = post(director, "officielt-tal", **{**OFFICIAL, **fields})
    assert status == 422 and problem in error_at(html, field)
    assert 'value="62,5"' in html or 'value="112,5"' in html  # the value as typed
    assert tracker.log.head().position == 0


@pytest.mark.parametrize(
    ("typed", "number"),
    [("12,5", 12.5), ("-1,25", -1.25), ("\u22123,5", -3.5), ("1.234,5", 1234.5), ("12.5", 12.5), ("62,5 %", 62.5)],
)
def test_decimals_are_read_the_danish_way_and_the_other(typed: str, number: float) -> None:
    assert decimal_of(typed) == number


@pytest.mark.parametrize("typed", ["tolv", "1,234.5", "1e3", "nan", "12,5,1", ""])
def test_anything_else_is_left_as_typed_for_the_core_to_refuse(typed: str) -> None:
    assert decimal_of(typed) is None


@pytest.mark.parametrize(("slug", "fields"), [("officielt-tal", OFFICIAL), ("effektmaaling", EFFECT)])
def test_a_consultant_may_not_open_or_post_erhvervsstyrelsens_figures(
    web: TestClient, tracker: Tracker, slug: str, fields: dict[str, str]
) -> None:
    page = web.get(f"/registrer/{slug}")
    assert page.status_code == 403 and "Ingen adgang" in page.text
    answer = web.post(f"/registrer/{slug}", data={"csrf_token": token_of(web), "event_id": str(uuid.uuid4()), **fields})
    assert answer.status_code == 403 and "Ingen adgang" in answer.text
    assert f'href="/registrer/{slug}"' not in web.get("/registrer").text
    assert f'href="/registrer/{slug}"' not in web.get("/registrer/forloeb").text
    assert tracker.log.head().position == 0
