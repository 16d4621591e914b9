"""The package as it is deployed: the wheel, built from the checkout and installed with the locked
dependencies (hash-checked) into a fresh virtualenv outside the checkout, runs the image's own
commands (docker-compose.yml) from an unrelated working directory — against the local PostgreSQL, a
private Redis database number and an SMTP test server: init (the packaged contract), demo, the API,
a worker and the scheduler all start and stay up, and a course POSTed to the API counts in the next
quarterly report sent."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
import redis

from ehsj_core.notify import ledger
from ehsj_core.notify.dispatch import build_for
from ehsj_core.settings import Settings
from ehsj_core.tracker import Tracker
from tests.conftest import ROOT
from tests.factories import course
from tests.integration.test_compose_services import compose_commands, wait_http
from tests.mailsink import free_port, smtp_server
from tests.processes import stop
from tests.services import fresh_postgres_database, service_missing

pytestmark = [pytest.mark.postgres, pytest.mark.installed]
SOURCES = ("pyproject.toml", "README.md", "contracts", "ehsj_core", "services")


def run(args: Sequence[str | Path], timeout: float = 600, **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=timeout, check=False, **kwargs
    )  # type: ignore[call-overload]
    assert done.returncode == 0, f"{args}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done  # type: ignore[no-any-return]


def build_and_install(tmp_path: Path) -> Path:
    """A wheel built from a copy of the sources (the checkout stays clean) and a virtualenv with the
    run lock installed --require-hashes, then the wheel --no-deps: what the Dockerfile does. The wheel
    is built (pip, in its isolated build environment) while the locked dependencies are installed;
    the virtualenv is made without a pip of its own and installed into by this pip (`--python`), and
    without compiling every module of every dependency to bytecode up front (`--no-compile`): the
    commands compile what they import (clean_env)."""
    source = tmp_path / "source"
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    wheels = tmp_path / "wheels"
    build_log = tmp_path / "pip-wheel.log"
    with build_log.open("w") as log:
        build = subprocess.Popen(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheels), str(source)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        venv = tmp_path / "venv"
        run([sys.executable, "-m", "venv", "--without-pip", venv])
        pip: list[str | Path] = [sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install"]
        pip += ["--quiet", "--no-compile"]
        try:
            run([*pip, "--require-hashes", "-r", ROOT / "requirements" / "run.lock"])
        except AssertionError as exc:
            service_missing("the package registry (or pip's cache)", str(exc)[-400:])
    finally:
        built = build.wait(timeout=600)
    assert built == 0, f"pip wheel: {built}\n{build_log.read_text()}"
    (wheel,) = wheels.glob("ehsj_goal_tracker-*.whl")
    run([*pip, "--no-deps", wheel])
    return venv / "bin"


def installed(command: list[str], bin_dir: Path, port: int) -> list[str]:
    """A compose service's command with the virtualenv's programs and this test's port."""
    return [str(bin_dir / command[0]), *(a if a != "8000" else str(port) for a in command[1:])]


def clean_env(bin_dir: Path, **settings: str) -> dict[str, str]:
    """Nothing of the checkout's: no EHSJ_* of the caller, no PYTHONPATH, no active virtualenv. And
    bytecode is written (whatever PYTHONDONTWRITEBYTECODE says): the virtualenv was installed without
    it, so the first command to import a module compiles it for all (in the image, pip's install did)."""
    dropped = ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if not k.startswith("EHSJ_") and k not in dropped}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return env | {f"EHSJ_{key.upper()}": value for key, value in settings.items()}


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def test_the_installed_wheel_runs_the_images_commands_outside_the_checkout(tmp_path: Path) -> None:
    started = time.monotonic()
    bin_dir = build_and_install(tmp_path)
    assert (
        not (bin_dir.parent / "lib")
        .joinpath("python3.11", "site-packages", "__editable__.ehsj_goal_tracker-0.1.0.pth")
        .exists()
    )
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    commands = compose_commands()
    redis_db = random.randint(8, 15)
    redis_url = f"redis://127.0.0.1:6379/{redis_db}"
    try:
        redis.Redis.from_url(redis_url).flushdb()
    except redis.ConnectionError as exc:
        service_missing("Redis", exc)
    with fresh_postgres_database() as url, smtp_server() as (sink, smtp_port):
        env = clean_env(
            bin_dir,
            mode="distributed",
            database_url=url,
            redis_url=redis_url,
            smtp_host="127.0.0.1",
            smtp_port=str(smtp_port),
            smtp_starttls="false",
            environment="production",
            secret_key="k" * 12 + "-installed-wheel-test-key",
        )

        def ehsj(*args: str) -> str:
            return run([bin_dir / "ehsj", *args], env=env, cwd=workdir, timeout=300).stdout

        prestart = run(installed(commands["prestart"], bin_dir, 0), env=env, cwd=workdir, timeout=300)
        assert "sjaelland-2019.yaml" in prestart.stdout  # the contract shipped inside the package
        ehsj("demo")
        token = ehsj("users", "create", "Dorte Direktør", "--role", "director").strip().splitlines()[-1]
        before = ehsj("report", "quarterly", "--period", "2019Q3", "--municipality", "Lolland")
        # What the services import, compiled to bytecode once (see clean_env) rather than by three
        # processes (five, with the API's two workers) at once.
        run([bin_dir / "python", "-c", "import services.api.app, services.worker.scheduler"], env=env, cwd=workdir)

        api_port = free_port()
        logs = {name: (tmp_path / f"{name}.log").open("ab") for name in ("api", "worker", "scheduler")}
        processes = {
            name: subprocess.Popen(
                installed(commands[name], bin_dir, api_port),
                env=env,
                cwd=workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            for name, log in logs.items()
        }
        base = f"http://127.0.0.1:{api_port}"
        headers = {"Authorization": f"Bearer {token}"}
        settings = Settings(database_url=url, mode="distributed", redis_url=redis_url, environment="test")
        tracker = Tracker(settings)
        try:
            wait_http(f"{base}/api/healthz")
            posted = httpx.post(
                f"{base}/api/events",
                json=course("action_plan", "Lolland", occurred_on="2019-08-15", company=987),
                headers=headers,
            )
            assert posted.status_code == 201, posted.text
            sent = httpx.post(
                f"{base}/api/reports/send",
                json={"kind": "quarterly_status", "period": "2019Q3"},
                headers=headers,
                timeout=60,
            )
            assert sent.status_code == 202 and sent.json()["recipients"] == 17, sent.text
            messages = sink.wait_for(17, timeout=120)
            assert len(messages) == 17
            rows = ledger.find_rows(tracker.engine, "quarterly_status", "2019Q3")
            lolland = next(r for r in rows if r.municipality == "Lolland")
            after = build_for(tracker, "quarterly_status", "2019Q3", "Lolland", lolland.position).quarter.courses[
                "action_plan"
            ]
            earlier = build_for(tracker, "quarterly_status", "2019Q3", "Lolland", lolland.position - 1).quarter.courses[
                "action_plan"
            ]
            assert after == earlier + 1  # the posted course is in the figures of the report sent
            (mail,) = [m for m in messages if lolland.email in str(m["To"])]
            text = text_of(mail).replace("\r\n", "\n").strip()
            assert text != before.strip()  # the preview from before the POST is out of date
            assert text == ehsj("report", "quarterly", "--period", "2019Q3", "--municipality", "Lolland").strip()
            time.sleep(2)
            for name, proc in processes.items():  # all stayed up
                assert proc.poll() is None, f"{name} exited: {(tmp_path / f'{name}.log').read_text()[-3000:]}"
        finally:
            for proc in processes.values():
                stop(proc)
            for log in logs.values():
                log.close()
            tracker.engine.dispose()
            redis.Redis.from_url(redis_url).flushdb()
    assert time.monotonic() - started < 180
