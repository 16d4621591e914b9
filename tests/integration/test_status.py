"""Goal status through the tracker and the API: live, as of an earlier moment, with snapshots."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from ehsj_core.contract.loader import read_contract_folder, store_contracts
from ehsj_core.projections.runner import snapshots_table
from ehsj_core.settings import Settings
from ehsj_core.tracker import Tracker
from tests.conftest import TEST_CONTRACTS, auth
from tests.factories import Actor, course, retraction


def target(report: dict[str, Any], goal_id: str, key: str) -> dict[str, Any]:
    goal = next(g for g in report["goals"] if g["id"] == goal_id)
    return next(t for t in goal["targets"] if t["key"] == key)


def test_status_as_of_an_earlier_position_equals_the_live_status_then(
    tracker: Tracker, settings: Settings, engine: Engine
) -> None:
    seen: list[tuple[int, dict[str, Any]]] = []
    for round_ in range(5):
        batch = [course("short", ["Lolland", "Sorø", "Faxe"][n % 3], company=n + 1) for n in range(60)]
        ids = [r.event_id for r in tracker.append({"events": batch}, by=Actor("a"))]
        tracker.append(retraction(ids[round_]), by=Actor("a"))
        live = tracker.status(2019).as_dict()
        seen.append((live["position"], live))
    # A fresh process: no live state, snapshots every 100 positions written by the first runner.
    fresh = Tracker(settings, engine)
    for position, live in seen:
        replayed = fresh.status(2019, as_of=position).as_dict()
        assert replayed["position"] == position
        assert replayed["goals"] == live["goals"]
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(snapshots_table)).scalar_one() == 3


def test_as_of_a_timestamp_means_every_event_recorded_at_or_before_it(tracker: Tracker) -> None:
    tracker.append(course("short"), by=Actor("a"))
    first_recorded = tracker.log.recorded_at(1)
    assert first_recorded is not None
    tracker.append(course("short"), by=Actor("a"))
    report = tracker.status(2019, as_of=first_recorded.isoformat())
    assert report.as_of.position == 1
    assert target(report.as_dict(), "1", "short_courses")["actual"] == 1
    before_anything = tracker.status(2019, as_of="2019-10-01T08:00")
    assert before_anything.as_of.position == 0
    assert target(before_anything.as_dict(), "1", "short_courses")["actual"] == 0


def test_a_snapshot_written_by_other_fold_code_is_ignored(tracker: Tracker, engine: Engine) -> None:
    tracker.append({"events": [course("short") for _ in range(3)]}, by=Actor("a"))
    forged = {"sjaelland\x1f2019": {"courses": {"short\x1fLolland\x1f2019-03": 999}}}
    with engine.begin() as conn:
        conn.execute(
            snapshots_table.insert().values(
                name="goal_facts",
                version="older-code",
                position=3,
                state=orjson.dumps(forged),
                created_at=datetime.now(UTC),
            )
        )
    assert target(tracker.status(2019, as_of=3).as_dict(), "1", "short_courses")["actual"] == 3
    assert target(tracker.status(2019).as_dict(), "1", "short_courses")["actual"] == 3


def test_the_api_serves_goals_one_goal_and_municipalities(client: TestClient, tokens: dict[str, str]) -> None:
    headers = auth(tokens["chief"])
    client.post(
        "/api/events",
        json={"events": [course("action_plan", "Lolland"), course("growth_plan", "Sorø", company=2)]},
        headers=auth(tokens["consultant"]),
    )
    goals = client.get("/api/goals", params={"year": 2019}, headers=headers).json()
    assert goals["year"] == 2019 and goals["position"] == 2 and goals["as_of"] is None
    assert target(goals, "1", "action_plans")["actual"] == 1
    assert target(goals, "1", "action_plans")["status"] == "missed"  # 2019 is over
    one = client.get("/api/goals/5b", params={"year": 2019}, headers=headers).json()
    assert one["goal"]["id"] == "5B"
    assert [t["key"] for t in one["goal"]["targets"]][-1] == "geographic_spread"
    municipalities = client.get(
        "/api/municipalities", params={"year": 2019, "as_of": 1}, headers=auth(tokens["auditor"])
    ).json()
    lolland = next(m for m in municipalities["municipalities"] if m["name"] == "Lolland")
    assert lolland["courses"]["action_plan"] == 1 and lolland["specialised_share_pct"] == 100.0
    assert lolland["deviation_pp"] == round(100 - 4.99, 2)
    sor = next(m for m in municipalities["municipalities"] if m["name"] == "Sorø")
    assert sor["courses"]["growth_plan"] == 0  # position 2 is after the as-of position
    assert client.get("/api/goals/99", params={"year": 2019}, headers=headers).status_code == 404
    bad = client.get("/api/goals", params={"as_of": "yesterday"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "as_of"
    future = client.get("/api/goals", params={"as_of": 50}, headers=headers)  # named, and not there (yet)
    assert future.status_code == 404 and future.json()["errors"][0]["field"] == "as_of"
    assert "positionen findes ikke endnu" in future.json()["detail"]


def test_a_second_contract_is_served_without_a_code_change(
    client: TestClient, tokens: dict[str, str], engine: Engine
) -> None:
    store_contracts(engine, read_contract_folder(TEST_CONTRACTS))
    headers = auth(tokens["auditor"])
    contract = client.get("/api/contract", params={"year": 2020}, headers=headers).json()
    assert contract["contract"]["year"] == 2020
    assert len(contract["body"]["municipalities"]) == 17
    client.post("/api/events", json=course("short", occurred_on="2020-02-03"), headers=auth(tokens["consultant"]))
    goals = client.get("/api/goals", params={"year": 2020}, headers=headers).json()
    assert target(goals, "1", "short_courses")["target"] == 450
    assert target(goals, "1", "short_courses")["actual"] == 1
    missing = client.get("/api/goals", params={"year": 2031}, headers=headers)
    assert missing.status_code == 404 and "2019" in missing.json()["detail"]
