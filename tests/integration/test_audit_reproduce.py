"""The quarterly reports of the demo year, sent in embedded mode (mail into the outbox folder) from the
log position of each quarter's send moment, are rebuilt by `reproduce` with the very same digest — after
the log has grown past them and the year was closed: every quarter, and every municipality's report.
A report that no longer matches shows how. SQLite only: the backend adds nothing here that the store
contract tests do not show."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from ehsj_core.audit.reproduce import reproduce
from ehsj_core.contract.loader import parse_contract, store_contracts
from ehsj_core.db import create_db_engine
from ehsj_core.notify import ledger
from ehsj_core.notify.dispatch import deliver, prepare
from ehsj_core.notify.recipients import add_demo_recipients
from ehsj_core.reports.periods import periods_of
from ehsj_core.settings import Settings
from ehsj_core.setup import initialise
from ehsj_core.tracker import Tracker
from ehsj_core.users import create_user
from services.api.app import create_app
from tests.conftest import CONTRACTS, auth
from tests.factories import Actor, course

EHSJ = str(Path(sys.executable).parent / "ehsj")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Tracker]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        contracts_dir=CONTRACTS,
        environment="test",
        snapshot_every=500,
        mode="embedded",
        outbox_dir=tmp_path / "outbox",
    )
    engine = create_db_engine(settings.database_url)
    initialise(engine, settings.contracts_dir)
    tracker = Tracker(settings, engine)
    tracker.load_demo()
    add_demo_recipients(engine, tracker.contract(2019).contract)
    yield tracker
    engine.dispose()


def send_moment(tracker: Tracker, quarter_end: date) -> datetime:
    """When the contract calendar sends the quarterly report: N days after the quarter, at HH:MM."""
    scheduled = next(r for r in tracker.contract(2019).contract.calendar.reports if r.kind == "quarterly_status")
    day = quarter_end + timedelta(days=scheduled.send_days_after_period)
    return datetime.combine(day, time.fromisoformat(scheduled.send_time), tzinfo=ZoneInfo("Europe/Copenhagen"))


LATE = "Lolland"  # the municipality of the events the log gets after the sends (tests.factories.course)


def send_quarters(tracker: Tracker) -> list[ledger.DispatchRow]:
    """Each quarter's ledger rows at its send moment (all 17 chiefs); of those sent: the report to
    Lolland every quarter, and each other chief's in one quarter of the four, in turn. Every quarter's
    position and every municipality's report is sent and reproduced; sending all 4 × 17 would build
    the same positions and municipalities again (each send and each reproduction renders both charts)."""
    names = sorted(m.name for m in tracker.contract(2019).contract.municipalities if m.name != LATE)
    sent = []
    for index, period in enumerate(periods_of("quarter", 2019)):
        position = tracker.log.position_at(send_moment(tracker, period.end))
        rows = prepare(tracker, "quarterly_status", period.key, position)
        assert len(rows) == 17 and {r.position for r in rows} == {position}
        chosen = [r for r in rows if r.municipality == LATE or names.index(str(r.municipality)) % 4 == index]
        for row in chosen:
            assert deliver(tracker, row.id) == "sent"
            sent.append(ledger.get_row(tracker.engine, row.id))
    assert all(r is not None for r in sent)
    return [r for r in sent if r is not None]


def test_replaying_at_the_position_of_each_quarterly_send_reproduces_its_digest(demo: Tracker) -> None:
    sent = send_quarters(demo)
    assert len(sent) == 4 + 16 and len({r.position for r in sent}) == 4
    assert {r.municipality for r in sent} == {m.name for m in demo.contract(2019).contract.municipalities}
    assert len({r.municipality for r in sent if r.municipality != LATE}) == 16  # each other chief once
    assert len(list(demo.settings.outbox_dir.glob("*.eml"))) == len(sent)

    # The log grows past every send: a late Q3 course, the close, a late event by the director.
    demo.append(course(occurred_on="2019-09-20", company=77), by=Actor("Karen", "consultant"))
    demo.append(
        {"type": "period.closed", "occurred_on": "2020-01-31", "data": {"year": 2019}}, by=Actor("Dorte", "director")
    )
    demo.append(course(occurred_on="2019-12-18", company=78), by=Actor("Dorte", "director"))

    fresh = Tracker(demo.settings, demo.engine)  # nothing cached from the sends
    for row in sent:
        result = reproduce(fresh, row.id)
        assert result.identical, (row.period, row.municipality, result.verdict)
        assert result.rebuilt_digest == row.sha256 and result.text_diff == ""

    statement = fresh.statement(2019)
    assert sorted((r.id, r.sha256) for r in statement.reports) == sorted((r.id, r.sha256 or "") for r in sent)
    assert len(statement.after_close) == 1 and statement.after_close[0].recorded_by == "Dorte"


def test_a_report_that_no_longer_matches_shows_the_difference(demo: Tracker) -> None:
    q3 = periods_of("quarter", 2019)[2]
    rows = prepare(demo, "quarterly_status", q3.key, demo.log.position_at(send_moment(demo, q3.end)))
    lolland = next(r for r in rows if r.municipality == "Lolland")
    assert deliver(demo, lolland.id) == "sent"
    # A new version of the contract file is loaded: the same log now renders differently.
    source = (CONTRACTS / "sjaelland-2019.yaml").read_text(encoding="utf-8")
    changed = source.replace("label: Handlingsplaner\n", "label: Handlingsplaner (virksomhedsforløb)\n", 1)
    assert changed != source
    store_contracts(demo.engine, [parse_contract(changed, "sjaelland-2019.yaml")])

    result = reproduce(Tracker(demo.settings, demo.engine), lolland.id)
    assert not result.identical and result.sent_copy is not None
    assert {"tekst", "html"} <= set(result.differing_parts)
    assert "+" in result.text_diff and "Handlingsplaner (virksomhedsforløb)" in result.text_diff
    assert result.verdict.startswith("forskellig")

    env = {
        **os.environ,
        "EHSJ_DATABASE_URL": str(demo.engine.url),
        "EHSJ_OUTBOX_DIR": str(demo.settings.outbox_dir),
        "COLUMNS": "200",
    }
    run = subprocess.run(
        [EHSJ, "audit", "reproduce", str(lolland.id)], env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 1 and "Forskellig" in run.stdout and "genskabt fra loggen" in run.stdout

    token = create_user(demo.engine, "Anders Revisor", "auditor")
    with TestClient(create_app(demo.settings, demo)) as client:
        body = client.get(f"/api/audit/reproduce/{lolland.id}", headers=auth(token)).json()
        assert body["identical"] is False and body["text_diff"] == result.text_diff
        assert client.get("/api/audit/reproduce/999999", headers=auth(token)).status_code == 404
