"""The docker-compose services' commands, run as local processes against the local PostgreSQL, a real
Redis and a test SMTP server: prestart, api (uvicorn), worker and scheduler — and Redis going away."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from ehsj_core.notify import ledger
from ehsj_core.notify.dispatch import build_for
from ehsj_core.notify.recipients import add_recipient
from ehsj_core.settings import Settings
from ehsj_core.tracker import Tracker
from ehsj_core.users import create_user
from tests.conftest import CONTRACTS, ROOT
from tests.factories import course
from tests.integration.test_worker import wait_idle
from tests.mailsink import free_port, smtp_server
from tests.processes import EHSJ, distributed_env, private_redis, spawn, start_redis, stop
from tests.services import fresh_postgres_database

pytestmark = pytest.mark.postgres
UVICORN = str(Path(sys.executable).parent / "uvicorn")
# The chiefs the reports go to: Lolland and Sorø, whose events the test POSTs, and one more. Every chief
# is one more report for the worker to build and render, and the path is the same for 3 as for 17.
CHIEFS = ("Lolland", "Sorø", "Næstved")


def compose_commands() -> dict[str, list[str]]:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    return {name: services[name]["command"] for name in ("prestart", "api", "worker", "scheduler")}


def local(command: list[str], port: int) -> list[str]:
    """The compose command for this machine: the venv's programs, our port, one API process."""
    program = {"ehsj": EHSJ, "uvicorn": UVICORN}[command[0]]
    args = [a if a != "8000" else str(port) for a in command[1:]]
    if "--workers" in args:
        del args[args.index("--workers") : args.index("--workers") + 2]
    return [program, *args]


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


def wait_rows(tracker: Tracker, kind: str, period: str, timeout: float = 90) -> list[ledger.DispatchRow]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = ledger.find_rows(tracker.engine, kind, period)
        if len(rows) == len(CHIEFS) and all(r.state == "sent" for r in rows):
            return rows
        time.sleep(0.2)
    raise AssertionError(
        f"{kind} {period}: {[(r.state, r.last_error) for r in ledger.find_rows(tracker.engine, kind, period)]}"
    )


def test_the_compose_services_run_as_local_processes_and_survive_redis_going_away(tmp_path: Path) -> None:
    commands = compose_commands()
    with (
        fresh_postgres_database() as url,
        private_redis(tmp_path) as (redis_url, redis_port),
        smtp_server() as (sink, smtp_port),
    ):
        env = distributed_env(url, redis_url, smtp_port, sending_timeout_seconds="5")
        api_port = free_port()
        prestart = spawn(local(commands["prestart"], api_port), env, tmp_path / "prestart.log")
        assert prestart.wait(timeout=120) == 0, (tmp_path / "prestart.log").read_text()
        settings = Settings(database_url=url, redis_url=redis_url, mode="distributed", contracts_dir=CONTRACTS)
        tracker = Tracker(settings)
        contract = tracker.contract(2019).contract
        for number, municipality in enumerate(CHIEFS):
            name, email = f"Erhvervschef i {municipality}", f"erhvervschef{number}@example.org"
            add_recipient(tracker.engine, contract, "chief", name, email, municipality)
        token = create_user(tracker.engine, "Dorte Direktør", "director")
        processes = {
            name: spawn(local(commands[name], api_port), env, tmp_path / f"{name}.log")
            for name in ("api", "worker", "scheduler")
        }
        base = f"http://127.0.0.1:{api_port}"
        headers = {"Authorization": f"Bearer {token}"}
        try:
            wait_http(f"{base}/api/healthz")
            # An event POSTed to the API shows up in the next report.
            posted = httpx.post(
                f"{base}/api/events", json=course("action_plan", "Lolland", occurred_on="2019-08-15"), headers=headers
            )
            assert posted.status_code == 201, posted.text
            sent = httpx.post(
                f"{base}/api/reports/send", json={"kind": "quarterly_status", "period": "2019Q3"}, headers=headers
            )
            assert sent.status_code == 202 and sent.json()["recipients"] == len(CHIEFS)
            rows = wait_rows(tracker, "quarterly_status", "2019Q3")
            lolland = next(r for r in rows if r.municipality == "Lolland")
            assert (
                build_for(tracker, "quarterly_status", "2019Q3", "Lolland", lolland.position).quarter.courses[
                    "action_plan"
                ]
                == 1
            )
            assert len(sink.wait_for(len(CHIEFS))) == len(CHIEFS)

            # Redis goes away: logging and reading go on; the send is recorded and waits.
            stop_redis(redis_port)
            more = httpx.post(
                f"{base}/api/events", json=course("short", "Sorø", occurred_on="2019-11-04"), headers=headers
            )
            assert more.status_code == 201
            assert httpx.get(f"{base}/api/goals", params={"year": 2019}, headers=headers).status_code == 200
            queued = httpx.post(
                f"{base}/api/reports/send", json={"kind": "quarterly_status", "period": "2019Q4"}, headers=headers
            )
            assert queued.status_code == 202 and {d["state"] for d in queued.json()["dispatches"]} == {"pending"}
            assert "could not enqueue" in (tmp_path / "api.log").read_text()

            # Redis is back: the next firing of the scheduler's job catches up, once.
            redis_again = start_redis(redis_port, tmp_path)
            try:
                enqueue_with(settings, "reports.dispatch_due")
                wait_rows(tracker, "quarterly_status", "2019Q4")
                assert len(sink.wait_for(2 * len(CHIEFS))) == 2 * len(CHIEFS)
                enqueue_with(settings, "reports.dispatch_due")
                wait_idle(settings, workers=1)  # that run of the job, and whatever it enqueued, done
                assert len(sink.messages) == 2 * len(CHIEFS)
            finally:
                redis_again.terminate()
            assert processes["scheduler"].poll() is None  # the scheduler kept running throughout
        finally:
            stop_all(list(processes.values()))
        tracker.engine.dispose()


def stop_redis(port: int) -> None:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    try:  # without retries: redis-py would reconnect (and fail) for seconds to retry the SHUTDOWN
        redis.Redis(port=port, retry=Retry(NoBackoff(), 0)).shutdown(nosave=True)
    except redis.ConnectionError:
        pass  # the server closes the connection as it stops


def stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    """`tests.processes.stop` for several processes: all are told to stop first, then each is waited for."""
    for proc in processes:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in processes:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            stop(proc, signal.SIGKILL)


def enqueue_with(settings: Settings, task: str) -> None:
    """What a scheduler job does, with this test's settings (the job itself reads the environment)."""
    from services.worker.app import create_celery, send

    send(create_celery(settings), task)


def test_the_compose_file_pins_its_images_keeps_secrets_out_of_the_environment_and_mailpit_in_development() -> None:
    production = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    development = yaml.safe_load((ROOT / "docker-compose.override.yml").read_text())
    images = [s["image"] for s in [*production["services"].values(), *development["services"].values()] if "image" in s]
    assert images and all(re.fullmatch(r"[\w./-]+:v?\d+\.\d+(\.\d+)?(-[a-z]+)?", i) for i in images), (
        images
    )  # exact versions
    assert "mailpit" not in production["services"] and "mailpit" in development["services"]
    for name in ("prestart", "api", "worker", "scheduler"):
        service = production["services"][name]
        assert not any(
            ("PASSWORD" in key or "SECRET" in key) and not key.endswith("_DIR") for key in service["environment"]
        ), name
        assert {"ehsj_secret_key", "ehsj_smtp_password"} <= {
            s if isinstance(s, str) else s["target"] for s in service["secrets"]
        }
        assert "healthcheck" in service or name == "prestart"
    assert production["services"]["scheduler"]["deploy"]["replicas"] == 1
    assert set(production["volumes"]) == {"pgdata", "redisdata"}
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes" in dockerfile and "\nUSER ehsj" in dockerfile
