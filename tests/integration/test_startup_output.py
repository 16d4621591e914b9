"""`ehsj serve` and `ehsj worker` as real processes: once they are up, their output holds no warning
and no traceback (the Celery tasks are registered once, at module level)."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import CONTRACTS
from tests.mailsink import free_port
from tests.processes import EHSJ, distributed_env, private_redis, stop
from tests.services import fresh_postgres_database

SECRET = "startup-test-secret-key-of-sufficient-length-0123456789"


def _clean(output: str) -> None:
    assert "Warning" not in output, output
    assert "Traceback" not in output, output


def _wait_for(predicate: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return
        time.sleep(0.2)
    raise AssertionError("not up in time")


@pytest.mark.parametrize("mode", ["embedded", "distributed"])
def test_serve_starts_without_a_warning(mode: str, tmp_path: Path) -> None:
    """Embedded: the API's Celery app and the scheduler's in one process (where the duplicate task
    names showed); distributed: the API alone (its broker need not answer to start)."""
    port = free_port()
    env = {
        **os.environ,
        "EHSJ_MODE": mode,
        "EHSJ_DATABASE_URL": f"sqlite:///{tmp_path / 'ehsj.sqlite3'}",
        "EHSJ_CONTRACTS_DIR": str(CONTRACTS),
        "EHSJ_OUTBOX_DIR": str(tmp_path / "outbox"),
        "EHSJ_SECRET_KEY": SECRET,
        "PYTHONWARNINGS": "default",  # show every warning once, as `make run` would
    }
    assert subprocess.run([EHSJ, "init"], env=env, capture_output=True, timeout=120).returncode == 0
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [EHSJ, "serve", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:

        def up() -> bool:
            assert proc.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/healthz", timeout=2) as answer:
                    return bool(answer.status == 200)
            except OSError:
                return False

        _wait_for(up)
        time.sleep(2)  # the scheduler's catch-up job runs at start
    finally:
        stop(proc)
    output = log.read_text()
    assert "Application startup complete" in output
    _clean(output)


@pytest.mark.postgres
def test_worker_starts_without_a_warning(tmp_path: Path) -> None:
    with fresh_postgres_database() as url, private_redis(tmp_path) as (redis_url, _port):
        env = {
            **os.environ,
            **distributed_env(url, redis_url, free_port()),
            "EHSJ_SECRET_KEY": SECRET,
            "PYTHONWARNINGS": "default",
        }
        assert subprocess.run([EHSJ, "init"], env=env, capture_output=True, timeout=120).returncode == 0
        log = tmp_path / "worker.log"
        if os.geteuid() == 0:  # Celery rightly warns about a worker run as root; the image runs it as a user
            env["PYTHONWARNINGS"] = "default,ignore:You're running the worker with superuser privileges"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [EHSJ, "worker", "--concurrency", "1", "--pool", "solo"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:

            def up() -> bool:
                assert proc.poll() is None, log.read_text()
                return "ready." in log.read_text()

            _wait_for(up)
            time.sleep(1)
        finally:
            stop(proc)
    output = log.read_text()
    for name in (
        "reports.send",
        "reports.deliver",
        "reports.dispatch_due",
        "reports.send_reminders",
        "reports.retry_open",
    ):
        assert f". {name}\n" in output, output  # the worker's banner lists its tasks
    _clean(output)
