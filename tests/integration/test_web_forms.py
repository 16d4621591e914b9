"""Logging through the web forms: the same validation as the API, errors at their fields, no doubles."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from ehsj_core.events.views import view_data
from ehsj_core.settings import Settings
from ehsj_core.tracker import Tracker
from services.api.app import create_app
from tests.factories import Actor, bad_cvr, course, cvr, retraction
from tests.webclient import create_people, sign_in, token_of


@pytest.fixture
def web(settings: Settings, tracker: Tracker) -> Iterator[TestClient]:
    create_people(tracker.engine)
    with TestClient(create_app(settings, tracker), base_url="https://testserver") as client:
        sign_in(client, "Karen Konsulent")
        yield client


def post(web: TestClient, slug: str, **fields: object) -> tuple[int, str]:
    data = {
        "csrf_token": token_of(web, f"/registrer/{slug}"),
        "event_id": fields.pop("event_id", str(uuid.uuid4())),
        **fields,
    }
    answer = web.post(f"/registrer/{slug}", data=data)
    return answer.status_code, answer.text


def error_at(html: str, field: str) -> str:
    found = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', html, re.S)
    assert found, f"no error at {field}"
    return found.group(1)


def test_a_course_logged_in_the_form_is_stored_as_the_api_would_store_it(web: TestClient, tracker: Tracker) -> None:
    status, html = post(
        web,
        "forloeb",
        occurred_on="2019-05-02",
        course_type="growth_plan",
        company_cvr=cvr(3),
        company_name="Maribo Maskinfabrik ApS",
        municipality="lolland",
        consultant="Karen Konsulent",
        topics=["export", "digital_business_model"],
        segment="sme",
    )
    assert status == 200 and 'Gemt som hændelse nr. <strong class="position">1</strong>' in html
    [event] = tracker.log.read_all()
    assert event.recorded_by == "Karen Konsulent"
    assert view_data(event.data) == {
        "course_type": "growth_plan",
        "company_cvr": cvr(3),
        "company_name": "Maribo Maskinfabrik ApS",
        "municipality": "Lolland",
        "consultant": "Karen Konsulent",
        "topics": ["export", "digital_business_model"],
        "segment": "sme",
    }


def test_posting_the_same_form_twice_stores_one_event(web: TestClient, tracker: Tracker) -> None:
    fields = {
        "occurred_on": "2019-05-02",
        "course_type": "short",
        "municipality": "Sorø",
        "consultant": "Karen Konsulent",
        "event_id": str(uuid.uuid4()),
    }
    assert post(web, "forloeb", **dict(fields))[0] == 200
    again_status, again = post(web, "forloeb", **dict(fields))
    assert again_status == 200 and 'hændelse nr. <strong class="position">1</strong>' in again
    assert tracker.log.head().position == 1


@pytest.mark.parametrize(
    ("slug", "fields", "field", "problem"),
    [
        (
            "forloeb",
            {"course_type": "action_plan", "company_cvr": "", "municipality": "Lolland", "consultant": "K"},
            "company_cvr",
            "CVR-nummer skal angives",
        ),
        (
            "forloeb",
            {"course_type": "action_plan", "company_cvr": bad_cvr(), "municipality": "Lolland", "consultant": "K"},
            "company_cvr",
            "ugyldigt CVR-nummer",
        ),
        ("forloeb", {"course_type": "short", "municipality": "", "consultant": "K"}, "municipality", "feltet mangler"),
        ("moede", {"meeting_kind": "council_presentation_offered"}, "municipality", "kommune skal angives"),
        (
            "arrangement",
            {"event_kind": "conference", "title": "Konference", "municipality": "Køge", "participants": "mange"},
            "participants",
            "skal være et heltal",
        ),
        (
            "evaluering",
            {
                "course_type": "growth_plan",
                "company_cvr": cvr(1),
                "nps": "9",
                "satisfaction": "5",
                "consultant_competence": "4",
                **{f"effect_{i}": "hoj" for i in range(1, 7)},
            },
            "effect",
            "ugyldig værdi",
        ),
        (
            "aftale",
            {"partner": "Køge Kommune", "agreement_kind": "municipality"},
            "municipality",
            "kommune skal angives",
        ),
        ("milepael", {"milestone": "9.nothing"}, "milestone", "ukendt milepæl"),
    ],
)
def test_a_refused_form_shows_the_problem_at_its_field_keeps_the_values_and_stores_nothing(
    web: TestClient, tracker: Tracker, slug: str, fields: dict[str, str], field: str, problem: str
) -> None:
    status, html = post(web, slug, occurred_on="2019-05-02", **fields)
    assert status == 422
    assert problem in error_at(html, field)
    assert "Intet er gemt" in html
    unshowable = ("nps", "satisfaction", "consultant_competence", "milestone")  # selects show their own choices only
    for name, value in fields.items():
        if value and not name.startswith("effect_") and name not in unshowable:
            assert f'value="{value}"' in html, name  # kept (an input's value or the selected option)
    assert tracker.log.head().position == 0


def test_a_date_in_the_future_is_refused_at_the_date_field(web: TestClient, tracker: Tracker) -> None:
    status, html = post(
        web,
        "nyhedsbrev",
        occurred_on="2999-01-01",
        channel="Erhvervsrådets nyhedsbrev",
        channel_kind="local_business_council",
    )
    assert status == 422 and "må ikke ligge efter i dag" in error_at(html, "occurred_on")
    assert tracker.log.head().position == 0


def test_every_event_type_can_be_logged_through_its_form(web: TestClient, tracker: Tracker) -> None:
    day = {"occurred_on": "2019-06-03"}
    forms = {
        "henvisning": {
            "company_cvr": cvr(2),
            "from_course": "action_plan",
            "referred_to": "Vækstfonden",
            "referral_kind": "state_scheme",
        },
        "moede": {"meeting_kind": "council_presentation_offered", "municipality": "Stevns", "participants": "12"},
        "nyhedsbrev": {
            "channel": "Erhvervsrådets nyhedsbrev",
            "channel_kind": "local_business_council",
            "recipients": "1.200".replace(".", ""),
        },
        "arrangement": {
            "event_kind": "joint_hovedstaden",
            "title": "Fælles konference",
            "municipality": "Roskilde",
            "participants": "140",
        },
        "evaluering": {
            "course_type": "growth_plan",
            "company_cvr": cvr(1),
            "nps": "9",
            "satisfaction": "5",
            "consultant_competence": "4",
            **{f"effect_{i}": "hoj" if i == 1 else "ved_ikke" for i in range(1, 8)},
        },
        "aftale": {"partner": "Copenhagen Capacity", "agreement_kind": "copenhagen_capacity"},
        "medarbejder": {"consultant": "Kim Konsulent", "role": "cross_region"},
        "milepael": {"milestone": "5B.code_of_conduct", "evidence": "Referat fra bestyrelsesmødet"},
    }
    for slug, fields in forms.items():
        status, html = post(web, slug, **day, **fields)
        assert status == 200 and "Gemt som hændelse" in html, (slug, html[:2000])
    stored = {e.type: view_data(e.data) for e in tracker.log.read_all()}
    assert stored["meeting.held"]["participants"] == 12
    assert stored["evaluation.received"]["effect"] == ["hoj"] + ["ved_ikke"] * 6
    assert stored["milestone.reached"] == {
        "milestone": "5B.code_of_conduct",
        "evidence": "Referat fra bestyrelsesmødet",
    }
    assert len(stored) == len(forms)


def test_a_known_cvr_answers_with_the_municipality_of_its_newest_course_not_retracted(
    web: TestClient, tracker: Tracker
) -> None:
    tracker.append(
        course("growth_plan", "Faxe", company=7, company_name="Faxe Kalkbrud A/S"), by=Actor("Kim Konsulent")
    )
    [wrong] = tracker.append(
        course("growth_plan", "Stevns", company=7, occurred_on="2019-04-01"), by=Actor("Kim Konsulent")
    )
    assert web.get(f"/registrer/cvr/{cvr(7)}").json()["municipality"] == "Stevns"
    tracker.append(retraction(wrong.event_id), by=Actor("Kim Konsulent"))
    assert web.get(f"/registrer/cvr/{cvr(7)}").json() == {
        "cvr": cvr(7),
        "municipality": "Faxe",
        "company_name": "Faxe Kalkbrud A/S",
    }
    assert web.get(f"/registrer/cvr/{cvr(30)}").status_code == 404
    assert web.get(f"/registrer/cvr/{bad_cvr()}").status_code == 422
