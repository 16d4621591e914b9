"""The `ehsj` command as a user runs it: a real process with settings from the environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ehsj_core.db import create_db_engine
from ehsj_core.users import authenticate
from tests.conftest import CONTRACTS
from tests.factories import course

EHSJ = str(Path(sys.executable).parent / "ehsj")


@pytest.fixture
def env(database_url: str) -> dict[str, str]:
    return {**os.environ, "EHSJ_DATABASE_URL": database_url, "EHSJ_CONTRACTS_DIR": str(CONTRACTS)}


def ehsj(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EHSJ, *args], env=env, capture_output=True, text=True, timeout=120)


def test_init_users_append_and_status_work_end_to_end(env: dict[str, str], tmp_path: Path, database_url: str) -> None:
    assert ehsj(env, "init").returncode == 0
    created = ehsj(env, "users", "create", "Karen", "--role", "consultant")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    principal = authenticate(create_db_engine(database_url), token)
    assert principal is not None and principal.role == "consultant"

    lines = [course("short", company=n) for n in range(1, 4)] + [course("growth_plan", "Sorø", company=9)]
    file = tmp_path / "events.jsonl"
    file.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n", encoding="utf-8")
    first = ehsj(env, "events", "append", str(file), "--as", "Karen")
    assert first.returncode == 0, first.stderr
    assert "4 nye hændelser" in first.stderr
    again = ehsj(env, "events", "append", str(file), "--as", "Karen")
    assert "0 nye hændelser gemt, 4 fandtes allerede" in again.stderr

    status = ehsj(env, "status", "--year", "2019", "--json")
    report = json.loads(status.stdout)
    goal1 = next(g for g in report["goals"] if g["id"] == "1")
    assert next(t for t in goal1["targets"] if t["key"] == "short_courses")["actual"] == 3
    table = ehsj(env, "status", "--year", "2019")
    assert "Korte forløb" in table.stdout


def test_a_bad_line_stores_nothing_and_names_the_line(env: dict[str, str], tmp_path: Path) -> None:
    assert ehsj(env, "init").returncode == 0
    file = tmp_path / "events.jsonl"
    rows = [course("short"), course("short", municipality="Atlantis")]
    file.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert ehsj(env, "users", "create", "Karen", "--role", "consultant").returncode == 0
    result = ehsj(env, "events", "append", str(file), "--as", "Karen")
    assert result.returncode == 2
    assert "linje 2: data.municipality: ukendt kommune" in result.stderr
    status = json.loads(ehsj(env, "status", "--year", "2019", "--json").stdout)
    assert status["position"] == 0


def test_the_cli_appends_as_a_known_user_and_with_that_users_role(env: dict[str, str], tmp_path: Path) -> None:
    assert ehsj(env, "init").returncode == 0
    file = tmp_path / "events.jsonl"
    file.write_text(json.dumps(course("short")) + "\n", encoding="utf-8")
    unknown = ehsj(env, "events", "append", str(file), "--as", "Nemo")
    assert unknown.returncode == 2 and "brugeren 'Nemo' findes ikke" in unknown.stderr
    assert ehsj(env, "users", "create", "Anders", "--role", "auditor").returncode == 0
    auditor = ehsj(env, "events", "append", str(file), "--as", "Anders")
    assert auditor.returncode == 2 and "rollen 'auditor' må ikke registrere hændelser" in auditor.stderr
    status = json.loads(ehsj(env, "status", "--year", "2019", "--json").stdout)
    assert status["position"] == 0


def test_a_chief_needs_a_known_municipality(env: dict[str, str]) -> None:
    assert ehsj(env, "init").returncode == 0
    refused = ehsj(env, "users", "create", "Lars", "--role", "chief", "--municipality", "Atlantis")
    assert refused.returncode == 2 and "ukendt kommune" in refused.stderr
    accepted = ehsj(env, "users", "create", "Lars", "--role", "chief", "--municipality", "lolland")
    assert accepted.returncode == 0
    listing = ehsj(env, "users", "list")
    assert "Lolland" in listing.stdout
