"""The auditor's page and the import page of the web app, through the test client (SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ehsj_core.notify import ledger
from ehsj_core.notify.dispatch import deliver, prepare
from ehsj_core.notify.recipients import add_demo_recipients
from ehsj_core.settings import Settings
from ehsj_core.tracker import Tracker
from services.api.app import create_app
from tests.conftest import ROOT
from tests.factories import Actor, course
from tests.webclient import create_people, sign_in, token_of

CRM = ROOT / "examples" / "crm-eksport.csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def web(settings: Settings, tracker: Tracker, tmp_path: Path) -> Iterator[TestClient]:
    create_people(tracker.engine)
    tracker.settings = settings.model_copy(update={"mode": "embedded", "outbox_dir": tmp_path / "outbox"})
    with TestClient(create_app(tracker.settings, tracker), base_url="https://testserver") as client:
        yield client


def upload(web: TestClient, data: bytes, *, token: str | None, skip_bad: bool = False) -> str:
    form = {"kind": "crm"} | ({"csrf_token": token} if token else {}) | ({"skip_bad": "1"} if skip_bad else {})
    answer = web.post("/import", data=form, files={"file": ("crm-eksport.csv", data, "text/csv")})
    return f"{answer.status_code}\n{answer.text}"


def stored_count(html: str) -> str:
    return html.split('id="stored-count">')[1].split("<")[0]


def test_the_auditor_sees_the_chain_replays_compares_and_downloads(web: TestClient, tracker: Tracker) -> None:
    tracker.append(course("action_plan", "Lolland", company=1), by=Actor("Kim Konsulent"))
    tracker.append(course("action_plan", "Lolland", company=2), by=Actor("Kim Konsulent"))
    sign_in(web, "Anders Revisor")
    html = web.get("/revision").text
    assert "Kæden er i orden" in html and "til stede" in html and tracker.log.head().hash in html
    assert 'href="/revision"' in html  # in the menu

    replay = web.get("/revision", params={"year": 2019, "as_of": "1"})
    assert replay.status_code == 200 and "til og med hændelse nr. 1" in replay.text and 'id="replay"' in replay.text
    bad = web.get("/revision", params={"year": 2019, "as_of": "99"})
    assert bad.status_code == 422 and "positionen findes ikke endnu" in bad.text

    compared = web.get("/revision", params={"year": 2019, "from": "1", "to": "2"}).text
    assert 'id="diff"' in compared and "Nr. 2:" in compared and "Kim Konsulent" in compared

    xlsx = web.get("/revision/resultatopgoerelse.xlsx", params={"year": 2019})
    assert xlsx.status_code == 200 and xlsx.headers["content-type"] == XLSX and xlsx.content[:2] == b"PK"
    assert (
        web.get("/revision/resultatopgoerelse.html", params={"year": 2019})
        .headers["content-type"]
        .startswith("text/html")
    )
    export = web.get("/revision/eksport.jsonl", params={"year": 2019})
    assert export.status_code == 200 and export.headers["content-type"] == "application/x-ndjson"
    assert len(export.text.strip().splitlines()) >= 3  # the header and both events
    assert web.get("/revision/eksport.jsonl", params={"year": 1999}).status_code == 404


def test_a_sent_report_is_listed_and_reproduced(web: TestClient, tracker: Tracker) -> None:
    tracker.append(course("action_plan", "Lolland"), by=Actor("Kim Konsulent"))
    add_demo_recipients(tracker.engine, tracker.contract(2019).contract)
    row = next(r for r in prepare(tracker, "quarterly_status", "2019Q1") if r.municipality == "Lolland")
    assert deliver(tracker, row.id) == "sent"
    sign_in(web, "Dorte Direktør")
    html = web.get("/revision").text
    assert f'href="/revision/genskab/{row.id}"' in html and len(ledger.find_rows(tracker.engine, state="sent")) == 1
    shown = web.get(f"/revision/genskab/{row.id}")
    assert shown.status_code == 200 and "Identisk" in shown.text
    assert web.get("/revision/genskab/999999").status_code == 404


@pytest.mark.parametrize("name", ["Karen Konsulent", "Lars Erhvervschef"])
def test_a_consultant_and_a_chief_have_no_access_to_the_audit_pages(web: TestClient, name: str) -> None:
    sign_in(web, name)
    for path in (
        "/revision",
        "/revision/resultatopgoerelse.xlsx?year=2019",
        "/revision/eksport.jsonl?year=2019",
        "/revision/genskab/1",
    ):
        answer = web.get(path)
        assert answer.status_code == 403 and "Ingen adgang" in answer.text, path
    assert 'href="/revision"' not in web.get("/").text


def test_a_consultant_imports_the_crm_export_once(web: TestClient, tracker: Tracker) -> None:
    sign_in(web, "Karen Konsulent")
    page = web.get("/import").text
    assert "Spring fejlrækker over" in page and 'enctype="multipart/form-data"' in page
    data = CRM.read_bytes()
    rows = len(data.decode("utf-8-sig").strip().splitlines()) - 1
    first = upload(web, data, token=token_of(web, "/import"))
    assert first.startswith("200") and stored_count(first) == str(rows)
    assert tracker.log.head().position == rows
    again = upload(web, data, token=token_of(web, "/import"))
    assert again.startswith("200") and stored_count(again) == "0" and tracker.log.head().position == rows


def test_a_bad_row_is_reported_by_row_and_column_and_nothing_is_stored(web: TestClient, tracker: Tracker) -> None:
    sign_in(web, "Dorte Direktør")
    lines = CRM.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("Køge", "Atlantis")  # spreadsheet row 3
    answer = upload(web, ("\n".join(lines) + "\n").encode(), token=token_of(web, "/import"))
    assert answer.startswith("422") and stored_count(answer) == "0"
    problems = answer.split('id="problems"')[1]
    assert ">3<" in problems and "Kommune" in problems and "Atlantis" in problems
    assert tracker.log.head().position == 0
    skipped = upload(web, ("\n".join(lines) + "\n").encode(), token=token_of(web, "/import"), skip_bad=True)
    assert skipped.startswith("200") and stored_count(skipped) == str(len(lines) - 2)


def test_the_upload_without_its_csrf_token_is_refused_and_others_may_not_import(
    web: TestClient, tracker: Tracker
) -> None:
    sign_in(web, "Karen Konsulent")
    token_of(web, "/import")
    refused = upload(web, CRM.read_bytes(), token=None)
    assert refused.startswith("403") and tracker.log.head().position == 0
    assert upload(web, CRM.read_bytes(), token="forkert").startswith("403")
    for name in ("Anders Revisor", "Lars Erhvervschef"):
        web.cookies.clear()
        sign_in(web, name)
        assert web.get("/import").status_code == 403
        assert upload(web, CRM.read_bytes(), token=token_of(web)).startswith("403")
    assert tracker.log.head().position == 0
