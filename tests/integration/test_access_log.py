"""The access log (issue 11): who read the recipients' addresses, searched the history by CVR or a
name, or exported the log — recorded on the web, the API and the command line, read by the director."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from ehsj_core.access_log import AccessEntry, AccessQuery, read_access_log, record_access, shell_user
from ehsj_core.db import create_db_engine
from ehsj_core.notify.dispatch import deliver, prepare
from ehsj_core.notify.recipients import add_demo_recipients, add_recipient
from ehsj_core.settings import Settings
from ehsj_core.setup import initialise
from ehsj_core.tracker import Tracker
from services.api.app import create_app
from tests.conftest import CONTRACTS, auth
from tests.factories import Actor, course, cvr
from tests.webclient import create_people, sign_in

EHSJ = str(Path(sys.executable).parent / "ehsj")


def entries(tracker: Tracker) -> list[AccessEntry]:
    return read_access_log(tracker.engine)


def seen(entry: AccessEntry) -> tuple[str, str | None, str, str, dict[str, object]]:
    return entry.user, entry.role, entry.action, entry.channel, entry.detail


def ledger_rows(tracker: Tracker) -> int:
    """The demo's recipients and a quarter's ledger rows (pending): what the report pages list."""
    add_demo_recipients(tracker.engine, tracker.contract(2019).contract)
    return len({r.email for r in prepare(tracker, "quarterly_status", "2019Q3", tracker.log.head().position)})


def test_the_api_records_who_read_the_recipients_and_the_ledgers_addresses(
    client: TestClient, tokens: dict[str, str], tracker: Tracker
) -> None:
    addresses = ledger_rows(tracker)
    recipients = client.get("/api/recipients", headers=auth(tokens["director"]))
    assert recipients.status_code == 200
    assert client.get("/api/reports", headers=auth(tokens["director"])).status_code == 200
    hidden = client.get("/api/reports", headers=auth(tokens["consultant"])).json()["dispatches"]
    assert hidden and all(d["email"] is None for d in hidden)  # no address shown: nothing to record

    ledger, listed = entries(tracker)  # newest first
    count = len(recipients.json()["recipients"])
    assert seen(listed) == (
        "Dorte Direktør",
        "director",
        "recipients.read",
        "api",
        {"where": "/api/recipients", "addresses": count},
    )
    assert seen(ledger) == (
        "Dorte Direktør",
        "director",
        "recipients.read",
        "api",
        {"where": "/api/reports", "addresses": addresses},
    )
    assert listed.client == "testclient" and listed.at <= ledger.at


def test_the_reports_page_records_the_directors_look_at_the_addresses(web: TestClient, tracker: Tracker) -> None:
    addresses = ledger_rows(tracker)
    sign_in(web, "Karen Konsulent")
    assert web.get("/rapporter").status_code == 200  # a consultant sees no addresses
    assert entries(tracker) == []
    sign_in(web, "Dorte Direktør")
    page = web.get("/rapporter")
    assert page.status_code == 200 and "@example.org" in page.text
    [entry] = entries(tracker)
    assert seen(entry) == (
        "Dorte Direktør",
        "director",
        "recipients.read",
        "web",
        {"where": "/rapporter", "addresses": addresses},
    )


def test_searching_the_history_by_cvr_company_name_or_consultant_is_recorded_and_browsing_is_not(
    web: TestClient, tracker: Tracker
) -> None:
    tracker.append(course(company=1, company_name="Hansens Tømrer ApS"), by=Actor("Karen Konsulent", "consultant"))
    sign_in(web, "Kim Konsulent")
    for plain in ("/historik", "/historik?type=course.completed", "/historik?municipality=Lolland&occurred_from="):
        assert web.get(plain).status_code == 200, plain
    assert entries(tracker) == []

    by_name = web.get("/historik", params={"company": "hansens"})
    assert by_name.status_code == 200 and "Hansens Tømrer ApS" in by_name.text
    assert web.get("/historik", params={"company": cvr(1)}).status_code == 200
    assert web.get("/historik", params={"consultant": "Karen", "type": "course.completed"}).status_code == 200
    consultant, number, name = entries(tracker)
    assert seen(name) == ("Kim Konsulent", "consultant", "history.search", "web", {"company": "hansens"})
    assert number.detail == {"company": cvr(1)}
    assert consultant.detail == {"consultant": "Karen"}


def test_filtering_the_api_events_by_cvr_is_recorded_and_other_listings_are_not(
    client: TestClient, tokens: dict[str, str], tracker: Tracker
) -> None:
    tracker.append(course(company=1), by=Actor("Karen Konsulent", "consultant"))
    headers = auth(tokens["auditor"])
    for params in ({}, {"type": "course.completed"}, {"municipality": "Lolland"}):
        assert client.get("/api/events", params=params, headers=headers).status_code == 200
    assert client.get("/api/events", params={"company_cvr": "12345678"}, headers=headers).status_code == 422
    assert entries(tracker) == []  # refused before anything was read

    found = client.get("/api/events", params={"company_cvr": cvr(1)}, headers=headers)
    assert found.status_code == 200 and len(found.json()["events"]) == 1
    [entry] = entries(tracker)
    assert seen(entry) == ("Anders Revisor", "auditor", "history.search", "api", {"company_cvr": cvr(1)})


def test_exporting_the_log_is_recorded_on_the_api_and_the_web(web: TestClient, tracker: Tracker) -> None:
    tracker.append(course(), by=Actor("Karen Konsulent", "consultant"))
    sign_in(web, "Anders Revisor")
    download = web.get("/revision/eksport.jsonl", params={"year": 2019})
    assert download.status_code == 200 and "trailer" in download.text
    [entry] = entries(tracker)
    assert seen(entry) == ("Anders Revisor", "auditor", "log.export", "web", {"year": 2019})

    token = _token(tracker, "Revisor API", "auditor")
    exported = web.get("/api/audit/export", params={"year": 2019}, headers=auth(token))
    assert exported.status_code == 200
    newest = entries(tracker)[0]
    assert seen(newest) == ("Revisor API", "auditor", "log.export", "api", {"year": 2019})


def _token(tracker: Tracker, name: str, role: str) -> str:
    from ehsj_core.users import create_user

    return create_user(tracker.engine, name, role)


def test_the_audit_pages_record_the_addresses_of_sent_reports_they_name(
    settings: Settings, tracker: Tracker, tmp_path: Path
) -> None:
    create_people(tracker.engine)
    tracker.settings = settings.model_copy(update={"mode": "embedded", "outbox_dir": tmp_path / "outbox"})
    tracker.append(course(), by=Actor("Karen Konsulent", "consultant"))
    add_demo_recipients(tracker.engine, tracker.contract(2019).contract)
    chief = next(r for r in prepare(tracker, "quarterly_status", "2019Q1") if r.municipality == "Lolland")
    assert deliver(tracker, chief.id) == "sent"
    with TestClient(create_app(tracker.settings, tracker), base_url="https://testserver") as web:
        sign_in(web, "Anders Revisor")
        assert web.get("/revision").status_code == 200  # "Erhvervschef, Lolland": no address shown
        assert web.get(f"/revision/genskab/{chief.id}").status_code == 200
        assert entries(tracker) == []
        [k17] = prepare(tracker, "half_year_report", "2019H1")
        assert deliver(tracker, k17.id) == "sent"
        assert k17.email in web.get("/revision").text
        assert k17.email in web.get(f"/revision/genskab/{k17.id}").text
        token = _token(tracker, "Revisor API", "auditor")
        assert web.get(f"/api/audit/reproduce/{k17.id}", headers=auth(token)).json()["dispatch"]["email"] == k17.email
    api, reproduced, listed = entries(tracker)
    assert seen(api) == (
        "Revisor API",
        "auditor",
        "recipients.read",
        "api",
        {"where": f"/api/audit/reproduce/{k17.id}", "addresses": 1},
    )
    shown = {"where": "/revision", "addresses": 1}
    assert seen(listed) == ("Anders Revisor", "auditor", "recipients.read", "web", shown)
    assert reproduced.detail == {"where": f"/revision/genskab/{k17.id}", "addresses": 1}


def test_only_the_director_reads_the_access_log_on_the_api_with_filters(
    client: TestClient, tokens: dict[str, str], tracker: Tracker
) -> None:
    day = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    record_access(tracker.engine, "Karen Konsulent", "history.search", {"company": "Hansen"}, "web", now=day)
    record_access(
        tracker.engine, "Dorte Direktør", "recipients.read", {"addresses": 3}, "api", now=day.replace(hour=10)
    )
    record_access(tracker.engine, "Karen Konsulent", "log.export", {"year": 2019}, "cli", now=day + timedelta(days=1))
    for role in ("consultant", "auditor", "chief"):
        assert client.get("/api/access-log", headers=auth(tokens[role])).status_code == 403, role
    director = auth(tokens["director"])

    def actions(**params: str) -> list[str]:
        answer = client.get("/api/access-log", params=params, headers=director)
        assert answer.status_code == 200, answer.text
        return [e["action"] for e in answer.json()["entries"]]

    assert actions() == ["log.export", "recipients.read", "history.search"]
    assert actions(user="Karen Konsulent") == ["log.export", "history.search"]
    assert actions(action="recipients.read") == ["recipients.read"]
    assert actions(since="2026-11-30T10:30:00+01:00", until="2026-12-01T09:00:00+01:00") == ["recipients.read"]
    assert actions(limit="1") == ["log.export"]
    assert client.get("/api/access-log", params={"action": "x"}, headers=director).status_code == 422
    assert len(entries(tracker)) == 3  # reading the access log is not recorded


def test_only_the_director_opens_the_access_log_page(web: TestClient, tracker: Tracker) -> None:
    record_access(tracker.engine, "Kim Konsulent", "history.search", {"consultant": "Karen"}, "web", "10.0.0.7")
    for name in ("Karen Konsulent", "Anders Revisor", "Lars Erhvervschef"):
        sign_in(web, name)
        assert web.get("/adgangslog").status_code == 403, name
        assert 'href="/adgangslog"' not in web.get("/").text
    sign_in(web, "Dorte Direktør")
    assert 'href="/adgangslog"' in web.get("/").text
    page = web.get("/adgangslog")
    assert page.status_code == 200
    assert "Kim Konsulent" in page.text and "konsulent: Karen" in page.text and "10.0.0.7" in page.text
    assert "søgte i historikken" in page.text
    assert "Ingen opslag" in web.get("/adgangslog", params={"action": "log.export"}).text
    assert web.get("/adgangslog", params={"since": "i går"}).status_code == 422


def test_an_access_that_cannot_be_recorded_is_refused(
    client: TestClient, tokens: dict[str, str], tracker: Tracker
) -> None:
    add_recipient(tracker.engine, tracker.contract(2019).contract, "kkr", "KKR", "kkr@example.org")
    with tracker.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE access_log"))
    failing = TestClient(client.app, raise_server_exceptions=False)
    answer = failing.get("/api/recipients", headers=auth(tokens["director"]))
    assert answer.status_code == 500 and "kkr@example.org" not in answer.text


def test_entries_older_than_the_retention_are_deleted_when_a_new_one_is_written(tracker: Tracker) -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    record_access(tracker.engine, "A", "log.export", {"year": 2019}, "cli", now=now - timedelta(days=31))
    record_access(tracker.engine, "B", "log.export", {"year": 2019}, "cli", now=now - timedelta(days=29))
    record_access(tracker.engine, "C", "log.export", {"year": 2019}, "cli", now=now, retention_days=30)
    assert [e.user for e in read_access_log(tracker.engine, AccessQuery(limit=10))] == ["C", "B"]
    with pytest.raises(ValueError):
        record_access(tracker.engine, "C", "events.read", {}, "cli")


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'ehsj.sqlite3'}"
    engine = create_db_engine(url)
    initialise(engine, CONTRACTS)
    engine.dispose()
    return {**os.environ, "EHSJ_DATABASE_URL": url, "EHSJ_CONTRACTS_DIR": str(CONTRACTS), "COLUMNS": "200"}


def ehsj(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([EHSJ, *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def test_the_command_line_records_what_it_shows_and_exports_and_prints_the_log(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    ehsj(cli_env, "recipients", "add", "--role", "kkr", "--name", "KKR", "--email", "kkr@example.org")
    assert "kkr@example.org" in ehsj(cli_env, "recipients", "list").stdout
    ehsj(cli_env, "audit", "export", "--year", "2019", str(tmp_path / "log.jsonl"))

    printed = ehsj(cli_env, "access-log", "--json").stdout.splitlines()
    export, listing = (json.loads(line) for line in printed)
    who = shell_user()
    assert (listing["user"], listing["role"], listing["action"], listing["channel"]) == (
        who,
        None,
        "recipients.read",
        "cli",
    )
    assert listing["detail"] == {"where": "ehsj recipients list", "addresses": 1}
    assert export["action"] == "log.export" and export["detail"] == {"year": 2019, "file": str(tmp_path / "log.jsonl")}
    only = ehsj(cli_env, "access-log", "--action", "log.export", "--json").stdout.splitlines()
    assert [json.loads(line)["action"] for line in only] == ["log.export"]
    table = ehsj(cli_env, "access-log", "--since", "2000-01-01").stdout
    assert "eksporterede hændelsesloggen" in table and who.split("@")[0] in table
