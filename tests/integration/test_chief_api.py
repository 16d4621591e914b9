"""A business chief's token reads through the API exactly what the web app shows them: the overall
status and their own municipality. Every `/api` route is called as a chief here: it is either in
CHIEF_MAY (and its scoping asserted below) or it answers 403, so a new route fails until decided."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from ehsj_core.tracker import Tracker
from ehsj_core.users import Principal, users_table
from tests.conftest import auth
from tests.factories import course, retraction

OWN = "Lolland"  # the chief of the `tokens` fixture
OTHERS = ("Sorø", "Næstved", "Guldborgsund")

# What a chief may open, with the query that must answer 200. Everything else answers a chief 403.
CHIEF_MAY: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/api/healthz"): {},  # anyone, no token needed
    ("GET", "/api/contract"): {},  # overall status: unchanged
    ("GET", "/api/goals"): {},
    ("GET", "/api/goals/{goal_id}"): {},
    ("GET", "/api/municipalities"): {},  # their own row only
    ("GET", "/api/events"): {},  # their own municipality's events only
    ("GET", "/api/reports/preview"): {"kind": "quarterly_status", "period": "2019Q3", "municipality": OWN},
}
PATH_VALUES = {"goal_id": "1", "dispatch_id": "1", "recipient_id": "1", "kind": "crm"}
# Valid-looking input for the writing routes, so that their 403 is not a 422 in disguise.
REQUESTS: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/events"): {"json": course(municipality=OWN)},
    ("POST", "/api/recipients"): {
        "json": {"role": "chief", "name": "Ole", "email": "ole@example.org", "municipality": OWN}
    },
    ("POST", "/api/reports/send"): {"json": {"kind": "quarterly_status", "period": "2019Q3"}},
    ("POST", "/api/imports/{kind}"): {"files": {"file": ("crm.csv", b"a;b\n1;2\n", "text/csv")}},
    ("POST", "/api/audit/verify-file"): {"files": {"file": ("export.jsonl", b"", "application/x-ndjson")}},
    ("GET", "/api/reports"): {},
    ("GET", "/api/audit/replay"): {"params": {"year": "2019", "as_of": "1"}},
    ("GET", "/api/audit/diff"): {"params": {"year": "2019", "from": "0", "to": "1"}},
    ("GET", "/api/audit/statement"): {"params": {"year": "2019"}},
    ("GET", "/api/audit/export"): {"params": {"year": "2019"}},
}


def api_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) under /api, included routers resolved (and routes left out of the
    OpenAPI schema too); a route of another kind (a mount) counts as GET, so it must answer 403."""
    found: set[tuple[str, str]] = set()
    for context in iter_route_contexts(app.routes):
        path = context.path or ""
        if path == "/api" or path.startswith("/api/"):
            methods = context.methods if isinstance(context.original_route, APIRoute) else None
            found |= {(method, path) for method in (methods or {"GET"}) if method != "HEAD"}
    return sorted(found)


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), "1"), path)


def log_positions(tracker: Tracker) -> list[int]:
    """Every position in the log, read from the table itself (whatever reads it in the core)."""
    with tracker.engine.connect() as conn:
        return [int(p) for p in conn.execute(sa.text("SELECT position FROM events ORDER BY position")).scalars()]


def seed(client: TestClient, tokens: dict[str, str], tracker: Tracker) -> dict[str, list[int]]:
    """Events in four municipalities, interleaved, of several types, plus a retraction (names none),
    logged by a consultant through the API. Returns the positions per municipality."""
    bodies: list[dict[str, Any]] = []
    for n in range(7):
        bodies.append(course("action_plan", OWN, company=n + 1))
        bodies.append(course("growth_plan", OTHERS[n % 3], company=n + 20))
        if n % 2:
            bodies.append(course("short", OTHERS[(n + 1) % 3], company=0))
    bodies.append(
        {
            "type": "event.held",
            "occurred_on": "2019-02-02",
            "data": {"event_kind": "event", "title": "Morgenmøde", "municipality": OWN, "participants": 12},
        }
    )
    bodies.append(
        {
            "type": "event.held",
            "occurred_on": "2019-02-03",
            "data": {"event_kind": "event", "title": "Frokostmøde", "municipality": "Sorø", "participants": 8},
        }
    )
    bodies.append(
        {
            "type": "meeting.held",
            "occurred_on": "2019-02-04",
            "data": {"meeting_kind": "council_presentation_offered", "municipality": OWN},
        }
    )
    consultant = auth(tokens["consultant"])
    answer = client.post("/api/events", json={"events": bodies}, headers=consultant)
    assert answer.status_code == 201, answer.text
    stored = answer.json()["events"]
    undo = client.post("/api/events", json=retraction(stored[0]["event_id"]), headers=consultant)
    assert undo.status_code == 201, undo.text
    where: dict[str, list[int]] = {}
    for body, result in zip(bodies, stored, strict=True):
        where.setdefault(body["data"]["municipality"], []).append(result["position"])
    assert log_positions(tracker) == [*(r["position"] for r in stored), undo.json()["events"][0]["position"]]
    return where


def every_event(client: TestClient, token: str, limit: int, **params: str) -> tuple[list[dict[str, Any]], list[int]]:
    """Page through GET /api/events; the events and the size of each page."""
    events: list[dict[str, Any]] = []
    sizes: list[int] = []
    after = 0
    while True:
        answer = client.get(
            "/api/events", params={**params, "after": str(after), "limit": str(limit)}, headers=auth(token)
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        events += body["events"]
        sizes.append(len(body["events"]))
        if body["next_after"] is None:
            return events, sizes
        assert body["next_after"] == body["events"][-1]["position"]
        after = body["next_after"]


# Authenticated by a house's upload token (ehsj_core/national/tokens.py), never by a user's.
HOUSE_TOKEN_ONLY = {("POST", "/api/national/exports")}


def test_every_api_route_is_either_allowed_to_a_chief_or_refused_with_403(
    client: TestClient, tokens: dict[str, str], tracker: Tracker
) -> None:
    seed(client, tokens, tracker)
    before = log_positions(tracker)
    routes = api_routes(client.app)  # type: ignore[arg-type]
    assert len(routes) > len(CHIEF_MAY)
    assert set(CHIEF_MAY) <= set(routes), "CHIEF_MAY names a route the app does not have"
    assert set(REQUESTS) <= set(routes), "REQUESTS names a route the app does not have"
    chief = auth(tokens["chief"])
    for method, path in routes:
        if (method, path) in HOUSE_TOKEN_ONLY:  # not a user's route at all: a user's token is unknown there
            answer = client.request(method, concrete(path), headers=chief)
            assert answer.status_code == 401, f"{method} {path} took a user's token: {answer.status_code}"
            continue
        if (method, path) in CHIEF_MAY:
            answer = client.request(method, concrete(path), params=CHIEF_MAY[method, path], headers=chief)
            assert answer.status_code == 200, f"{method} {path}: {answer.status_code} {answer.text[:200]}"
        else:
            answer = client.request(method, concrete(path), headers=chief, **REQUESTS.get((method, path), {}))
            assert answer.status_code == 403, f"{method} {path} is not decided for a chief: {answer.status_code}"
            detail = answer.json()["detail"]  # the rule book's refusal: its field problems, in one line
            assert "må ikke" in detail or "Ingen adgang" in detail, detail
    assert log_positions(tracker) == before  # a chief wrote nothing


def test_a_chief_gets_one_municipality_row_the_same_the_director_sees(
    client: TestClient, tokens: dict[str, str], tracker: Tracker
) -> None:
    seed(client, tokens, tracker)
    for params in ({}, {"year": "2019"}, {"year": "2019", "as_of": "5"}):
        everyone = client.get("/api/municipalities", params=params, headers=auth(tokens["director"])).json()
        chiefs = client.get("/api/municipalities", params=params, headers=auth(tokens["chief"]))
        assert chiefs.status_code == 200
        body = chiefs.json()
        [row] = body["municipalities"]
        assert row == next(m for m in everyone["municipalities"] if m["name"] == OWN)
        assert row["courses"]["action_plan"] == (
            2 if "as_of" in params else 6
        )  # the retraction at the end took one out
        assert {k: v for k, v in body.items() if k != "municipalities"} == {
            k: v for k, v in everyone.items() if k != "municipalities"
        }


@pytest.mark.parametrize("role", ["director", "consultant", "auditor"])
def test_who_browses_still_sees_all_17_municipalities_and_every_event(
    role: str, client: TestClient, tokens: dict[str, str], tracker: Tracker
) -> None:
    seed(client, tokens, tracker)
    rows = client.get("/api/municipalities", headers=auth(tokens[role])).json()["municipalities"]
    assert len(rows) == 17 and {OWN, *OTHERS} <= {m["name"] for m in rows}
    events, _ = every_event(client, tokens[role], limit=4)
    assert [e["position"] for e in events] == log_positions(tracker)
    sorø, _ = every_event(client, tokens[role], limit=4, municipality="Sorø")
    assert sorø and {e["data"]["municipality"] for e in sorø} == {"Sorø"}


def test_a_chief_pages_through_only_their_own_municipalitys_events(
    client: TestClient, tokens: dict[str, str], tracker: Tracker
) -> None:
    where = seed(client, tokens, tracker)
    own = where[OWN]
    assert len(own) == 9 and len(log_positions(tracker)) > 2 * len(own)
    for params in ({}, {"municipality": OWN}, {"municipality": "lolland"}, {"municipality": " LOLLAND "}):
        events, sizes = every_event(client, tokens["chief"], limit=2, **params)
        assert [e["position"] for e in events] == own, params
        assert {e["data"]["municipality"] for e in events} == {OWN}
        # filtered in the query: every page but the last is full, however the municipalities interleave
        assert all(size == 2 for size in sizes[:-1]) and len(sizes) == len(own) // 2 + 1
    courses, _ = every_event(client, tokens["chief"], limit=3, type="course.completed")
    assert [e["position"] for e in courses] == own[:7]
    meetings, _ = every_event(client, tokens["chief"], limit=3, type="event.held")
    assert [e["data"]["title"] for e in meetings] == ["Morgenmøde"]
    retractions, _ = every_event(client, tokens["chief"], limit=3, type="event.retracted")
    assert retractions == []  # names no municipality


@pytest.mark.parametrize("other", OTHERS)
def test_a_chief_asking_for_another_municipalitys_events_gets_403(
    other: str, client: TestClient, tokens: dict[str, str], tracker: Tracker
) -> None:
    seed(client, tokens, tracker)
    answer = client.get("/api/events", params={"municipality": other}, headers=auth(tokens["chief"]))
    assert answer.status_code == 403
    assert answer.json()["detail"] == "Ingen adgang: en erhvervschef ser kun sin egen kommunes hændelser"
    unknown = client.get("/api/events", params={"municipality": "Atlantis"}, headers=auth(tokens["chief"]))
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "municipality"


def test_a_chief_previews_only_their_own_quarterly_report_and_reads_no_ledger(
    client: TestClient, tokens: dict[str, str], tracker: Tracker
) -> None:
    seed(client, tokens, tracker)
    chief = auth(tokens["chief"])
    own = {"kind": "quarterly_status", "period": "2019Q3", "municipality": OWN}
    answer = client.get("/api/reports/preview", params=own, headers=chief)
    assert answer.status_code == 200 and OWN in answer.text
    assert (
        client.get("/api/reports/preview", params={**own, "municipality": "lolland"}, headers=chief).status_code == 200
    )
    refused = [
        {**own, "municipality": "Sorø"},
        {"kind": "quarterly_status", "period": "2019Q3"},
        {"kind": "half_year_report", "period": "2019H1", "municipality": OWN},
        {"kind": "annual_status", "period": "2019"},
        {"kind": "reminder", "period": "2019Q3"},
    ]
    for params in refused:
        answer = client.get("/api/reports/preview", params=params, headers=chief)
        assert answer.status_code == 403, params
        assert answer.json()["detail"] == "Ingen adgang: en erhvervschef ser kun sin egen kommunes rapport"
    assert (
        client.get(
            "/api/reports/preview", params={**own, "municipality": "Sorø"}, headers=auth(tokens["director"])
        ).status_code
        == 200
    )
    assert client.get("/api/reports", headers=chief).status_code == 403
    for role in ("director", "consultant", "auditor"):
        assert client.get("/api/reports", headers=auth(tokens[role])).json() == {"dispatches": []}


def test_the_overall_status_reads_the_same_for_a_chief_and_the_director(
    client: TestClient, tokens: dict[str, str], tracker: Tracker
) -> None:
    seed(client, tokens, tracker)
    for path in ("/api/contract", "/api/goals", "/api/goals/1", "/api/goals/5A"):
        chiefs = client.get(path, headers=auth(tokens["chief"]))
        assert chiefs.status_code == 200 and chiefs.json() == client.get(path, headers=auth(tokens["director"])).json()


def test_the_rule_lives_on_the_principal_and_fails_closed() -> None:
    chief = Principal(1, "Lars", "chief", OWN)
    assert chief.municipality_scope() == OWN
    assert chief.may_see_municipality("lolland") and not chief.may_see_municipality("Sorø")
    for role in ("consultant", "director", "auditor"):
        browser = Principal(2, "X", role, None)
        assert browser.municipality_scope() is None and browser.may_see_municipality("Sorø")
    lost = Principal(3, "Uden kommune", "chief", None)
    with pytest.raises(PermissionError):
        lost.municipality_scope()
    assert not lost.may_see_municipality(OWN)


def test_a_chief_bound_to_no_municipality_reads_nothing(
    client: TestClient, tokens: dict[str, str], tracker: Tracker
) -> None:
    seed(client, tokens, tracker)
    with tracker.engine.begin() as conn:  # not possible through create_user; the API must not read it as "everything"
        conn.execute(users_table.update().where(users_table.c.role == "chief").values(municipality=None))
    for path in ("/api/goals", "/api/municipalities", "/api/events"):
        answer = client.get(path, headers=auth(tokens["chief"]))
        assert answer.status_code == 403, path
        assert answer.json()["detail"] == "Ingen adgang: brugeren er ikke knyttet til en kommune"
