"""PDF documents: the final statement and a report as sent, A4 PDF/A-3b with the Danish running header
and "Side X af Y", the fonts embedded, the same bytes for the same log position (in this process and in
the CLI's), other bytes after a new event; downloadable by the auditor and the director, not by others."""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ehsj_core.notify.dispatch import deliver, prepare
from ehsj_core.notify.recipients import add_demo_recipients
from ehsj_core.reports.pdf import PDF_MIMETYPE, PdfDocument, html_to_pdf, statement_pdf
from ehsj_core.settings import Settings
from ehsj_core.tracker import Tracker
from services.api.app import create_app
from tests.conftest import CONTRACTS
from tests.factories import Actor, course
from tests.integration.test_statement import EHSJ, mark_sent, small_year
from tests.pdf_reading import everything, page_texts
from tests.webclient import create_people, sign_in

A4 = (595, 842)  # points, rounded: 210 × 297 mm


def media_boxes(pdf: bytes) -> list[tuple[int, int]]:
    found = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", everything(pdf))
    return [(round(float(w)), round(float(h))) for w, h in found]


def assert_archival_a4(pdf: bytes) -> str:
    """A4 PDF/A-3b with embedded fonts; returns the text of all its pages."""
    assert pdf.startswith(b"%PDF-1.7")
    boxes = media_boxes(pdf)
    assert boxes and set(boxes) == {A4}
    inflated = everything(pdf)
    assert b"/FontFile2" in inflated and b"+EHSJ-Sans" in inflated  # DejaVu Sans, embedded as a subset
    assert b'pdfaid:part="3"' in inflated and b'pdfaid:conformance="B"' in inflated
    assert b"/OutputIntents" in inflated and b"/Lang (da)" in inflated
    texts = page_texts(pdf)
    assert len(texts) == len(boxes)
    for number, text in enumerate(texts, start=1):
        assert f"Side {number} af {len(texts)}" in text
    return " ".join(texts)


def test_the_statement_pdf_is_a4_pdfa_and_the_same_bytes_for_the_same_position(tracker: Tracker) -> None:
    add_demo_recipients(tracker.engine, tracker.contract(2019).contract)
    position = small_year(tracker)
    statement = tracker.statement(2019, position)
    first = statement_pdf(statement, tracker.log)

    text = assert_archival_a4(first)
    assert len(page_texts(first)) >= 2
    assert "Erhvervshus Sjælland · Resultatopgørelse 2019" in text  # the running header (not closed yet)
    assert f"Logposition {position}" in text and "Resultatopgørelse 2019 – Erhvervshus Sjælland" in text
    assert "398.063 kr." in text and "12. juni 2019" in text
    recorded = tracker.log.recorded_at(position)
    assert recorded is not None
    assert f"/CreationDate (D:{recorded:%Y%m%d%H%M%S}Z)".encode() in everything(first)
    assert f"/ID [({statement.content_digest[:32]})".encode() in first

    mark_sent(tracker, "half_year_report", "2019H1", "k17", position)  # after the as-of moment
    tracker.append(course("short", "Faxe", "2019-07-01", company=0), by=Actor("Karen"))
    again = Tracker(tracker.settings, tracker.engine).statement(2019, position)
    assert statement_pdf(again, tracker.log) == first
    later = tracker.statement(2019)
    assert later.position == position + 1 and statement_pdf(later, tracker.log) != first


def test_the_cli_writes_the_statement_pdf_byte_for_byte_as_the_web_app_does(
    tracker: Tracker, database_url: str, tmp_path: Path
) -> None:
    position = small_year(tracker)
    env = {**os.environ, "EHSJ_DATABASE_URL": database_url, "EHSJ_CONTRACTS_DIR": str(CONTRACTS)}
    out = tmp_path / "resultatopgoerelse.pdf"
    run = subprocess.run(
        [EHSJ, "statement", "2019", "--out", str(out), "--as-of", str(position)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert out.read_bytes() == statement_pdf(tracker.statement(2019, position), tracker.log)


@pytest.fixture
def web(settings: Settings, tracker: Tracker, tmp_path: Path) -> Iterator[TestClient]:
    """The web app in embedded mode (mail into the outbox folder), with the demo's recipients."""
    create_people(tracker.engine)
    add_demo_recipients(tracker.engine, tracker.contract(2019).contract)
    tracker.settings = settings.model_copy(update={"mode": "embedded", "outbox_dir": tmp_path / "outbox"})
    with TestClient(create_app(tracker.settings, tracker), base_url="https://testserver") as client:
        yield client


def test_a_sent_report_as_pdf_is_rebuilt_from_the_log_with_its_digest_and_attachments(
    web: TestClient, tracker: Tracker, database_url: str, tmp_path: Path
) -> None:
    tracker.append(course("action_plan", "Lolland", "2019-03-04"), by=Actor("Kim Konsulent"))
    [row] = prepare(tracker, "half_year_report", "2019H1")
    assert deliver(tracker, row.id) == "sent"
    tracker.append(course("action_plan", "Sorø", "2019-03-05"), by=Actor("Kim Konsulent"))  # after the send

    sign_in(web, "Dorte Direktør")
    answer = web.get(f"/revision/genskab/{row.id}.pdf")
    assert answer.status_code == 200 and answer.headers["content-type"] == PDF_MIMETYPE
    recorded = answer.headers["x-ehsj-recorded-digest"]
    assert recorded == answer.headers["x-ehsj-rebuilt-digest"] and len(recorded) == 64
    assert f'filename="forsendelse-{row.id}-half-year-report-2019H1.pdf"' in answer.headers["content-disposition"]
    text = assert_archival_a4(answer.content)
    assert "Erhvervshus Sjælland · Halvårsrapport 1. halvår 2019" in text and "Genskabt fra hændelsesloggen" in text
    assert recorded in text and "Identisk" in text and "k17@example.org" not in text
    inflated = everything(answer.content)
    assert b"/EmbeddedFile" in inflated and b"/AFRelationship /Supplement" in inflated  # the e-mail's XLSX
    assert b"halvaarsrapport-2019H1.xlsx" in inflated

    out = tmp_path / "forsendelse.pdf"  # rebuilt again, by the CLI: the same bytes
    env = {**os.environ, "EHSJ_DATABASE_URL": database_url, "EHSJ_CONTRACTS_DIR": str(CONTRACTS)}
    run = subprocess.run(
        [EHSJ, "audit", "reproduce", str(row.id), "--pdf", str(out)], env=env, capture_output=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert out.read_bytes() == answer.content
    assert f'href="/revision/genskab/{row.id}.pdf"' in web.get("/rapporter").text
    assert f'href="/revision/genskab/{row.id}.pdf"' in web.get("/revision").text
    assert f'href="/revision/genskab/{row.id}.pdf"' in web.get(f"/revision/genskab/{row.id}").text
    assert web.get("/revision/genskab/999999.pdf").status_code == 404

    web.cookies.clear()
    sign_in(web, "Karen Konsulent")
    assert f"/revision/genskab/{row.id}.pdf" not in web.get("/rapporter").text
    refused = web.get(f"/revision/genskab/{row.id}.pdf")
    assert refused.status_code == 403 and "Ingen adgang" in refused.text


def test_the_auditor_downloads_the_statement_pdf_and_the_consultant_and_chief_may_not(
    web: TestClient, tracker: Tracker
) -> None:
    position = small_year(tracker)
    sign_in(web, "Anders Revisor")
    assert 'href="/revision/resultatopgoerelse.pdf?year=2019"' in web.get("/revision").text
    answer = web.get("/revision/resultatopgoerelse.pdf", params={"year": 2019, "as_of": str(position)})
    assert answer.status_code == 200 and answer.headers["content-type"] == PDF_MIMETYPE
    assert answer.headers["x-ehsj-position"] == str(position)
    assert f'filename="resultatopgoerelse-2019-position-{position}.pdf"' in answer.headers["content-disposition"]
    assert answer.content == statement_pdf(tracker.statement(2019, position), tracker.log)
    assert web.get("/revision/resultatopgoerelse.pdf", params={"year": 1999}).status_code == 404
    assert web.get("/revision/resultatopgoerelse.pdf", params={"year": 2019, "as_of": "99"}).status_code == 404

    for name in ("Karen Konsulent", "Lars Erhvervschef"):
        web.cookies.clear()
        sign_in(web, name)
        for path in ("/revision/resultatopgoerelse.pdf?year=2019", "/revision/genskab/1.pdf"):
            refused = web.get(path)
            assert refused.status_code == 403 and "Ingen adgang" in refused.text, (name, path)


def test_rendering_reads_nothing_but_data_uris_and_the_fonts(tmp_path: Path) -> None:
    """An address in the HTML, on the network or on the disk, is not fetched (WeasyPrint warns and goes on)."""
    secret = tmp_path / "hemmelig.txt"
    secret.write_text("HEMMELIGT-INDHOLD")
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_error(404)

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        html = (
            f'<html><head><link rel="stylesheet" href="{base}/a.css"><link rel="attachment" href="{secret.as_uri()}">'
            f'</head><body><p>Tekst</p><img src="{base}/b.png"><img src="{secret.as_uri()}"></body></html>'
        )
        meta = PdfDocument("Prøve", "Hoved", "Fod", "Erhvervshus Sjælland", datetime(2019, 10, 1, tzinfo=UTC), "0" * 32)
        pdf = html_to_pdf(html, meta)
    finally:
        server.shutdown()
        server.server_close()
    assert asked == []
    assert b"HEMMELIGT" not in everything(pdf) and b"/EmbeddedFile" not in everything(pdf)
    assert "Tekst" in page_texts(pdf)[0]
