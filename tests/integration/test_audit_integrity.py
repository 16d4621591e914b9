"""`verify` catches a tampered row at its position, and an export checks out with `verify-file` —
without a database — until it is tampered with. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from ehsj_core.audit.export import export_to, verify_file
from ehsj_core.audit.integrity import verify
from ehsj_core.db import is_sqlite
from ehsj_core.tracker import Tracker
from tests.conftest import CONTRACTS, auth
from tests.factories import Actor, course, new_id, retraction

EHSJ = str(Path(sys.executable).parent / "ehsj")


def some_events(tracker: Tracker) -> None:
    """Events of 2019 and 2020, and a 2020 retraction of a 2019 course."""
    first = course(event_id=new_id(), occurred_on="2019-03-04")
    tracker.append(
        {"events": [first, course("short", "Sorø", "2019-05-06"), course("growth_plan", "Køge", "2020-01-07")]},
        by=Actor("Karen"),
    )
    tracker.append(
        {"events": [course("short", "Næstved", "2019-08-09"), course("short", "Greve", "2019-10-11")]},
        by=Actor("Karen"),
    )
    tracker.append(retraction(first["event_id"], occurred_on="2020-01-09"), by=Actor("Dorte"))


def tamper(engine: Engine, position: int) -> None:
    """Change a stored row behind the triggers' back, as an intruder with database access would."""
    statement = "UPDATE events SET recorded_by = 'Mallory' WHERE position = :position"
    with engine.begin() as conn:
        if is_sqlite(engine):
            conn.execute(sa.text("DROP TRIGGER events_no_update"))
        else:
            conn.execute(sa.text("ALTER TABLE events DISABLE TRIGGER events_append_only"))
        conn.execute(sa.text(statement), {"position": position})


def ehsj(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EHSJ_DATABASE_URL": database_url, "EHSJ_CONTRACTS_DIR": str(CONTRACTS), "COLUMNS": "200"}
    return subprocess.run([EHSJ, *args], env=env, capture_output=True, text=True, timeout=120)


def test_an_intact_log_verifies(tracker: Tracker, engine: Engine) -> None:
    some_events(tracker)
    report = verify(engine)
    assert report.ok and report.events == 6 and report.head_hash == tracker.log.head().hash


def test_a_tampered_row_is_caught_by_verify_at_its_position(
    tracker: Tracker, engine: Engine, database_url: str, client: TestClient, tokens: dict[str, str]
) -> None:
    some_events(tracker)
    tamper(engine, 4)
    report = verify(engine)
    assert not report.ok and report.first_bad_position == 4 and report.head_position == 3
    assert "rækken er ændret" in report.findings[0].problem
    assert any("trigger" in f.problem and f.position is None for f in report.findings)

    body = client.get("/api/audit/verify", headers=auth(tokens["auditor"])).json()
    assert body["ok"] is False and body["first_bad_position"] == 4
    run = ehsj(database_url, "audit", "verify")
    assert run.returncode == 1
    assert "position 4: hashen svarer ikke til rækkens indhold" in run.stdout


def test_an_export_verifies_without_a_database_and_marks_the_year(tracker: Tracker, tmp_path: Path) -> None:
    some_events(tracker)
    path = tmp_path / "eksport-2019.jsonl"
    position, head = export_to(tracker.log, tracker.house, 2019, path)
    assert (position, head) == (6, tracker.log.head().hash)
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert lines[0]["record"] == "header" and lines[-1]["record"] == "trailer"
    assert [r["in_year"] for r in lines[1:-1]] == [True, True, False, True, True, True]
    result = verify_file(path)
    assert result.ok and result.rows == 6 and result.in_year == 5 and result.head_hash == head


def test_a_tampered_export_is_caught_by_verify_file(tracker: Tracker, tmp_path: Path, database_url: str) -> None:
    some_events(tracker)
    path = tmp_path / "eksport.jsonl"
    exported = ehsj(database_url, "audit", "export", "--year", "2019", str(path))
    assert exported.returncode == 0, exported.stderr
    assert ehsj(database_url, "audit", "verify-file", str(path)).returncode == 0
    lines = path.read_text(encoding="utf-8").splitlines()
    row = json.loads(lines[5])  # position 5
    row["data"]["municipality"] = "Roskilde"
    lines[5] = json.dumps(row, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    checked = ehsj(database_url, "audit", "verify-file", str(path))
    assert checked.returncode == 1
    assert "linje 6, position 5" in checked.stdout and "ændret" in checked.stdout


def test_the_export_download_is_the_chain_as_the_cli_writes_it(
    tracker: Tracker, client: TestClient, tokens: dict[str, str], tmp_path: Path
) -> None:
    some_events(tracker)
    response = client.get("/api/audit/export", params={"year": 2019}, headers=auth(tokens["director"]))
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    downloaded = tmp_path / "download.jsonl"
    downloaded.write_bytes(response.content)
    assert verify_file(downloaded).ok
    written = tmp_path / "written.jsonl"
    export_to(tracker.log, tracker.house, 2019, written)
    assert response.content.splitlines()[1:] == written.read_bytes().splitlines()[1:]  # all but exported_at
    with downloaded.open("rb") as upload:
        checked = client.post(
            "/api/audit/verify-file", files={"file": ("x.jsonl", upload)}, headers=auth(tokens["auditor"])
        )
    assert checked.json()["ok"] is True
    assert client.get("/api/audit/export", params={"year": 2019}, headers=auth(tokens["chief"])).status_code == 403
