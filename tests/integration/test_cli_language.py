"""One language on the command line: every command, option and argument has Danish help; the closed
choices are enums that Typer checks; every error goes to standard error with the exit code that
`--help` documents; every reading command has --json whose output parses; `ehsj status` prints Danish
numbers. The commands run on a real SQLite database (Typer's runner), the error paths also as a real
`ehsj` process."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from ehsj_core.access_log import ACTIONS
from ehsj_core.notify.ledger import STATES
from ehsj_core.notify.recipients import RECIPIENT_ROLES
from ehsj_core.reports.kinds import NAMES
from ehsj_core.settings import get_settings
from ehsj_core.users import ROLES
from services.cli import choices
from services.cli.exit_codes import EPILOG, MEANINGS, ExitCode
from services.cli.main import app
from tests.conftest import CONTRACTS
from tests.factories import course, cvr
from tests.mailsink import free_port
from tests.processes import EHSJ

# Words that only English help uses (Danish "to" is "two", so " to " is not among them).
ENGLISH = re.compile(
    r"\b(the|of|and|or|with|when|is|are|file to|Show|Print|Create|List|Send|Write|default|seconds|e\.g\.)\b"
)
# The commands that only read, and what they need after their name.
READING: dict[tuple[str, ...], tuple[str, ...]] = {
    ("status",): ("--year", "2019"),
    ("users", "list"): (),
    ("users", "tokens"): ("Dorte",),
    ("report", "list"): (),
    ("recipients", "list"): (),
    ("audit", "verify"): (),
    ("audit", "replay"): ("--year", "2019"),
    ("audit", "diff"): ("--year", "2019", "--from", "0", "--to", "head"),
    ("audit", "reproduce"): ("1",),
    ("audit", "verify-file"): ("EXPORT",),
    ("access-log",): (),
}


def walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    if isinstance(command, TyperGroup):
        for name, sub in command.commands.items():
            yield from walk(sub, (*path, name))


TREE = dict(walk(typer.main.get_command(app)))


def params_of(path: tuple[str, ...], command: Any) -> list[Any]:
    ctx = typer.Context(command, info_name=" ".join(("ehsj", *path)))
    return list(command.get_params(ctx))


@pytest.mark.parametrize("path", sorted(TREE), ids=lambda p: " ".join(("ehsj", *p)))
def test_every_command_option_and_argument_has_danish_help(path: tuple[str, ...]) -> None:
    command = TREE[path]
    texts = {"(kommandoen)": command.help or ""}
    texts |= {"/".join(p.opts): getattr(p, "help", None) or "" for p in params_of(path, command)}
    for what, text in texts.items():
        assert text.strip(), f"ehsj {' '.join(path)} {what}: ingen hjælpetekst"
        english = ENGLISH.search(text)
        assert english is None, f"ehsj {' '.join(path)} {what}: engelsk ({english.group(0)!r}) i {text!r}"


def test_the_exit_codes_are_in_the_help_of_the_app_and_of_every_group() -> None:
    assert [int(code) for code in MEANINGS] == [0, 1, 2, 3]
    shown = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "300"})
    assert shown.exit_code == 0
    for code, meaning in MEANINGS.items():
        assert f"{int(code)}: {meaning}" in shown.stdout
    groups = {path: c for path, c in TREE.items() if isinstance(c, TyperGroup)}
    assert len(groups) >= 9
    for path, group in groups.items():
        if path == ("health",):  # Docker's HEALTHCHECK knows 0 and 1 only
            epilog = group.epilog or ""
            assert epilog.startswith("Afslutningskoder:") and "0: sund" in epilog and "1: usund" in epilog
        else:
            assert group.epilog == EPILOG, path


def test_the_choices_are_the_cores_words_and_typer_refuses_others() -> None:
    assert tuple(choices.Role) == ROLES
    assert tuple(choices.RecipientRole) == RECIPIENT_ROLES
    assert tuple(choices.ReportKind) == NAMES
    assert tuple(choices.DispatchState) == STATES
    assert tuple(choices.AccessAction) == tuple(ACTIONS)
    [role] = [p for p in params_of(("users", "create"), TREE[("users", "create")]) if p.name == "role"]
    assert role.required
    for value in ROLES:  # the help says what each role is
        assert re.search(rf"{value} \((forretningsudvikler|direktør|revisor|erhvervschef|national læser)", role.help)


# --- on a real database ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ran:
    code: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class World:
    env: dict[str, str]
    tmp: Path

    def run(self, *args: str, env: dict[str, str] | None = None) -> Ran:
        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(app, list(args), env=env or self.env)
        finally:
            get_settings.cache_clear()
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        return Ran(result.exit_code, result.stdout, result.stderr)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """1,000 short courses, three growth plans with their evaluations, a user, a recipient, a sent report."""
    tmp = tmp_path_factory.mktemp("language")
    env = {
        "EHSJ_DATABASE_URL": f"sqlite:///{tmp / 'ehsj.sqlite3'}",
        "EHSJ_CONTRACTS_DIR": str(CONTRACTS),
        "EHSJ_OUTBOX_DIR": str(tmp / "outbox"),
        "EHSJ_MODE": "embedded",
        "COLUMNS": "200",
    }
    w = World(env, tmp)
    assert w.run("init").code == 0
    assert w.run("users", "create", "Dorte", "--role", "director").code == 0
    lines = [course("short", company=n) for n in range(1, 1001)]
    lines += [course("growth_plan", "Sorø", company=2000 + 100 * n) for n in range(3)]
    lines += [
        {
            "type": "evaluation.received",
            "occurred_on": "2019-05-01",
            "data": {
                "course_type": "growth_plan",
                "company_cvr": cvr(2000 + 100 * n),
                "nps": nps,
                "satisfaction": satisfaction,
                "consultant_competence": 5,
                "effect": ["hoj", "nogen", "lav", "hoj", "ved_ikke", "hoj", "nogen"],
            },
        }
        for n, (nps, satisfaction) in enumerate([(10, 5), (9, 4), (3, 2)])
    ]
    events = tmp / "events.jsonl"
    events.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines), encoding="utf-8")
    appended = w.run("events", "append", str(events), "--as", "Dorte")
    assert appended.code == 0, appended.stderr
    added = w.run("recipients", "add", "--role", "k17", "--name", "K17", "--email", "k17@example.org")
    assert added.code == 0, added.stderr
    sent = w.run("report", "half-year", "--period", "2019H1", "--send")
    assert sent.code == 0, sent.stderr
    exported = w.run("audit", "export", "--year", "2019", str(tmp / "export.jsonl"))
    assert exported.code == 0, exported.stderr
    return w


def test_every_reading_command_has_json_and_its_output_parses(world: World) -> None:
    reading = {path for path, c in TREE.items() if "--json" in {o for p in params_of(path, c) for o in p.opts}}
    assert set(READING) <= reading
    for path, rest in READING.items():
        args = [str(world.tmp / "export.jsonl") if a == "EXPORT" else a for a in rest]
        if path == ("audit", "diff"):
            head = json.loads(world.run("status", "--year", "2019", "--json").stdout)["position"]
            args = [str(head) if a == "head" else a for a in args]
        ran = world.run(*path, *args, "--json")
        assert ran.code == 0, (path, ran.stderr)
        if path == ("access-log",):  # JSON Lines
            parsed: Any = [json.loads(line) for line in ran.stdout.splitlines()]
        else:
            parsed = json.loads(ran.stdout)
        assert parsed, path
    users = json.loads(world.run("users", "list", "--json").stdout)
    assert users == [
        {
            "name": "Dorte",
            "role": "director",
            "municipality": None,
            "has_password": False,
            "disabled": False,
            "locked_until": None,
            "created_at": users[0]["created_at"],
        }
    ]
    [row] = json.loads(world.run("report", "list", "--json").stdout)
    assert (row["kind"], row["period"], row["state"], row["email"]) == (
        "half_year_report",
        "2019H1",
        "sent",
        "k17@example.org",
    )
    assert isinstance(row["position"], int) and isinstance(row["attempts"], int)
    filtered = world.run("report", "list", "--kind", "quarterly_status", "--state", "sent", "--json")
    assert json.loads(filtered.stdout) == []


def test_status_prints_danish_numbers_dates_and_percentages(world: World) -> None:
    data = json.loads(world.run("status", "--year", "2019", "--json").stdout)
    short = next(t for g in data["goals"] for t in g["targets"] if t["key"] == "short_courses")
    assert short["actual"] == 1000 and data["position"] == 1006  # numbers as numbers in JSON
    table = world.run("status", "--year", "2019").stdout
    assert "1.000" in table and "logposition 1.006" in table
    assert re.search(
        r"bedømt \d{1,2}\. (januar|februar|marts|april|maj|juni|juli|august|september|oktober|"
        r"november|december) \d{4}",
        table,
    )
    assert re.search(r"\d+,\d %", table), table  # a share with a decimal comma and a space before %
    assert not re.search(r"\d\.\d{1,2}(?!\d)", table), table  # no English decimal point


def test_errors_go_to_standard_error_with_the_documented_exit_code(world: World) -> None:
    unknown = world.run("users", "tokens", "Nemo")
    assert (unknown.code, unknown.stdout) == (ExitCode.REFUSED, "") and "findes ikke" in unknown.stderr
    missing = world.run("events", "append", str(world.tmp / "ingen.jsonl"), "--as", "Dorte")
    assert (missing.code, missing.stdout) == (ExitCode.REFUSED, "")
    assert "findes ikke" in missing.stderr and "does not exist" not in missing.stderr
    bad_json = world.tmp / "skrald.jsonl"
    bad_json.write_text("{ikke json\n", encoding="utf-8")
    broken = world.run("events", "append", str(bad_json), "--as", "Dorte")
    assert (broken.code, broken.stdout) == (ExitCode.REFUSED, "") and "linje 1: ugyldig JSON" in broken.stderr
    role = world.run("users", "create", "Bo", "--role", "boss")
    assert role.code == ExitCode.REFUSED and "'boss' er ikke en af 'consultant', 'director'" in role.stderr
    assert "Invalid value" not in role.stderr and "Usage" not in role.stderr
    not_found = world.run("audit", "reproduce", "999")
    assert (not_found.code, not_found.stdout) == (ExitCode.REFUSED, "")
    unreadable = world.run("status", "--year", "2019", "--as-of", "i går")
    assert (unreadable.code, unreadable.stdout) == (ExitCode.REFUSED, "") and "as_of" in unreadable.stderr


def test_a_database_that_does_not_answer_is_one_line_and_exit_code_3(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "EHSJ_DATABASE_URL": f"postgresql+psycopg://ehsj:x@127.0.0.1:{free_port()}/ehsj",  # nobody listens
        "EHSJ_CONTRACTS_DIR": str(CONTRACTS),
    }
    for args in (["status", "--json"], ["users", "list"], ["audit", "verify"]):
        done = subprocess.run([EHSJ, *args], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == ExitCode.UNAVAILABLE, (args, done.stderr)
        assert done.stdout == "" and "Traceback" not in done.stderr
        [line] = done.stderr.strip().splitlines()
        assert line.startswith("Databasen svarer ikke"), line
    empty = {**env, "EHSJ_DATABASE_URL": f"sqlite:///{tmp_path / 'tom.sqlite3'}"}  # never initialised
    done = subprocess.run([EHSJ, "users", "list"], env=empty, capture_output=True, text=True, timeout=120)
    assert done.returncode == ExitCode.UNAVAILABLE and "kør `ehsj init`" in done.stderr
