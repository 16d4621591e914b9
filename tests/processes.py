"""Real service processes for the tests: a private Redis, the `ehsj` commands as subprocesses."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from tests.mailsink import free_port
from tests.services import service_missing

EHSJ = str(Path(sys.executable).parent / "ehsj")


def start_redis(port: int, workdir: Path) -> subprocess.Popen[bytes]:
    binary = shutil.which("redis-server")
    if binary is None:
        service_missing("redis-server", "not installed")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            return proc
        except redis.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    service_missing("Redis", f"redis-server did not answer on port {port}")


@contextmanager
def private_redis(workdir: Path) -> Iterator[tuple[str, int]]:
    """A Redis server of this test's own (a real one), so tests can stop it without disturbing others."""
    port = free_port()
    proc = start_redis(port, workdir)
    try:
        yield f"redis://127.0.0.1:{port}/0", port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start an `ehsj` command (or, when args[0] is a path, that program) in its own process group."""
    command = args if args[0].startswith("/") else [EHSJ, *args]
    handle = log.open("ab")
    return subprocess.Popen(
        command, env={**os.environ, **env}, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)


def distributed_env(database_url: str, redis_url: str, smtp_port: int, **overrides: str) -> dict[str, str]:
    """The settings of the distributed setup (docker-compose.yml) pointed at this test's services."""
    from tests.conftest import CONTRACTS

    env = {
        "EHSJ_MODE": "distributed",
        "EHSJ_DATABASE_URL": database_url,
        "EHSJ_REDIS_URL": redis_url,
        "EHSJ_CONTRACTS_DIR": str(CONTRACTS),
        "EHSJ_SMTP_HOST": "127.0.0.1",
        "EHSJ_SMTP_PORT": str(smtp_port),
        "EHSJ_SMTP_STARTTLS": "false",
    }
    return env | {f"EHSJ_{key.upper()}": value for key, value in overrides.items()}
