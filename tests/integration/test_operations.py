"""Operations: the log lines (request id, user, JSON in production), `/metrics`, and the health
commands compose uses — with real `ehsj serve`, `ehsj scheduler` and `ehsj worker` processes."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from ehsj_core.db import create_db_engine
from ehsj_core.heartbeat import beat, last_beat
from ehsj_core.logging_setup import configure_logging
from ehsj_core.notify.ledger import ensure_rows
from ehsj_core.notify.mail import sender
from ehsj_core.notify.recipients import add_recipient
from ehsj_core.settings import Settings
from ehsj_core.setup import initialise
from ehsj_core.tracker import Tracker
from ehsj_core.users import create_user
from services.api.app import create_app
from services.api.deps import Reader
from tests.conftest import CONTRACTS, auth
from tests.factories import course, new_id
from tests.mailsink import free_port
from tests.processes import EHSJ, spawn, stop

SECRET = "k" * 48
# A database number of the local Redis no other test uses: the worker health check pings there.
HEALTH_REDIS_DB = 12


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Tests here reconfigure the process's logging; leave it as a test app would."""
    yield
    configure_logging(Settings(environment="test"))


def _sqlite(tmp_path: Path, name: str = "ehsj.sqlite3") -> str:
    return f"sqlite:///{tmp_path / name}"


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip().startswith("{")]


def _ready_tracker(settings: Settings) -> Tracker:
    engine = create_db_engine(settings.database_url)
    initialise(engine, CONTRACTS)
    return Tracker(settings, engine)


# --- log lines -------------------------------------------------------------------------------------


def test_in_production_a_request_line_is_json_with_the_request_id_and_the_user(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(
        environment="production", secret_key=SECRET, database_url=_sqlite(tmp_path), contracts_dir=CONTRACTS
    )
    assert settings.effective_log_format() == "json"
    tracker = _ready_tracker(settings)
    token = create_user(tracker.engine, "Dorte Direktør", "director")
    app = create_app(settings, tracker)

    def inside(_user: Reader) -> dict[str, str]:  # sync: runs in a worker thread, as most routes do
        logging.getLogger("ehsj.test").warning("logged during the request")
        return {"ok": "yes"}

    app.add_api_route("/api/_test/log", inside)
    capfd.readouterr()
    with TestClient(app) as client:
        response = client.get("/api/goals", params={"year": 2019}, headers={**auth(token), "X-Request-ID": "req-4711"})
        inner = client.get("/api/_test/log", headers={**auth(token), "X-Request-ID": "req-4712"})
        anonymous = client.get("/api/goals", params={"year": 2019})
    assert response.status_code == 200 and inner.status_code == 200 and anonymous.status_code == 401
    assert response.headers["X-Request-ID"] == "req-4711"
    generated = anonymous.headers["X-Request-ID"]
    assert len(generated) == 32 and generated != "req-4711"

    lines = _json_lines(capfd.readouterr().err)
    requests = [line for line in lines if line["logger"] == "ehsj.http"]
    first = next(line for line in requests if line["request_id"] == "req-4711")
    assert first["user"] == "Dorte Direktør"
    assert (first["method"], first["path"], first["route"], first["status"]) == ("GET", "/api/goals", "/api/goals", 200)
    assert first["level"] == "INFO" and isinstance(first["duration_ms"], float) and first["time"].endswith("Z")
    during = next(line for line in lines if line["logger"] == "ehsj.test")
    assert (during["request_id"], during["user"], during["message"]) == (
        "req-4712",
        "Dorte Direktør",
        "logged during the request",
    )
    other = next(line for line in requests if line["request_id"] == generated)
    assert (other["user"], other["status"]) == ("-", 401)


def test_in_development_lines_are_text_and_a_strange_request_id_is_replaced(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(environment="development", database_url=_sqlite(tmp_path), contracts_dir=CONTRACTS)
    tracker = _ready_tracker(settings)
    capfd.readouterr()
    with TestClient(create_app(settings, tracker)) as client:
        response = client.get("/api/goals", params={"year": 2019}, headers={"X-Request-ID": "two words"})
    assert response.status_code == 401
    request_id = response.headers["X-Request-ID"]
    assert request_id != "two words" and len(request_id) == 32
    err = capfd.readouterr().err
    line = next(line for line in err.splitlines() if "ehsj.http" in line)
    assert f"INFO ehsj.http [{request_id} -] GET /api/goals 401 " in line and line.endswith(" ms")
    assert not line.lstrip().startswith("{")


def _wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer")


def test_ehsj_serve_in_production_writes_json_lines_and_no_uvicorn_access_line(tmp_path: Path) -> None:
    url = _sqlite(tmp_path)
    settings = Settings(environment="production", secret_key=SECRET, database_url=url, contracts_dir=CONTRACTS)
    tracker = _ready_tracker(settings)
    token = create_user(tracker.engine, "Dorte Direktør", "director")
    tracker.engine.dispose()
    port = free_port()
    env = {
        "EHSJ_ENVIRONMENT": "production",
        "EHSJ_SECRET_KEY": SECRET,
        "EHSJ_DATABASE_URL": url,
        "EHSJ_CONTRACTS_DIR": str(CONTRACTS),
        "EHSJ_MODE": "distributed",
        "EHSJ_PORT": str(port),
    }
    log = tmp_path / "serve.log"
    proc = spawn(["serve"], env, log)
    try:
        _wait_http(f"http://127.0.0.1:{port}/api/healthz")
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/goals?year=2019", headers={**auth(token), "X-Request-ID": "serve-1"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200 and response.headers["X-Request-ID"] == "serve-1"
    finally:
        stop(proc)
    text = log.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]  # every line is JSON
    assert any(line["logger"].startswith("uvicorn") and "running on" in line["message"] for line in lines)
    (served,) = [line for line in lines if line.get("request_id") == "serve-1"]
    assert (served["logger"], served["user"], served["status"], served["path"]) == (
        "ehsj.http",
        "Dorte Direktør",
        200,
        "/api/goals",
    )
    assert "HTTP/1.1" not in text  # uvicorn's access log is off: the middleware's line is the one
    assert "color_message" not in text


# --- /metrics ----------------------------------------------------------------------------------


def _sample(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"no sample {name} in:\n{text}")


def test_metrics_answer_the_director_after_an_append_and_a_dispatch(
    client: TestClient, tokens: dict[str, str], tracker: Tracker, engine: Engine
) -> None:
    event = course(municipality="Lolland", event_id=new_id())
    assert client.post("/api/events", json=event, headers=auth(tokens["consultant"])).status_code == 201
    recipient = add_recipient(engine, tracker.contract(2019).contract, "k17", "K17", "k17@example.org")
    ensure_rows(
        engine,
        "half_year_report",
        "2019H1",
        [recipient],
        tracker.log.head().position,
        sender(tracker.settings.mail_from, tracker.house_info),
    )
    when = datetime.now(UTC).replace(microsecond=0)
    beat(engine, now=when)

    response = client.get("/metrics", headers=auth(tokens["director"]))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert _sample(text, "ehsj_events_appended_total") == 1
    assert _sample(text, "ehsj_log_head_position") == 1
    assert _sample(text, 'ehsj_dispatches{state="pending"}') == 1
    assert _sample(text, 'ehsj_dispatches{state="sent"}') == 0
    assert _sample(text, "ehsj_scheduler_last_run_timestamp_seconds") == when.timestamp()
    assert (
        _sample(text, 'ehsj_http_request_duration_seconds_count{method="POST",route="/api/events",status="201"}') == 1
    )
    assert 'ehsj_http_request_duration_seconds_bucket{le="0.1",method="POST",route="/api/events",status="201"}' in text

    # a duplicate is not counted again, a refused event not at all
    assert client.post("/api/events", json=event, headers=auth(tokens["consultant"])).status_code == 200
    refused = client.post("/api/events", json=course(municipality="Lolandd"), headers=auth(tokens["consultant"]))
    assert refused.status_code == 422
    second = client.get("/metrics", headers=auth(tokens["director"])).text
    assert _sample(second, "ehsj_events_appended_total") == 1
    assert _sample(second, "ehsj_log_head_position") == 1
    assert 'route="/metrics",status="200"' in second
    assert (
        _sample(second, 'ehsj_http_request_duration_seconds_count{method="POST",route="/api/events",status="422"}') == 1
    )


def test_metrics_are_refused_without_the_directors_token(client: TestClient, tokens: dict[str, str]) -> None:
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=auth("not-a-token")).status_code == 401
    for role in ("consultant", "auditor", "chief"):
        assert client.get("/metrics", headers=auth(tokens[role])).status_code == 403, role


# --- ehsj health scheduler -----------------------------------------------------------------------


def _health(what: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [EHSJ, "health", what, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=60
    )


def test_health_scheduler_fails_without_a_heartbeat_and_passes_while_the_scheduler_runs(tmp_path: Path) -> None:
    from tests.processes import private_redis

    url = _sqlite(tmp_path)
    engine = create_db_engine(url)
    initialise(engine, CONTRACTS)
    with private_redis(tmp_path) as (redis_url, _port):
        env = {
            "EHSJ_DATABASE_URL": url,
            "EHSJ_CONTRACTS_DIR": str(CONTRACTS),
            "EHSJ_MODE": "distributed",
            "EHSJ_REDIS_URL": redis_url,
            "EHSJ_HEARTBEAT_INTERVAL_SECONDS": "1",
        }
        before = _health("scheduler", env)
        assert before.returncode == 1
        assert (
            before.stderr.strip() == "Planlæggeren har aldrig skrevet et livstegn (ingen række i scheduler_heartbeats)."
        )

        proc = spawn(["scheduler"], env, tmp_path / "scheduler.log")
        try:
            deadline = time.monotonic() + 60
            passed = _health("scheduler", env)
            while passed.returncode != 0 and time.monotonic() < deadline:
                time.sleep(0.3)
                passed = _health("scheduler", env)
            assert passed.returncode == 0, passed.stderr + (tmp_path / "scheduler.log").read_text()
            assert passed.stdout.startswith("Planlæggeren lever")
            first = last_beat(engine)
            assert first is not None and first.pid == proc.pid
            time.sleep(2.5)  # rewritten every EHSJ_HEARTBEAT_INTERVAL_SECONDS
            later = last_beat(engine)
            assert later is not None and later.last_run_at > first.last_run_at
        finally:
            stop(proc)

    beat(engine, now=datetime.now(UTC) - timedelta(minutes=10))  # a scheduler that stopped long ago
    stale = _health("scheduler", env)
    assert stale.returncode == 1 and "gammelt (grænse 180 s" in stale.stderr
    assert _health("scheduler", env, "--max-age", "900").returncode == 0
    engine.dispose()


# --- ehsj health worker --------------------------------------------------------------------------


def test_health_worker_fails_without_a_worker_and_passes_with_one(tmp_path: Path) -> None:
    redis_url = f"redis://127.0.0.1:6379/{HEALTH_REDIS_DB}"
    try:
        redis.Redis.from_url(redis_url).ping()
    except redis.ConnectionError as exc:
        from tests.services import service_missing

        service_missing("Redis", exc)
    env = {
        "EHSJ_DATABASE_URL": _sqlite(tmp_path),
        "EHSJ_CONTRACTS_DIR": str(CONTRACTS),
        "EHSJ_MODE": "distributed",
        "EHSJ_REDIS_URL": redis_url,
    }
    down = _health("worker", env, "--timeout", "1")
    assert down.returncode == 1
    assert down.stderr.strip() == f"Ingen Celery-worker svarede på ping inden for 1 s ({redis_url})."

    no_broker = _health("worker", {**env, "EHSJ_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}, "--timeout", "1")
    assert no_broker.returncode == 1 and "svarer ikke" in no_broker.stderr

    log = tmp_path / "worker.log"
    proc = spawn(["worker", "--concurrency", "1", "--pool", "solo"], env, log)
    try:
        deadline = time.monotonic() + 60
        up = _health("worker", env, "--timeout", "1")
        while up.returncode != 0 and time.monotonic() < deadline:
            up = _health("worker", env, "--timeout", "1")
        assert up.returncode == 0, up.stderr + log.read_text()
        assert up.stdout.startswith("1 worker(e) svarer: celery@")
    finally:
        stop(proc)
        redis.Redis.from_url(redis_url).flushdb()
    # the worker logged through the one configuration (text: "LEVEL logger [request-id user] …")
    assert any(" INFO celery" in line and "[- -]" in line for line in log.read_text().splitlines())
