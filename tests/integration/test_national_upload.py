"""A house's installation sends its export to the national installation (issue 14): the house upload
tokens, the upload endpoint, the ledger that sends each head position once, the schedule. A national
installation served by a real uvicorn over HTTP and a house installation in another database, on
SQLite and PostgreSQL."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pydantic import SecretStr
from typer.testing import CliRunner

from ehsj_core.audit.export import contract_sha256_of, export_to
from ehsj_core.db import create_db_engine
from ehsj_core.houses import house_book_for
from ehsj_core.national import tokens, uploads
from ehsj_core.national.schedule import next_send_at, year_to_send
from ehsj_core.national.sending import SendResult, post_export, send_export, stale_after_seconds
from ehsj_core.settings import Settings, get_settings
from ehsj_core.setup import initialise
from ehsj_core.tracker import Tracker
from ehsj_core.users import create_user
from services.cli.main import app as cli
from services.worker.app import create_celery, send
from services.worker.national_trigger import QuarterTrigger
from services.worker.scheduler import NATIONAL_JOB, build_scheduler, install_jobs, national_triggers
from tests.conftest import CONTRACTS
from tests.e2e.conftest import LiveApp, served
from tests.factories import Actor, course
from tests.mailsink import free_port
from tests.services import fresh_postgres_database

CPH = ZoneInfo("Europe/Copenhagen")
UPLOAD_LIMIT = 64 * 1024  # the national installation's import_max_bytes here: a few events' export is ~5 KB


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Two databases: the house's installation and the national one."""
    if request.param == "sqlite":
        yield {name: f"sqlite:///{tmp_path / f'{name}.sqlite3'}" for name in ("house", "national")}
        return
    with ExitStack() as stack:
        yield {name: stack.enter_context(fresh_postgres_database()) for name in ("house", "national")}


@dataclass
class World:
    house: Tracker
    national: LiveApp
    token: str  # Sjælland's upload token on the national installation

    def settings(self, **changes: Any) -> Settings:
        values: dict[str, Any] = {"national_url": self.national.base_url, "national_token": self.token} | changes
        if isinstance(values["national_token"], str):
            values["national_token"] = SecretStr(values["national_token"])
        return self.house.settings.model_copy(update=values)  # as the environment would set them

    def send(self, year: int = 2019, now: datetime | None = None, **changes: Any) -> SendResult:
        retry_failed = bool(changes.pop("retry_failed", False))
        return send_export(
            self.house.engine,
            self.house.log,
            "sjaelland",
            year,
            self.settings(**changes),
            now,
            book=self.house.contract_book(),
            retry_failed=retry_failed,
        )

    def national_exports(self) -> list[Any]:
        with self.national.tracker.engine.connect() as conn:
            return list(conn.execute(sa.text("SELECT * FROM national_exports ORDER BY id")).all())

    def national_rows(self) -> int:
        with self.national.tracker.engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM national_rows")).scalar_one())

    def ledger(self) -> list[uploads.UploadRow]:
        return list(reversed(uploads.list_rows(self.house.engine)))

    def log_events(self, *dates: str) -> None:
        events = [course("short", "Sorø", day, company=n + 1) for n, day in enumerate(dates)]
        self.house.append({"events": events}, by=Actor("Karen"))


def _installation(url: str, tmp: Path, **extra: Any) -> Tracker:
    settings = Settings(
        database_url=url,
        contracts_dir=CONTRACTS,
        environment="test",
        house="sjaelland",
        outbox_dir=tmp / "outbox",
        **extra,
    )
    engine = create_db_engine(settings.database_url)
    initialise(engine, settings.contracts_dir)
    return Tracker(settings, engine)


@pytest.fixture
def world(urls: dict[str, str], tmp_path: Path) -> Iterator[World]:
    national = _installation(urls["national"], tmp_path / "national", import_max_bytes=UPLOAD_LIMIT)
    house = _installation(urls["house"], tmp_path / "house")
    _info, token = tokens.create_token(national.engine, national.houses, "sjaelland", "Sjællands server")
    try:
        with served(national.settings, national) as live:
            w = World(house, live, token)
            w.log_events("2019-02-01", "2019-03-04", "2019-05-06")
            yield w
    finally:
        house.engine.dispose()
        national.engine.dispose()


# --- sending -----------------------------------------------------------------------------------------------
def test_an_export_is_sent_once_and_a_later_head_extends_it(world: World) -> None:
    first = world.send()
    assert (first.outcome, first.national_status, first.head_position) == ("sent", "added", 3)
    again = world.send()
    assert again.outcome == "already_sent" and again.head_position == 3
    assert len(world.national_exports()) == 1 and world.national_rows() == 3
    [row] = world.ledger()
    assert (row.status, row.attempts, row.head_position, row.year) == ("sent", 1, 3, 2019)
    assert json.loads(row.response or "")["status"] == "added"

    world.log_events("2019-06-07")
    later = world.send()
    assert (later.outcome, later.national_status, later.head_position) == ("sent", "added", 4)
    exports = world.national_exports()
    assert [e.head_position for e in exports] == [3, 4] and world.national_rows() == 4
    assert [e.received_via for e in exports] == ["upload", "upload"]
    assert exports[0].received_by.startswith("token ") and exports[0].received_by.endswith("Sjællands server")
    assert [(r.head_position, r.status) for r in world.ledger()] == [(3, "sent"), (4, "sent")]


def test_nothing_is_sent_without_a_national_url_or_from_an_empty_log(world: World, tmp_path: Path) -> None:
    assert world.send(national_url=None).outcome == "not_configured"
    assert world.send(national_token=None).outcome == "not_configured"
    empty = _installation(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path / "empty")
    result = send_export(empty.engine, empty.log, "sjaelland", 2019, world.settings(), book=empty.contract_book())
    assert result.outcome == "empty"
    assert world.ledger() == [] and world.national_exports() == []


def test_a_crash_between_the_post_and_the_ledger_is_repaired_by_sending_again(world: World, tmp_path: Path) -> None:
    settings = world.settings()
    now = datetime.now(UTC)
    path = tmp_path / "export.jsonl"
    contract = contract_sha256_of(world.house.contract_book(), "sjaelland", 2019)
    position, head_hash = export_to(world.house.log, "sjaelland", 2019, path, contract_sha256=contract)
    row = uploads.ensure(world.house.engine, 2019, position, head_hash, now)
    assert uploads.claim(world.house.engine, row.id, stale_after_seconds(settings), now) is not None
    answer = post_export(settings, path)  # the national side stores it; the process dies before the ledger
    assert (answer.kind, answer.national_status) == ("accepted", "added")
    assert [r.status for r in world.ledger()] == ["sending"]

    assert world.send(now=now).outcome == "busy"  # held, as far as anyone can tell, by a live attempt
    retry = world.send(now=now + timedelta(seconds=stale_after_seconds(settings) + 1))
    assert (retry.outcome, retry.national_status) == ("sent", "already_received")
    assert len(world.national_exports()) == 1 and world.national_rows() == 3
    [done] = world.ledger()
    assert (done.status, done.attempts) == ("sent", 2)


def test_a_wrong_token_fails_with_the_reason_and_is_not_retried_by_itself(world: World) -> None:
    result = world.send(national_token="ehsjhus_" + "x" * 43)
    assert result.outcome == "failed"
    assert result.reason is not None and "HTTP 401" in result.reason and "uploadnøgle" in result.reason
    [row] = world.ledger()
    assert (row.status, row.attempts) == ("failed", 1) and row.last_error == result.reason
    # The scheduler's attempt leaves it failed (nothing sent); a person sends it again with the right token.
    assert world.send().outcome == "failed" and world.ledger()[0].attempts == 1
    fixed = world.send(retry_failed=True)
    assert (fixed.outcome, fixed.national_status) == ("sent", "added")
    assert world.ledger()[0].status == "sent" and len(world.national_exports()) == 1


def test_a_revoked_token_is_refused(world: World) -> None:
    [info] = tokens.list_tokens(world.national.tracker.engine)
    tokens.revoke_token(world.national.tracker.engine, info.id)
    result = world.send()
    assert result.outcome == "failed" and result.reason is not None and "HTTP 401" in result.reason
    assert world.national_exports() == []


def test_a_token_of_another_house_is_refused_403(world: World) -> None:
    national = world.national.tracker
    _info, fyn = tokens.create_token(national.engine, national.houses, "fyn")
    result = world.send(national_token=fyn)
    assert result.outcome == "failed" and result.reason is not None
    assert "HTTP 403" in result.reason and "fyn" in result.reason
    assert world.ledger()[0].status == "failed" and world.national_exports() == []


def test_a_national_server_that_is_down_leaves_the_row_pending_until_it_is_up(world: World) -> None:
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    result = world.send(national_url=down)
    assert result.outcome == "retry" and result.reason is not None and "kan ikke nås" in result.reason
    [row] = world.ledger()
    assert (row.status, row.attempts) == ("pending", 1) and row.last_error == result.reason
    assert world.national_exports() == []
    up = world.send()
    assert (up.outcome, up.national_status) == ("sent", "added")
    [row] = world.ledger()
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)


def test_a_pending_head_is_superseded_when_a_later_one_is_sent(world: World) -> None:
    assert world.send(national_url=f"http://127.0.0.1:{free_port()}").outcome == "retry"
    world.log_events("2019-07-08")
    assert world.send().outcome == "sent"
    assert [(r.head_position, r.status) for r in world.ledger()] == [(3, "superseded"), (4, "sent")]


def test_the_worker_task_sends_the_export_in_process(world: World) -> None:
    settings = world.settings(mode="embedded")
    send(create_celery(settings), "ehsj.national.send_export", 2019)
    [row] = world.ledger()
    assert row.status == "sent" and len(world.national_exports()) == 1


# --- the endpoint ------------------------------------------------------------------------------------------
def _post(world: World, body: Any, token: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/x-ndjson"} | ({"Authorization": f"Bearer {token}"} if token else {})
    return httpx.post(world.national.url("/api/national/exports"), content=body, headers=headers, timeout=30)


def test_the_endpoint_takes_the_house_token_only(world: World) -> None:
    user_token = create_user(world.national.tracker.engine, "Dorte Direktør", "director")
    for token in (None, user_token, "ehsjhus_unknown"):
        answer = _post(world, b"{}\n", token)
        assert answer.status_code == 401, token
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert "uploadnøgle" in answer.json()["detail"]


def test_the_endpoint_refuses_a_bad_file_with_the_problems_and_a_large_one_with_413(world: World) -> None:
    garbage = _post(world, b"not json at all\n", world.token)
    assert garbage.status_code == 422
    problem = garbage.json()
    assert problem["errors"] and problem["errors"][0]["field"] and "ikke i orden" in problem["detail"]

    too_big = _post(world, b"x" * (UPLOAD_LIMIT + 1), world.token)
    assert too_big.status_code == 413 and "højst" in too_big.json()["errors"][0]["problem"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: refused as the body streams past the limit
        for _ in range(10):
            yield b"y" * (UPLOAD_LIMIT // 4)

    streamed = _post(world, chunks(), world.token)
    assert streamed.status_code == 413
    assert world.national_exports() == []


HOSTILE = [
    b"",
    b"\xff\xfe\x00\x01",
    b"[]\n",
    b"null\n",
    b'{"record": "header"}\n',
    b'{"record": "header", "format": "ehsj-event-log", "version": 1, "house": ["sjaelland"], "year": "2019"}\n',
    b'{"record": "trailer", "events": 0}\n' * 3,
    b"{" * 10_000,
]


@given(
    body=st.one_of(
        st.sampled_from(HOSTILE),
        st.binary(max_size=2048),
        st.lists(st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8), max_size=4), max_size=4).map(
            lambda lines: b"".join(json.dumps(line).encode() + b"\n" for line in lines)
        ),
    )
)
@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_endpoint_refuses_garbage_with_a_problem_never_an_error(world: World, body: bytes) -> None:
    answer = _post(world, body, world.token)
    assert answer.status_code == 422, (body[:80], answer.status_code, answer.text[:300])
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["errors"]


def test_the_endpoint_answers_201_then_200_for_the_same_export(world: World, tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    contract = contract_sha256_of(world.house.contract_book(), "sjaelland", 2019)
    export_to(world.house.log, "sjaelland", 2019, path, contract_sha256=contract)
    first = _post(world, path.read_bytes(), world.token)
    assert first.status_code == 201 and first.json()["status"] == "added" and first.json()["new_rows"] == 3
    second = _post(world, path.read_bytes(), world.token)
    assert second.status_code == 200 and second.json()["status"] == "already_received"
    assert second.json()["export_id"] == first.json()["export_id"]


# --- tokens ------------------------------------------------------------------------------------------------
def test_a_token_is_stored_as_its_hash_and_names_its_house(engine: sa.Engine) -> None:
    houses = house_book_for(CONTRACTS)
    info, token = tokens.create_token(engine, houses, "fyn")
    assert token.startswith(tokens.PREFIX) and info.name == "fyn"
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT token_hash FROM national_house_tokens")).scalar_one()
    assert stored == tokens.hash_token(token) and token not in stored
    found = tokens.authenticate(engine, token)
    assert found == tokens.Uploader("fyn", info.id, "fyn")
    used = tokens.list_tokens(engine)[0].last_used_at
    assert used is not None
    tokens.authenticate(engine, token)  # within the minute: last_used_at is not written again
    assert tokens.list_tokens(engine)[0].last_used_at == used
    with pytest.raises(tokens.TokenError, match="ukendt erhvervshus"):
        tokens.create_token(engine, houses, "atlantis")
    with pytest.raises(tokens.TokenError, match="allerede en gyldig nøgle"):
        tokens.create_token(engine, houses, "fyn")


def _cli(env: dict[str, str], *args: str) -> Any:
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli, list(args), env=env)
    finally:
        get_settings.cache_clear()


def test_tokens_are_made_listed_and_revoked_through_the_cli(database_url: str) -> None:
    env = {"EHSJ_DATABASE_URL": database_url, "EHSJ_CONTRACTS_DIR": str(CONTRACTS), "COLUMNS": "200"}
    assert _cli(env, "init").exit_code == 0
    made = _cli(env, "national", "token-create", "--house", "fyn", "--name", "Fyns server")
    assert made.exit_code == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]
    assert token.startswith(tokens.PREFIX) and "vises kun denne ene gang" in " ".join(made.stderr.split())
    listed = _cli(env, "national", "tokens", "--json")
    [entry] = json.loads(listed.stdout)
    assert (entry["house"], entry["name"], entry["valid"]) == ("fyn", "Fyns server", True)
    assert token not in listed.stdout and "Fyns server" in _cli(env, "national", "tokens").stdout
    engine = create_db_engine(database_url)
    try:
        assert tokens.authenticate(engine, token) is not None
        revoked = _cli(env, "national", "token-revoke", str(entry["id"]))
        assert revoked.exit_code == 0 and "tilbagekaldt" in revoked.stderr
        assert tokens.authenticate(engine, token) is None
    finally:
        engine.dispose()
    assert json.loads(_cli(env, "national", "tokens", "--json").stdout)[0]["valid"] is False
    again = _cli(env, "national", "token-revoke", str(entry["id"]))
    assert again.exit_code == 2 and "allerede tilbagekaldt" in again.stderr
    unknown = _cli(env, "national", "token-create", "--house", "atlantis")
    assert unknown.exit_code == 2 and "ukendt erhvervshus" in unknown.stderr


def test_the_cli_sends_now_and_shows_the_ledger(world: World) -> None:
    env = {
        "EHSJ_DATABASE_URL": world.house.settings.database_url,
        "EHSJ_CONTRACTS_DIR": str(CONTRACTS),
        "EHSJ_HOUSE": "sjaelland",
        "EHSJ_NATIONAL_URL": world.national.base_url,
        "EHSJ_NATIONAL_TOKEN": world.token,
        "COLUMNS": "200",
    }
    sent = _cli(env, "national", "send", "--year", "2019")
    assert sent.exit_code == 0 and "er sendt" in sent.stderr, sent.stderr
    again = _cli(env, "national", "send", "--year", "2019", "--json")
    assert again.exit_code == 0 and json.loads(again.stdout)["outcome"] == "already_sent"
    [row] = json.loads(_cli(env, "national", "uploads", "--json").stdout)
    assert (row["year"], row["head_position"], row["status"]) == (2019, 3, "sent")
    down = _cli(env | {"EHSJ_NATIONAL_URL": f"http://127.0.0.1:{free_port()}"}, "national", "send", "--year", "2020")
    assert down.exit_code == 3 and "kan ikke nås" in down.stderr
    unset = _cli({k: v for k, v in env.items() if k != "EHSJ_NATIONAL_URL"}, "national", "send")
    assert unset.exit_code == 2 and "EHSJ_NATIONAL_URL" in unset.stderr


# --- the schedule ------------------------------------------------------------------------------------------
def test_the_sending_moments_and_the_year_they_are_for() -> None:
    trigger = QuarterTrigger(5, "06:00", "Europe/Copenhagen")
    assert trigger.get_next_fire_time(None, datetime(2019, 12, 31, 12, tzinfo=CPH)) == datetime(
        2020, 1, 5, 6, tzinfo=CPH
    )
    fired = datetime(2020, 1, 5, 6, tzinfo=CPH)
    assert trigger.get_next_fire_time(None, fired) == fired
    assert trigger.get_next_fire_time(fired, fired) == datetime(2020, 4, 5, 6, tzinfo=CPH)
    assert next_send_at(datetime(2020, 6, 1, tzinfo=CPH), 0, "06:00", "Europe/Copenhagen") == datetime(
        2020, 6, 30, 6, tzinfo=CPH
    )
    assert next_send_at(datetime(2020, 1, 1, tzinfo=CPH), 60, "23:30", "Europe/Copenhagen") == datetime(
        2020, 2, 29, 23, 30, tzinfo=CPH
    )  # 31 December + 60 days, in a leap year
    assert year_to_send(date(2020, 1, 5), 5) == 2019  # Q4 2019's sending
    assert year_to_send(date(2020, 4, 4), 5) == 2019
    assert year_to_send(date(2020, 4, 5), 5) == 2020  # Q1 2020's sending
    assert year_to_send(date(2020, 12, 31), 0) == 2020


def test_the_national_job_is_installed_only_when_a_national_url_is_set(tmp_path: Path) -> None:
    base = Settings(database_url=f"sqlite:///{tmp_path / 'jobs.sqlite3'}", national_send_days_after_quarter=7)
    assert national_triggers(base) == {}
    scheduler = build_scheduler(base)
    scheduler.start(paused=True)
    try:
        install_jobs(scheduler, national_triggers(base))
        assert scheduler.get_job(NATIONAL_JOB) is None
        configured = base.model_copy(update={"national_url": "https://national.example.org"})
        before = datetime.now(CPH)
        install_jobs(scheduler, national_triggers(configured))
        job = scheduler.get_job(NATIONAL_JOB)  # read back from the persistent store (the trigger unpickled)
        assert job is not None and job.args == ("ehsj.national.send_export",)
        expected = next_send_at(before, 7, "06:00", "Europe/Copenhagen")
        assert job.next_run_time == expected and expected.day == 7 and expected.month in (1, 4, 7, 10)
        install_jobs(scheduler, national_triggers(base))  # the URL unset again: the job goes
        assert scheduler.get_job(NATIONAL_JOB) is None
    finally:
        scheduler.remove_all_jobs()  # paused, nothing ran; a stopping scheduler would still run what is due
        scheduler.shutdown(wait=False)


def test_a_temporary_folder_is_left_behind_by_no_sending(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A temporary folder of this test's own: other test processes send at the same time
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert world.send().outcome == "sent"
    assert list(tmp_path.glob("ehsj-national-*")) == []
