"""Reports through the real parts: a private Redis, `ehsj worker` as a subprocess, an SMTP server.

Each test has its own PostgreSQL database, Redis server and SMTP server, so they run in parallel. The
database is a copy (CREATE DATABASE … TEMPLATE) of one the module fills once with the demo year and its
recipients: the same rows as filling each afresh, without loading the demo year for every test.
"""

from __future__ import annotations

import signal
import subprocess
import time as clock
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import redis
import sqlalchemy as sa

from ehsj_core.notify import ledger
from ehsj_core.notify.dispatch import build_for
from ehsj_core.notify.recipients import add_demo_recipients
from ehsj_core.reports.render import digest, render
from ehsj_core.settings import Settings
from ehsj_core.setup import initialise
from ehsj_core.tracker import Tracker
from services.worker.app import create_celery, send
from tests.conftest import CONTRACTS
from tests.mailsink import Sink, smtp_server
from tests.processes import distributed_env, private_redis, spawn, stop
from tests.services import POSTGRES_ADMIN_URL, fresh_postgres_database

pytestmark = pytest.mark.postgres


@dataclass
class Stack:
    settings: Settings
    env: dict[str, str]
    tracker: Tracker
    sink: Sink
    workdir: Path

    def worker(self, name: str = "worker") -> subprocess.Popen[bytes]:
        return spawn(["worker", "--concurrency", "1", "--pool", "solo"], self.env, self.workdir / f"{name}.log")

    def wait_sent(self, kind: str, period: str, count: int, timeout: float = 90) -> list[ledger.DispatchRow]:
        deadline = clock.monotonic() + timeout
        rows: list[ledger.DispatchRow] = []
        while clock.monotonic() < deadline:
            rows = ledger.find_rows(self.tracker.engine, kind, period)
            if len(rows) == count and all(r.state == "sent" for r in rows):
                return rows
            clock.sleep(0.2)
        raise AssertionError(f"not all sent: {[(r.email, r.state, r.attempts, r.last_error) for r in rows]}")


def wait_idle(settings: Settings, workers: int, timeout: float = 60) -> None:
    """Until no task is left: none in the queue, none taken by any of the `workers` running (asked
    through Celery's remote control, which a worker answers between tasks), twice in a row. Then
    nothing more can be sent until something enqueues a task (no scheduler runs here)."""
    app = create_celery(settings)
    queue = redis.Redis.from_url(settings.redis_url)
    quiet, deadline = 0, clock.monotonic() + timeout
    while clock.monotonic() < deadline:
        replies = [
            tasks
            for command in ("active", "reserved")
            for reply in app.control.broadcast(command, reply=True, limit=workers, timeout=2)
            for tasks in reply.values()
        ]
        busy = queue.llen("celery") > 0 or len(replies) < 2 * workers or any(replies)
        quiet = 0 if busy else quiet + 1
        if quiet == 2:
            return
        clock.sleep(0.2)
    raise AssertionError(f"the workers still had tasks after {timeout} s")


@pytest.fixture(scope="module")
def demo_database() -> Iterator[str]:
    """A database with the schema, the demo year and its 17 chiefs; never used itself, only copied."""
    with fresh_postgres_database() as url:
        tracker = Tracker(Settings(database_url=url, contracts_dir=CONTRACTS))
        initialise(tracker.engine, CONTRACTS)
        tracker.load_demo()
        add_demo_recipients(tracker.engine, tracker.contract(2019).contract)
        tracker.engine.dispose()  # a template database takes no connections while it is copied
        yield url


@contextmanager
def copy_of(template_url: str) -> Iterator[str]:
    """A new database of this test's own with the template's contents; dropped afterwards."""
    template = sa.make_url(template_url).database
    name = f"ehsj_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield sa.make_url(template_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_stack(demo_database: str, tmp_path: Path, refuse: int = 0, delay: float = 0.0) -> Iterator[Stack]:
    with (
        copy_of(demo_database) as url,
        private_redis(tmp_path) as (redis_url, _port),
        smtp_server(refuse, delay) as (sink, smtp_port),
    ):
        env = distributed_env(
            url,
            redis_url,
            smtp_port,
            retry_backoff_seconds="0.2",
            visibility_timeout_seconds="4",
            sending_timeout_seconds="3",
        )
        settings = Settings(**{k.removeprefix("EHSJ_").lower(): v for k, v in env.items()})  # type: ignore[arg-type]
        tracker = Tracker(settings)
        yield Stack(settings, env, tracker, sink, tmp_path)
        tracker.engine.dispose()


@pytest.fixture
def stack(demo_database: str, tmp_path: Path) -> Iterator[Stack]:
    yield from make_stack(demo_database, tmp_path)


def test_the_quarterly_run_sends_seventeen_emails_built_from_the_projection(stack: Stack) -> None:
    worker = stack.worker()
    try:
        send(create_celery(stack.settings), "reports.send", "quarterly_status", "2019Q3")
        rows = stack.wait_sent("quarterly_status", "2019Q3", 17)
        messages = stack.sink.wait_for(17)
    finally:
        stop(worker)
    assert len(messages) == 17
    assert {str(m["To"]).split("<")[1].rstrip(">") for m in messages} == {r.email for r in rows}
    lolland = next(r for r in rows if r.municipality == "Lolland")
    email = next(m for m in messages if m["Message-ID"] == lolland.message_id)
    kinds = [part.get_content_type() for part in email.walk()]
    assert "text/plain" in kinds and "text/html" in kinds and kinds.count("image/png") >= 2
    html = email.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    for part in email.walk():
        if part.get_content_type() == "image/png":
            assert f"cid:{str(part['Content-ID']).strip('<>')}" in html
    # The email is exactly the report built from the projection at the row's position.
    report = build_for(stack.tracker, "quarterly_status", "2019Q3", "Lolland", lolland.position)
    rendered = render(report)
    assert digest(rendered) == lolland.sha256
    received = email.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert [line.rstrip() for line in received.strip().splitlines()] == [
        line.rstrip() for line in rendered.text.strip().splitlines()
    ]
    figures = stack.tracker.municipalities(2019, as_of=lolland.position, months={"2019-07", "2019-08", "2019-09"})
    expected = next(m for m in figures.municipalities if m.name == "Lolland").courses
    assert report.quarter.courses == expected


def test_running_the_job_again_and_twice_at_once_still_sends_seventeen(stack: Stack) -> None:
    worker, second = stack.worker(), stack.worker("worker2")
    try:
        app = create_celery(stack.settings)
        for _ in range(3):
            send(app, "reports.send", "quarterly_status", "2019Q3")
        stack.wait_sent("quarterly_status", "2019Q3", 17)
        send(app, "reports.dispatch_due")
        wait_idle(stack.settings, workers=2)  # every task done, those the three runs and this one made
    finally:
        stop(worker)
        stop(second)
    assert len(stack.sink.messages) == 17
    assert len(ledger.find_rows(stack.tracker.engine, "quarterly_status", "2019Q3")) == 17


def test_an_smtp_server_refusing_twice_gets_the_report_on_the_third_attempt(demo_database: str, tmp_path: Path) -> None:
    for stack in make_stack(demo_database, tmp_path, refuse=2):
        worker = stack.worker()
        try:
            send(create_celery(stack.settings), "reports.send", "half_year_report", "2019H1")
            [row] = stack.wait_sent("half_year_report", "2019H1", 1)
        finally:
            stop(worker)
        assert row.attempts == 3 and stack.sink.refused == 2
        [message] = stack.sink.messages
        assert message["Message-ID"] == row.message_id
        assert any(p.get_content_type().endswith("spreadsheetml.sheet") for p in message.walk())


def test_a_worker_killed_mid_batch_and_restarted_leaves_one_email_per_chief(demo_database: str, tmp_path: Path) -> None:
    for stack in make_stack(demo_database, tmp_path, delay=0.3):
        worker = stack.worker()
        try:
            send(create_celery(stack.settings), "reports.send", "quarterly_status", "2019Q2")
            stack.sink.wait_for(4)
            stop(worker, signal.SIGKILL)
            killed_at = clock.monotonic()
            sent_before_kill = len(stack.sink.messages)
            assert sent_before_kill < 17
            # The task the killed worker held (acks_late) goes back to the queue once its visibility
            # timeout has passed since it was taken. A worker looks for such tasks as it starts, and
            # after that only every 100 s (kombu's Redis transport: a sweep every 10 s, 1 in 10 of
            # them scanning): so start the new worker once the timeout has passed since the kill.
            clock.sleep(max(0.0, stack.settings.visibility_timeout_seconds - (clock.monotonic() - killed_at)))
            worker = stack.worker("worker-restarted")
            rows = stack.wait_sent("quarterly_status", "2019Q2", 17, timeout=120)
        finally:
            stop(worker)
        by_chief = stack.sink.by_recipient()
        assert len(by_chief) == 17
        for row in rows:
            ids = {m["Message-ID"] for m in by_chief[f"Erhvervschef i {row.municipality} <{row.email}>"]}
            assert ids == {row.message_id}  # a resend after the crash carries the same Message-ID


def test_reports_of_an_old_year_are_not_sent_by_themselves(demo_database: str) -> None:
    from ehsj_core.notify.dispatch import due_reports

    with copy_of(demo_database) as url:  # no worker, Redis or SMTP server: only the calendar and the log
        tracker = Tracker(Settings(database_url=url, contracts_dir=CONTRACTS))
        try:
            in_2019 = due_reports(tracker, _at(date(2019, 10, 5)))
            assert [(d.kind, d.period) for d in in_2019] == [("quarterly_status", "2019Q3")]
            assert due_reports(tracker, _at(date(2026, 11, 27))) == []
        finally:
            tracker.engine.dispose()


def _at(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=ZoneInfo("Europe/Copenhagen"))
