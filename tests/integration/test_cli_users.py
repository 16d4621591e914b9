"""`ehsj users` with passwords: create, set-password (asked twice, or given), list, disable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ehsj_core.accounts import attempt_sign_in, sign_in
from ehsj_core.db import create_db_engine
from ehsj_core.settings import Settings
from ehsj_core.throttle import ThrottleLimits
from ehsj_core.users import authenticate
from tests.conftest import CONTRACTS

EHSJ = str(Path(sys.executable).parent / "ehsj")


@pytest.fixture
def env(database_url: str) -> dict[str, str]:
    return {**os.environ, "EHSJ_DATABASE_URL": database_url, "EHSJ_CONTRACTS_DIR": str(CONTRACTS)}


def ehsj(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EHSJ, *args], env=env, capture_output=True, text=True, timeout=120, input=stdin)


def test_a_user_created_with_a_password_signs_in_and_set_password_replaces_it(
    env: dict[str, str], database_url: str
) -> None:
    assert ehsj(env, "init").returncode == 0
    engine = create_db_engine(database_url)
    created = ehsj(env, "users", "create", "Karen", "--role", "consultant", "--password", "første-adgangskode")
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip().splitlines()[-1].startswith("ehsj_")  # the token, alone on the last line
    assert sign_in(engine, "Karen", "første-adgangskode") is not None

    asked = ehsj(env, "users", "set-password", "Karen", stdin="anden-adgangskode\nanden-adgangskode\n")
    assert asked.returncode == 0, asked.stderr
    assert sign_in(engine, "Karen", "første-adgangskode") is None
    assert sign_in(engine, "Karen", "anden-adgangskode") is not None

    given = ehsj(env, "users", "set-password", "Karen", "--password", "tredje-adgangskode")
    assert given.returncode == 0 and sign_in(engine, "Karen", "tredje-adgangskode") is not None
    listing = ehsj(env, "users", "list")
    assert "Karen" in listing.stdout and "ja" in listing.stdout and "aktiv" in listing.stdout
    assert "tredje-adgangskode" not in listing.stdout + listing.stderr  # never shown

    assert ehsj(env, "users", "disable", "Karen").returncode == 0
    assert sign_in(engine, "Karen", "tredje-adgangskode") is None
    assert "deaktiveret" in ehsj(env, "users", "list").stdout
    engine.dispose()


def test_a_short_password_or_an_unknown_user_is_refused_with_the_field_named(env: dict[str, str]) -> None:
    assert ehsj(env, "init").returncode == 0
    short = ehsj(env, "users", "create", "Kim", "--role", "consultant", "--password", "kort")
    assert short.returncode == 2 and "password: adgangskoden skal have mindst 10 tegn" in short.stderr
    unknown = ehsj(env, "users", "set-password", "Ingen", "--password", "en-lang-adgangskode")
    assert unknown.returncode == 2 and "findes ikke" in unknown.stderr
    mismatch = ehsj(env, "users", "set-password", "Ingen", stdin="en-lang-adgangskode\nen-anden-kode\n")
    assert mismatch.returncode == 2 and "de to adgangskoder er ikke ens" in mismatch.stderr


def test_tokens_are_listed_created_and_revoked_and_a_locked_name_is_unlocked(
    env: dict[str, str], database_url: str
) -> None:
    assert ehsj(env, "init").returncode == 0
    engine = create_db_engine(database_url)
    first = ehsj(env, "users", "create", "Robot", "--role", "auditor").stdout.strip().splitlines()[-1]
    made = ehsj(env, "users", "token-create", "Robot", "--name", "backup")
    assert made.returncode == 0, made.stderr
    backup = made.stdout.strip().splitlines()[-1]
    assert backup.startswith("ehsj_") and authenticate(engine, backup) is not None
    listing = ehsj(env, "users", "tokens", "Robot")
    assert "backup" in listing.stdout and "standard" in listing.stdout and "gyldig" in listing.stdout
    assert backup not in listing.stdout and first not in listing.stdout
    twice = ehsj(env, "users", "token-create", "Robot", "--name", "backup")
    assert twice.returncode == 2 and "token_name: Robot har allerede en gyldig nøgle" in twice.stderr

    assert ehsj(env, "users", "token-revoke", "Robot", "--name", "backup").returncode == 0
    assert authenticate(engine, backup) is None and authenticate(engine, first) is not None
    assert "tilbagekaldt" in ehsj(env, "users", "tokens", "Robot").stdout
    gone = ehsj(env, "users", "token-revoke", "Robot", "--name", "backup")
    assert gone.returncode == 2 and "ingen gyldig nøgle ved navn 'backup'" in gone.stderr
    replaced = ehsj(env, "users", "token", "Robot").stdout.strip()
    assert authenticate(engine, first) is None and authenticate(engine, replaced) is not None

    limits = ThrottleLimits.of(Settings(database_url=database_url))
    for _ in range(limits.max_failures):
        attempt_sign_in(engine, limits, "Robot", "forkert-forkert", "10.0.0.9")
    assert "låst til" in ehsj(env, "users", "list").stdout
    assert ehsj(env, "users", "unlock", "robot").returncode == 0
    assert "låst" not in ehsj(env, "users", "list").stdout
    assert ehsj(env, "users", "unlock").returncode == 2
    assert ehsj(env, "users", "unlock", "--address", "10.0.0.9").returncode == 0
    assert ehsj(env, "users", "end-sessions", "Robot").returncode == 0
    assert ehsj(env, "users", "end-sessions", "Ingen").returncode == 2
    engine.dispose()
