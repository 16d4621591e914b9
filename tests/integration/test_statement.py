"""The final statement: every target, milestones with dates, the 17 municipalities with kroner per
specialised course, the reports sent, the log head and the contract's hash — and, produced twice at
the same as-of, identical byte for byte (XLSX and HTML), however much the log has grown since."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
from fastapi.testclient import TestClient

from ehsj_core.audit.statement import per_course
from ehsj_core.audit.statement_render import statement_html, statement_xlsx
from ehsj_core.notify import ledger
from ehsj_core.notify.mail import sender
from ehsj_core.notify.recipients import add_demo_recipients, list_recipients
from ehsj_core.tracker import Tracker
from tests.conftest import CONTRACTS, auth
from tests.factories import Actor, course

EHSJ = str(Path(sys.executable).parent / "ehsj")


def small_year(tracker: Tracker) -> int:
    """Specialised courses in Lolland (3) and Sorø (1), short courses, a milestone; returns the head."""
    events = [course("action_plan", "Lolland", f"2019-0{m}-04", company=m) for m in (2, 3, 4)]
    events += [
        course("growth_plan", "Sorø", "2019-05-06", company=9),
        course("short", "Greve", "2019-06-07", company=0),
    ]
    events.append(
        {"type": "milestone.reached", "occurred_on": "2019-06-12", "data": {"milestone": "8.strategy_2020_draft"}}
    )
    return tracker.append({"events": events}, by=Actor("Karen"))[-1].position


def mark_sent(tracker: Tracker, kind: str, period: str, role: str, position: int) -> ledger.DispatchRow:
    """A report through the dispatch ledger as the worker records it (the e-mail itself is not the point here)."""
    recipients = list_recipients(tracker.engine, role)[:1]
    [row] = ledger.ensure_rows(
        tracker.engine, kind, period, recipients, position, sender(tracker.settings.mail_from, tracker.house_info)
    )
    assert ledger.claim(tracker.engine, row.id, 60) is not None
    ledger.mark_sent(tracker.engine, row.id, f"{row.id:064x}")
    sent = ledger.get_row(tracker.engine, row.id)
    assert sent is not None
    return sent


def test_the_statement_twice_at_the_same_as_of_is_byte_identical(tracker: Tracker) -> None:
    add_demo_recipients(tracker.engine, tracker.contract(2019).contract)
    position = small_year(tracker)
    first = tracker.statement(2019, position)
    xlsx, html = statement_xlsx(first), statement_html(first)

    mark_sent(tracker, "half_year_report", "2019H1", "k17", position)  # sent after the as-of moment
    tracker.append(course("short", "Faxe", "2019-07-01", company=0), by=Actor("Karen"))
    again = Tracker(tracker.settings, tracker.engine).statement(2019, position)
    assert statement_xlsx(again) == xlsx and statement_html(again) == html
    assert again.content_digest == first.content_digest and again.reports == ()
    later = tracker.statement(2019)
    assert later.position == position + 1 and later.content_digest != first.content_digest
    assert [r.period for r in later.reports] == ["2019H1"]


def test_the_statement_holds_the_targets_the_municipalities_the_reports_and_the_hashes(tracker: Tracker) -> None:
    add_demo_recipients(tracker.engine, tracker.contract(2019).contract)
    position = small_year(tracker)
    sent = mark_sent(tracker, "quarterly_status", "2019Q2", "chief", position)
    tracker.append(
        {"type": "period.closed", "occurred_on": "2020-01-20", "data": {"year": 2019}}, by=Actor("Dorte", "director")
    )
    statement = tracker.statement(2019)

    assert statement.contract_sha256 == tracker.contract(2019).sha256
    assert (statement.position, statement.position_hash) == (tracker.log.head().position, tracker.log.head().hash)
    lolland = next(m for m in statement.municipalities if m.figures.name == "Lolland")
    assert (
        lolland.figures.courses["action_plan"] == 3
        and lolland.dkk_per_specialised_course == per_course(1_194_190, 3) == 398_063
    )
    assert next(m for m in statement.municipalities if m.figures.name == "Stevns").dkk_per_specialised_course is None

    book = openpyxl.load_workbook(io.BytesIO(statement_xlsx(statement)))
    assert book.sheetnames == ["Grundlag", "Mål", "Milepæle", "Kommuner", "Aftaler", "Rapporter", "Efter lukning"]
    basis = {row[0]: row[1] for row in book["Grundlag"].iter_rows(min_row=2, values_only=True)}
    assert basis["Indholdets digest (SHA-256)"] == statement.content_digest
    assert (
        basis["Hash ved positionen"] == statement.position_hash
        and basis["SHA-256 af kontraktfilen"] == statement.contract_sha256
    )
    targets = list(book["Mål"].iter_rows(min_row=2, values_only=True))
    assert len(targets) == sum(len(g.targets) for g in statement.goals)
    plans = next(r for r in targets if r[2] == "Handlingsplaner")
    assert (plans[4], plans[5], plans[8]) == (3, 300, "ikke opfyldt")
    milestone = next(
        r for r in book["Milepæle"].iter_rows(min_row=2, values_only=True) if r[0] == "8" and r[3] is not None
    )
    assert milestone[3].date().isoformat() == "2019-06-12"
    municipalities = list(book["Kommuner"].iter_rows(min_row=2, values_only=True))
    assert len(municipalities) == 17 and next(r for r in municipalities if r[0] == "Lolland")[-1] == 398_063
    [report] = list(book["Rapporter"].iter_rows(min_row=2, values_only=True))
    assert (report[0], report[2], report[-1]) == (sent.id, "2019Q2", sent.sha256)

    html = statement_html(statement).decode("utf-8")
    assert "@page { size: A4" in html and "Endelig resultatopgørelse 2019" in html
    assert "398.063 kr." in html and "1.194.190 kr." in html and statement.content_digest in html
    assert "12. juni 2019" in html and "Erhvervschefen i" in html


def test_the_cli_writes_the_same_statement_twice(tracker: Tracker, database_url: str, tmp_path: Path) -> None:
    position = small_year(tracker)
    env = {**os.environ, "EHSJ_DATABASE_URL": database_url, "EHSJ_CONTRACTS_DIR": str(CONTRACTS)}
    outputs = []
    for name in ("a.xlsx", "b.xlsx", "a.html", "b.html"):
        run = subprocess.run(
            [EHSJ, "statement", "2019", "--out", str(tmp_path / name), "--as-of", str(position)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, run.stderr
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1] and outputs[2] == outputs[3]
    refused = subprocess.run(
        [EHSJ, "statement", "2019", "--out", str(tmp_path / "x.txt")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2 and ".xlsx, .html eller .pdf" in refused.stderr


def test_the_api_serves_the_statement_to_the_auditor_and_the_director_only(
    client: TestClient, tokens: dict[str, str], tracker: Tracker
) -> None:
    small_year(tracker)
    auditor = auth(tokens["auditor"])
    data = client.get("/api/audit/statement", params={"year": 2019, "format": "json"}, headers=auditor)
    xlsx = client.get("/api/audit/statement", params={"year": 2019}, headers=auth(tokens["director"]))
    html = client.get("/api/audit/statement", params={"year": 2019, "format": "html"}, headers=auditor)
    digest = data.json()["content_digest"]
    assert xlsx.headers["x-ehsj-content-digest"] == html.headers["x-ehsj-content-digest"] == digest
    assert (
        xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
        and 'filename="resultatopgoerelse-2019' in xlsx.headers["content-disposition"]
    )
    assert digest in html.text
    assert client.get("/api/audit/statement", params={"year": 2019}, headers=auth(tokens["chief"])).status_code == 403
