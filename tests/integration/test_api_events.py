"""POST/GET /api/events: every class of bad input is a 422 naming the field, and stores nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from ehsj_core.events.views import view_data
from ehsj_core.tracker import Tracker
from tests.conftest import auth
from tests.factories import bad_cvr, course, cvr, new_id, retraction


def evaluation(**override: Any) -> dict[str, Any]:
    data = {
        "course_type": "growth_plan",
        "company_cvr": cvr(3),
        "nps": 9,
        "satisfaction": 5,
        "consultant_competence": 4,
        "effect": ["hoj", "lav", "lav", "ved_ikke", "slet_ikke", "nogen", "lav"],
    }
    data.update(override)
    return {"type": "evaluation.received", "occurred_on": "2019-05-01", "data": data}


BAD_INPUTS: dict[str, tuple[Any, str, str]] = {
    # name: (body, field, words of the problem)
    "unknown type": ({"type": "course.done", "occurred_on": "2019-01-02", "data": {}}, "type", "ukendt hændelsestype"),
    "unknown envelope field": ({**course(), "when": "now"}, "when", "ukendt felt"),
    "unknown data field": (course(colour="blue"), "data.colour", "ukendt felt"),
    "unknown municipality": (course(municipality="Lolandd"), "data.municipality", "ukendt kommune"),
    "cvr failing modulus 11": (course(company_cvr=bad_cvr()), "data.company_cvr", "modulus 11"),
    "cvr not digits": (course(company_cvr="1234567a"), "data.company_cvr", "8 cifre"),
    "cvr missing on an action plan": (
        {
            "type": "course.completed",
            "occurred_on": "2019-01-02",
            "data": {"course_type": "action_plan", "municipality": "Sorø", "consultant": "K"},
        },
        "data",
        "CVR-nummer skal angives",
    ),
    "unknown course type": (course(course_type="mega_plan"), "data.course_type", "ugyldig værdi"),
    "unknown topic": (course(topics=["sailing"]), "data.topics.0", "ugyldig værdi"),
    "date in the future": (course(occurred_on="2999-01-01"), "occurred_on", "efter i dag"),
    "date before 2000": (course(occurred_on="1999-12-31"), "occurred_on", "før 2000"),
    "date malformed": (course(occurred_on="4/3/2019"), "occurred_on", "ÅÅÅÅ-MM-DD"),
    "nps above 10": (evaluation(nps=11), "data.nps", "højst være 10"),
    "nps as text": (evaluation(nps="9"), "data.nps", "heltal"),
    "satisfaction below 1": (evaluation(satisfaction=0), "data.satisfaction", "mindst 1"),
    "six effect answers": (evaluation(effect=["hoj"] * 6), "data.effect", "præcis 7"),
    "unknown effect answer": (evaluation(effect=["hoj"] * 6 + ["måske"]), "data.effect.6", "ugyldig værdi"),
    "negative participants": (
        {
            "type": "event.held",
            "occurred_on": "2019-02-02",
            "data": {"event_kind": "event", "title": "Morgenmøde", "municipality": "Sorø", "participants": -1},
        },
        "data.participants",
        "mindst 0",
    ),
    "unknown milestone": (
        {"type": "milestone.reached", "occurred_on": "2019-02-02", "data": {"milestone": "5B.code_of_honour"}},
        "data.milestone",
        "ukendt milepæl",
    ),
    "council presentation without municipality": (
        {"type": "meeting.held", "occurred_on": "2019-02-02", "data": {"meeting_kind": "council_presentation_offered"}},
        "data",
        "kommune skal angives",
    ),
    "malformed event id": ({**course(), "event_id": "not-a-uuid"}, "event_id", "UUID"),
    "retraction of nothing": (retraction(new_id()), "data.target_event_id", "ingen hændelse"),
    "empty retraction reason": (retraction(new_id(), reason="  "), "data.reason", "tom"),
    "data not an object": ({"type": "newsletter.sent", "occurred_on": "2019-02-02", "data": [1]}, "data", "objekt"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_is_refused_with_the_field_and_nothing_is_stored(
    name: str, client: TestClient, tokens: dict[str, str], tracker: Tracker
) -> None:
    body, field, words = BAD_INPUTS[name]
    response = client.post("/api/events", json=body, headers=auth(tokens["consultant"]))
    assert response.status_code == 422, response.text
    problems = response.json()["errors"]
    matching = [p for p in problems if p["field"] == field]
    assert matching, problems
    assert words in matching[0]["problem"]
    assert tracker.log.head().position == 0


def test_an_unknown_type_lists_the_valid_types(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.post("/api/events", json=BAD_INPUTS["unknown type"][0], headers=auth(tokens["consultant"]))
    assert "course.completed" in response.json()["errors"][0]["allowed"]


def test_an_unknown_municipality_lists_the_seventeen(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.post("/api/events", json=course(municipality="Lolandd"), headers=auth(tokens["consultant"]))
    [problem] = response.json()["errors"]
    assert problem["value"] == "Lolandd" and len(problem["allowed"]) == 17 and "Lolland" in problem["allowed"]


def test_invalid_json_is_a_422(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.post(
        "/api/events",
        content=b"{not json",
        headers={**auth(tokens["consultant"]), "Content-Type": "application/json"},
    )
    assert response.status_code == 422


def test_a_municipality_is_matched_case_insensitively_and_stored_canonically(
    client: TestClient, tokens: dict[str, str], tracker: Tracker
) -> None:
    response = client.post("/api/events", json=course(municipality="  næstved "), headers=auth(tokens["consultant"]))
    assert response.status_code == 201
    [event] = tracker.log.read_all()
    assert view_data(event.data)["municipality"] == "Næstved"
    assert event.recorded_by == "Karen Konsulent"


def test_a_bad_batch_lists_every_bad_item_by_index_and_stores_nothing(
    client: TestClient, tokens: dict[str, str], tracker: Tracker
) -> None:
    batch = {"events": [course(), course(municipality="Atlantis"), course(), course(company_cvr=bad_cvr())]}
    response = client.post("/api/events", json=batch, headers=auth(tokens["consultant"]))
    assert response.status_code == 422
    fields = [p["field"] for p in response.json()["errors"]]
    assert fields == ["events[1].data.municipality", "events[3].data.company_cvr"]
    assert tracker.log.head().position == 0


def test_a_good_batch_is_stored_in_order(client: TestClient, tokens: dict[str, str]) -> None:
    batch = {"events": [course(company=n) for n in range(1, 4)]}
    response = client.post("/api/events", json=batch, headers=auth(tokens["consultant"]))
    assert response.status_code == 201
    assert [e["position"] for e in response.json()["events"]] == [1, 2, 3]


def test_a_retried_post_is_safe_and_a_conflicting_one_is_409(
    client: TestClient, tokens: dict[str, str], tracker: Tracker
) -> None:
    body = course(event_id=new_id())
    headers = auth(tokens["consultant"])
    first = client.post("/api/events", json=body, headers=headers)
    again = client.post("/api/events", json=body, headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["events"] == [{"event_id": body["event_id"], "position": 1, "duplicate": True}]
    conflict = client.post("/api/events", json={**body, "occurred_on": "2019-03-05"}, headers=headers)
    assert conflict.status_code == 409
    assert tracker.log.head().position == 1


@pytest.mark.parametrize("role", ["auditor", "chief"])
def test_read_only_roles_may_not_append(
    role: str, client: TestClient, tokens: dict[str, str], tracker: Tracker
) -> None:
    response = client.post("/api/events", json=course(), headers=auth(tokens[role]))
    assert response.status_code == 403
    assert client.get("/api/events", headers=auth(tokens[role])).status_code == 200
    assert tracker.log.head().position == 0


@pytest.mark.parametrize("path", ["/api/events", "/api/goals", "/api/municipalities", "/api/contract", "/api/goals/1"])
def test_every_route_but_health_needs_a_valid_token(path: str, client: TestClient) -> None:
    assert client.get(path).status_code == 401
    assert client.get(path, headers=auth("ehsj_wrong")).status_code == 401
    assert client.get("/api/healthz").status_code == 200


def test_the_log_is_filtered_and_paged_by_cursor(client: TestClient, tokens: dict[str, str]) -> None:
    headers = auth(tokens["consultant"])
    events = [course(municipality="Lolland" if n % 2 else "Sorø", company=n) for n in range(1, 8)]
    client.post("/api/events", json={"events": events}, headers=headers)
    first = client.get("/api/events", params={"municipality": "lolland", "limit": 2}, headers=headers).json()
    assert [e["position"] for e in first["events"]] == [1, 3]
    second = client.get(
        "/api/events", params={"municipality": "Lolland", "limit": 2, "after": first["next_after"]}, headers=headers
    ).json()
    assert [e["position"] for e in second["events"]] == [5, 7]
    by_cvr = client.get("/api/events", params={"company_cvr": cvr(2)}, headers=headers).json()
    assert [e["position"] for e in by_cvr["events"]] == [2]
    bad = client.get("/api/events", params={"municipality": "Atlantis"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "municipality"
