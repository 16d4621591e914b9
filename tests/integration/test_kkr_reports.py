"""The reports the contract names for KKR Sjælland (seed L218–222, L664–666), through the real parts:
the API, the web app, the CLI, the Celery tasks in process, and an SMTP server (aiosmtpd).

- the status KKR asks for: sent at any time by the director, exactly once per request key;
- the final statement: sent to KKR once after the year is closed, built at the close's position,
  reproducible; a second close after a reopening sends a corrected one;
- the individual agreements with local actors, listed in the annual status, the half-year report
  and the final statement (not the retracted ones).
"""

from __future__ import annotations

import email
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ehsj_core.audit.reproduce import reproduce
from ehsj_core.audit.statement_render import statement_html
from ehsj_core.db import create_db_engine
from ehsj_core.notify import ledger
from ehsj_core.notify.dispatch import build_for
from ehsj_core.notify.recipients import add_demo_recipients, list_recipients
from ehsj_core.reports.periods import is_request_period, request_period
from ehsj_core.reports.render import render
from ehsj_core.settings import Settings, get_settings
from ehsj_core.setup import initialise
from ehsj_core.tracker import Tracker
from ehsj_core.users import issue_token
from services.api.app import create_app
from services.cli.main import app as cli
from services.worker.app import create_celery, send
from tests.conftest import CONTRACTS, auth
from tests.factories import Actor, course, retraction
from tests.mailsink import Sink, smtp_server
from tests.webclient import create_people, csrf_of, sign_in

CPH = ZoneInfo("Europe/Copenhagen")
DIRECTOR = Actor("Dorte Direktør", "director")


@dataclass
class Stack:
    settings: Settings
    tracker: Tracker
    client: TestClient
    sink: Sink

    def kkr(self) -> list[str]:
        return [r.email for r in list_recipients(self.tracker.engine, "kkr")]

    def wait_sent(self, kind: str, period: str, count: int) -> list[ledger.DispatchRow]:
        deadline = time.monotonic() + 60
        rows: list[ledger.DispatchRow] = []
        while time.monotonic() < deadline:
            rows = ledger.find_rows(self.tracker.engine, kind, period)
            if len(rows) == count and all(r.state == "sent" for r in rows):
                return rows
            time.sleep(0.05)
        raise AssertionError(f"not sent: {[(r.email, r.state, r.last_error) for r in rows]}")

    def dispatch_due(self, now: datetime) -> None:
        """The scheduler's daily "look now", as it fires: the task, run in process."""
        send(create_celery(self.settings), "reports.dispatch_due", now.isoformat())


@pytest.fixture
def stack(database_url: str, tmp_path: Path) -> Iterator[Stack]:
    with smtp_server() as (sink, port):
        settings = Settings(
            database_url=database_url,
            contracts_dir=CONTRACTS,
            environment="test",
            snapshot_every=100,
            mode="embedded",
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_tls="none",
            smtp_timeout_seconds=5,
            outbox_dir=tmp_path / "outbox",
        )
        engine = create_db_engine(settings.database_url)
        initialise(engine, settings.contracts_dir)
        tracker = Tracker(settings, engine)
        add_demo_recipients(engine, tracker.contract(2019).contract)
        create_people(engine)
        with TestClient(create_app(settings, tracker), base_url="https://testserver") as client:
            yield Stack(settings, tracker, client, sink)
        engine.dispose()


def agreement(partner: str, kind: str, occurred_on: str, municipality: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"partner": partner, "agreement_kind": kind}
    if municipality:
        data["municipality"] = municipality
    return {"type": "agreement.signed", "occurred_on": occurred_on, "data": data, "event_id": str(uuid.uuid4())}


def small_year(tracker: Tracker) -> dict[str, Any]:
    """A few courses and four agreements, one of them retracted; returns the stored events by name."""
    bodies = {
        "course": course("action_plan", "Lolland", "2019-03-04", company=1),
        "lolland": agreement("Lolland Erhverv", "municipality", "2019-03-14", "Lolland"),
        "capacity": agreement("Copenhagen Capacity", "copenhagen_capacity", "2019-09-02"),
        "wrong": agreement("Forkert Partner A/S", "other", "2019-04-01"),
        "growth": course("growth_plan", "Sorø", "2019-10-07", company=2),
    }
    stored = dict(zip(bodies, tracker.append({"events": list(bodies.values())}, by=DIRECTOR), strict=True))
    tracker.append(retraction(stored["wrong"].event_id, "Aftalen blev aldrig indgået"), by=DIRECTOR)
    return stored


def close_year(tracker: Tracker) -> int:
    [closed] = tracker.append(
        {"type": "period.closed", "occurred_on": "2020-01-31", "data": {"year": 2019}}, by=DIRECTOR
    )
    return closed.position


def the_morning_after(moment: datetime) -> datetime:
    """When the calendar sends the final statement: the day after the close, at 07:00 (and a bit)."""
    day = moment.astimezone(CPH).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, 7, 30, tzinfo=CPH)


def plain(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert isinstance(body, EmailMessage)
    text = body.get_content()
    assert isinstance(text, str)
    return text


# --- the status KKR asks for -------------------------------------------------------------------------------
def test_the_status_kkr_asks_for_is_sent_once_per_request_key_and_reproduces(stack: Stack) -> None:
    small_year(stack.tracker)
    director = auth(issue_token(stack.tracker.engine, "Dorte Direktør"))
    key = str(uuid.uuid4())
    first = stack.client.post("/api/reports/request", json={"request_key": key, "year": 2019}, headers=director)
    assert first.status_code == 202, first.text
    body = first.json()
    assert body["kind"] == "annual_status" and body["repeated"] is False and body["year"] == 2019
    assert body["period"] == request_period(2019, key) and is_request_period(body["period"])
    assert len(body["period"]) <= 16  # the ledger's period column
    rows = stack.wait_sent("annual_status", body["period"], len(stack.kkr()))
    messages = stack.sink.wait_for(len(stack.kkr()))
    assert sorted(str(m["To"]).split("<")[1].rstrip(">") for m in messages) == sorted(stack.kkr())
    assert "på anmodning fra KKR Sjælland" in str(messages[0]["Subject"])
    assert "Lolland Erhverv" in plain(messages[0])

    # A retried POST (a lost answer, a double click) with the same key sends nothing new.
    for _ in range(2):
        again = stack.client.post("/api/reports/request", json={"request_key": key, "year": 2019}, headers=director)
        assert again.status_code == 202 and again.json()["repeated"] is True
        assert [d["id"] for d in again.json()["dispatches"]] == sorted(r.id for r in rows)
    time.sleep(0.5)
    assert len(stack.sink.messages) == len(stack.kkr())

    # Another request is another report, built where the log stands then.
    stack.tracker.append(course("short", "Greve", "2019-11-05", company=0), by=DIRECTOR)
    other = stack.client.post("/api/reports/request", json={"request_key": str(uuid.uuid4())}, headers=director)
    assert other.status_code == 202 and other.json()["period"] != body["period"]
    later = stack.wait_sent("annual_status", other.json()["period"], len(stack.kkr()))
    stack.sink.wait_for(2 * len(stack.kkr()))
    assert later[0].position > rows[0].position

    listed = stack.client.get("/api/reports", params={"kind": "annual_status"}, headers=director).json()["dispatches"]
    assert {d["period"] for d in listed} == {body["period"], other.json()["period"]}
    for row in (*rows, *later):
        result = reproduce(Tracker(stack.settings, stack.tracker.engine), row.id)
        assert result.identical, result.verdict


def test_only_the_director_asks_for_the_kkr_status(stack: Stack) -> None:
    for name in ("Karen Konsulent", "Anders Revisor", "Lars Erhvervschef"):
        token = auth(issue_token(stack.tracker.engine, name))
        answer = stack.client.post("/api/reports/request", json={"request_key": str(uuid.uuid4())}, headers=token)
        assert answer.status_code == 403, name
        detail = answer.json()["detail"]
        assert isinstance(detail, str) and "må ikke" in detail
    bad = stack.client.post(
        "/api/reports/request",
        json={"request_key": "kort"},
        headers=auth(issue_token(stack.tracker.engine, "Dorte Direktør")),
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].endswith("request_key")

    sign_in(stack.client, "Karen Konsulent")  # the web form: the same rule
    page = stack.client.get("/rapporter")
    assert page.status_code == 200 and "kkr-status" not in page.text
    form = {"csrf_token": csrf_of(page.text), "request_key": str(uuid.uuid4()), "year": "2019"}
    assert stack.client.post("/rapporter/kkr-status", data=form).status_code == 403
    assert ledger.find_rows(stack.tracker.engine) == [] and stack.sink.messages == []


def test_the_reports_page_sends_the_kkr_status_once_however_often_the_form_is_posted(stack: Stack) -> None:
    small_year(stack.tracker)
    sign_in(stack.client, "Dorte Direktør")
    page = stack.client.get("/rapporter")
    assert page.status_code == 200 and "Status til KKR Sjælland på anmodning" in page.text
    key = page.text.split('name="request_key" value="')[1].split('"')[0]
    form = {"csrf_token": csrf_of(page.text), "request_key": key, "year": "2019"}
    for _ in range(3):  # a double (triple) click
        done = stack.client.post("/rapporter/kkr-status", data=form, follow_redirects=False)
        assert done.status_code == 303
    period = request_period(2019, key)
    stack.wait_sent("annual_status", period, len(stack.kkr()))
    time.sleep(0.5)
    assert len(stack.sink.messages) == len(stack.kkr())
    shown = stack.client.get("/rapporter").text
    assert "2019, på anmodning" in shown and shown.split('name="request_key" value="')[1].split('"')[0] != key


def test_the_cli_sends_the_status_on_request_once_per_key(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "EHSJ_DATABASE_URL": f"sqlite:///{tmp_path / 'ehsj.sqlite3'}",
        "EHSJ_CONTRACTS_DIR": str(CONTRACTS),
        "EHSJ_OUTBOX_DIR": str(tmp_path / "outbox"),
        "EHSJ_MODE": "embedded",
        "COLUMNS": "200",
    }

    @dataclass
    class Ran:
        returncode: int
        stdout: str
        stderr: str

    def ehsj(*args: str) -> Ran:
        """The CLI in process (Typer's runner): the same commands, without a process start each."""
        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(cli, list(args), env=env)
        finally:
            get_settings.cache_clear()
        return Ran(result.exit_code, result.stdout, result.stderr)

    assert ehsj("init").returncode == 0 and ehsj("demo").returncode == 0
    sent = ehsj("report", "annual", "--on-request", "--request-key", "kkr-møde-2019-11", "--period", "2019")
    assert sent.returncode != 0 and "request_key" in sent.stderr  # "ø" is not a key character
    sent = ehsj("report", "annual", "--on-request", "--request-key", "kkr-moede-2019-11", "--period", "2019")
    assert sent.returncode == 0, sent.stderr
    assert request_period(2019, "kkr-moede-2019-11") in sent.stderr and "sent" in sent.stderr
    again = ehsj("report", "annual", "--request-key", "kkr-moede-2019-11", "--period", "2019")
    assert again.returncode == 0 and "intet nyt sendes" in again.stderr
    [eml] = list((tmp_path / "outbox").glob("*.eml"))
    message = email.message_from_bytes(eml.read_bytes(), policy=default)
    assert message["To"] == "KKR Sjælland <kkr-sjaelland@example.org>"
    assert "på anmodning" in str(message["Subject"])
    fresh = ehsj("report", "annual", "--on-request")  # no key: a new request, its key printed
    assert fresh.returncode == 0 and "Anmodningsnøgle:" in fresh.stderr
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2


# --- the final statement ----------------------------------------------------------------------------------
def test_the_final_statement_goes_to_kkr_once_after_the_close_and_reproduces(stack: Stack) -> None:
    tracker = stack.tracker
    small_year(tracker)
    director = auth(issue_token(tracker.engine, "Dorte Direktør"))
    stack.dispatch_due(datetime.now(CPH) + timedelta(days=2))  # not closed: nothing
    assert ledger.find_rows(tracker.engine, "final_statement") == []
    refused = stack.client.post(
        "/api/reports/send", json={"kind": "final_statement", "period": "2019"}, headers=director
    )
    assert refused.status_code == 422 and "ikke lukket" in refused.json()["errors"][0]["problem"]

    position = close_year(tracker)
    closed_at = tracker.log.recorded_at(position)
    assert closed_at is not None
    stack.dispatch_due(datetime.now(CPH))  # the day of the close: time to reopen a close made by mistake
    assert ledger.find_rows(tracker.engine, "final_statement") == []
    tracker.append(course("action_plan", "Lolland", "2019-12-18", company=5), by=DIRECTOR)  # after the close

    morning = the_morning_after(closed_at)
    for _ in range(2):  # the scheduler looks twice (or two schedulers at once): one statement
        stack.dispatch_due(morning)
    rows = stack.wait_sent("final_statement", "2019", len(stack.kkr()))
    assert {r.position for r in rows} == {position}  # built at the close, not where the log is now
    [message] = stack.sink.wait_for(len(stack.kkr()))
    time.sleep(0.3)
    assert len(stack.sink.messages) == len(stack.kkr())
    assert str(message["Subject"]).startswith("Endelig resultatopgørelse 2019 til KKR Sjælland")
    names = sorted(p.get_filename() or "" for p in message.iter_attachments())
    assert names == ["resultatopgoerelse-2019.html", "resultatopgoerelse-2019.xlsx"]
    html = next(p for p in message.iter_attachments() if (p.get_filename() or "").endswith(".html")).get_content()
    assert html == statement_html(tracker.statement(2019, position)).decode("utf-8")  # `ehsj statement --as-of`
    assert "Lolland Erhverv" in plain(message) and "Forkert Partner" not in plain(message)

    fresh = Tracker(stack.settings, tracker.engine)
    [row] = rows
    result = reproduce(fresh, row.id)
    assert result.identical and result.rebuilt_digest == row.sha256, result.verdict
    statement = fresh.statement(2019)
    assert [(r.kind, r.period) for r in statement.reports] == [("final_statement", "2019")]
    assert not statement.corrected  # the statement of the close in force was sent: no correction
    listed = stack.client.get("/api/reports", params={"kind": "final_statement"}, headers=director).json()
    assert [d["id"] for d in listed["dispatches"]] == [row.id]

    stack.dispatch_due(morning + timedelta(days=3))  # days later: still the one
    time.sleep(0.3)
    assert len(stack.sink.messages) == len(stack.kkr())


def test_a_reopened_year_closed_again_sends_a_corrected_statement(stack: Stack) -> None:
    tracker = stack.tracker
    small_year(tracker)
    first_close = close_year(tracker)
    first_at = tracker.log.recorded_at(first_close)
    assert first_at is not None
    stack.dispatch_due(the_morning_after(first_at))
    [first] = stack.wait_sent("final_statement", "2019", 1)

    close_event = next(e for e in tracker.log.read_all(types=["period.closed"]))
    tracker.append(retraction(close_event.event_id, "Genåbnet: en aftale manglede", "2020-02-03"), by=DIRECTOR)
    stack.dispatch_due(the_morning_after(first_at) + timedelta(hours=1))  # reopened: nothing more
    assert len(ledger.find_rows(tracker.engine, "final_statement")) == 1
    tracker.append(agreement("Vækstfonden", "state_scheme", "2019-11-20"), by=DIRECTOR)

    second_close = close_year(tracker)
    second_at = tracker.log.recorded_at(second_close)
    assert second_at is not None
    stack.dispatch_due(the_morning_after(second_at))
    [second] = stack.wait_sent("final_statement", "2019-2", 1)
    assert second.position == second_close and first.position == first_close
    messages = stack.sink.wait_for(2)
    subject = str(next(m for m in messages if m["Message-ID"] == second.message_id)["Subject"])
    assert subject.startswith("Rettet endelig resultatopgørelse 2019")
    statement = tracker.statement(2019, second_close)
    assert statement.corrected and "Vækstfonden" in {a.partner for a in statement.agreements}
    assert reproduce(Tracker(stack.settings, tracker.engine), second.id).identical
    assert reproduce(Tracker(stack.settings, tracker.engine), first.id).identical


def test_a_close_reopened_before_its_statement_went_out_sends_none(stack: Stack) -> None:
    tracker = stack.tracker
    small_year(tracker)
    position = close_year(tracker)
    closed_at = tracker.log.recorded_at(position)
    assert closed_at is not None
    close_event = next(e for e in tracker.log.read_all(types=["period.closed"]))
    tracker.append(retraction(close_event.event_id, "Lukket for tidligt", "2020-02-01"), by=DIRECTOR)
    stack.dispatch_due(the_morning_after(closed_at))
    assert ledger.find_rows(tracker.engine, "final_statement") == [] and stack.sink.messages == []


# --- the agreements with local actors ---------------------------------------------------------------------
def test_the_agreements_are_listed_in_the_annual_status_the_half_year_report_and_the_statement(
    stack: Stack,
) -> None:
    tracker = stack.tracker
    stored = small_year(tracker)
    head = tracker.log.head().position

    annual = build_for(tracker, "annual_status", "2019", None, head)
    assert [(a.partner, a.kind_label, a.municipality, a.signed_on.isoformat()) for a in annual.agreements] == [
        ("Lolland Erhverv", "Kommune", "Lolland", "2019-03-14"),
        ("Copenhagen Capacity", "Copenhagen Capacity", None, "2019-09-02"),
    ]
    text = render(annual).text
    assert "Individuelle aftaler med lokale erhvervsfremmeaktører" in text
    assert "- Lolland Erhverv (Kommune, Lolland), indgået 14. marts 2019" in text
    assert "- Copenhagen Capacity (Copenhagen Capacity), indgået 2. september 2019" in text
    assert "Forkert Partner" not in text

    half = build_for(tracker, "half_year_report", "2019H1", None, head)
    assert [a.partner for a in half.agreements] == ["Lolland Erhverv"]  # signed by 30 June
    assert "Lolland Erhverv" in render(half).html and "2. september 2019" not in render(half).text

    statement = tracker.statement(2019)
    assert [a.partner for a in statement.agreements] == ["Lolland Erhverv", "Copenhagen Capacity"]
    page = statement_html(statement).decode("utf-8")
    assert "Lolland Erhverv" in page and "14. marts 2019" in page and "Forkert Partner" not in page

    # As of the position before the retraction, the wrong agreement was still listed.
    before = build_for(tracker, "annual_status", "2019", None, stored["growth"].position)
    assert "Forkert Partner A/S" in {a.partner for a in before.agreements}
    assert [a.partner for a in build_for(tracker, "annual_status", "2019", None, 1).agreements] == []
