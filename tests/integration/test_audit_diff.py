"""`diff` between two moments names the events behind every changed target: new, retracted (with
the retraction and the event it withdraws), recorded late for an earlier quarter — on SQLite and
PostgreSQL, and through the API and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from ehsj_core.audit.diff import TargetChange
from ehsj_core.tracker import Tracker
from tests.conftest import CONTRACTS, auth
from tests.factories import Actor, course, new_id, retraction

CPH = ZoneInfo("Europe/Copenhagen")
EHSJ = str(Path(sys.executable).parent / "ehsj")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CPH)


def log(tracker: Tracker, raw: dict[str, Any], recorded: str, by: str = "Karen Konsulent") -> int:
    """Append one event as if recorded at `recorded` (Copenhagen time); returns its position."""
    [result] = tracker.append_events([tracker.validate(raw)], by=Actor(by), recorded_at=at(recorded))
    return result.position


def timeline(tracker: Tracker) -> dict[str, Any]:
    """Q2 on time; then in Q3: two action plans of Q2 recorded late, a retraction, an all-actors meeting."""
    wrong = course(event_id=new_id(), occurred_on="2019-04-11", company=2)
    p = {
        "a": log(tracker, course(occurred_on="2019-04-05", company=1), "2019-04-10T09:00"),
        "wrong": log(tracker, wrong, "2019-04-12T09:00"),
        "late1": log(tracker, course(occurred_on="2019-06-27", company=3), "2019-07-02T10:00"),
        "late2": log(tracker, course(occurred_on="2019-06-28", company=4), "2019-07-02T10:05"),
        "retraction": log(
            tracker,
            retraction(wrong["event_id"], "Dobbeltregistreret", "2019-07-03"),
            "2019-07-03T11:00",
            "Dorte Direktør",
        ),
        "meeting": log(
            tracker,
            {
                "type": "meeting.held",
                "occurred_on": "2019-07-04",
                "data": {"meeting_kind": "all_actors", "title": "Fællesmøde"},
            },
            "2019-07-04T15:00",
        ),
    }
    return {"positions": p, "wrong_id": wrong["event_id"]}


def change(changes: tuple[TargetChange, ...], key: str) -> TargetChange:
    return next(c for c in changes if c.key == key)


def test_a_diff_explains_a_retraction_and_a_late_recording_by_naming_the_events(tracker: Tracker) -> None:
    t = timeline(tracker)
    p = t["positions"]
    result = tracker.diff(2019, "2019-06-30T23:00", "2019-07-05T00:00")
    assert (result.before.position, result.after.position) == (p["wrong"], p["meeting"])
    assert result.events_between == 4

    plans = change(result.changes, "action_plans")
    assert (plans.actual_before, plans.actual_after) == (2, 3)
    explained = {e.event.position: e for e in plans.explanations}
    assert set(explained) == {p["late1"], p["late2"], p["retraction"]}
    late = explained[p["late1"]]
    assert late.kind == "new" and late.late == "hændt i 2. kvartal 2019, registreret i 3. kvartal 2019"
    assert late.event.type == "course.completed" and late.event.recorded_by == "Karen Konsulent"
    assert late.event.occurred_on.isoformat() == "2019-06-27"
    withdrawn = explained[p["retraction"]]
    assert withdrawn.kind == "retracted" and withdrawn.reason == "Dobbeltregistreret"
    assert withdrawn.retracted is not None
    assert (withdrawn.retracted.position, withdrawn.retracted.event_id) == (p["wrong"], t["wrong_id"])
    assert (
        withdrawn.event.recorded_by == "Dorte Direktør"
        and withdrawn.late == "hændt i 2. kvartal 2019, registreret i 3. kvartal 2019"
    )

    meetings = change(result.changes, "all_actors_meetings")
    assert [e.event.position for e in meetings.explanations] == [p["meeting"]] and meetings.explanations[0].late is None
    assert all(c.explanations or c.note for c in result.changes)


def test_a_target_that_moved_only_because_time_passed_says_so(tracker: Tracker) -> None:
    timeline(tracker)
    result = tracker.diff(2019, "2019-04-12T12:00", "2019-07-01T12:00")  # past the June deadline of goal 8
    assert result.events_between == 0
    [draft] = [c for c in result.changes if c.kind == "milestone"]
    assert (draft.goal_id, draft.status_before, draft.status_after) == ("8", "not_started", "behind")
    assert all(not c.explanations and c.note and "bedømmelsesdatoen" in c.note for c in result.changes)


def test_from_after_to_is_refused(tracker: Tracker) -> None:
    timeline(tracker)
    try:
        tracker.diff(2019, 5, 2)
    except Exception as exc:
        assert "skal ligge før" in str(exc)
    else:
        raise AssertionError("expected a refusal")


def test_the_api_and_the_cli_give_the_same_diff(
    client: TestClient, tokens: dict[str, str], tracker: Tracker, database_url: str
) -> None:
    p = timeline(tracker)["positions"]
    params = {"year": 2019, "from": p["wrong"], "to": p["meeting"]}
    body = client.get("/api/audit/diff", params=params, headers=auth(tokens["auditor"])).json()
    assert body["from"]["position"] == p["wrong"]
    plans = next(c for c in body["changes"] if c["key"] == "action_plans")
    assert {e["event"]["position"] for e in plans["explanations"]} == {p["late1"], p["late2"], p["retraction"]}
    assert client.get("/api/audit/diff", params=params, headers=auth(tokens["chief"])).status_code == 403

    env = {**os.environ, "EHSJ_DATABASE_URL": database_url, "EHSJ_CONTRACTS_DIR": str(CONTRACTS)}
    run = subprocess.run(
        [EHSJ, "audit", "diff", "--year", "2019", "--from", str(p["wrong"]), "--to", str(p["meeting"]), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["changes"] == body["changes"]
    table = subprocess.run(
        [EHSJ, "audit", "diff", "--year", "2019", "--from", str(p["wrong"]), "--to", str(p["meeting"])],
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "tilbagekalder position" in table.stdout and "registreret for sent" in table.stdout
