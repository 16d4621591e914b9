"""Every table page as XLSX and CSV: the page's figures, Danish headers, real numbers and dates, the
page's role checks and filters, the access log, and the same bytes for the same moment."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

from ehsj_core.access_log import read_access_log
from ehsj_core.events.records import HistoryQuery
from ehsj_core.notify.dispatch import prepare
from ehsj_core.notify.recipients import add_demo_recipients
from ehsj_core.reports.downloads import history_entries, history_table
from ehsj_core.reports.spreadsheet import CSV_MIMETYPE, XLSX_MIMETYPE
from ehsj_core.tracker import Tracker
from ehsj_core.users import issue_token
from tests.conftest import auth
from tests.factories import Actor, course, cvr, retraction
from tests.webclient import sign_in

Table = dict[str, list[Any]]  # header → the column's values, as read back from a download


def sheet(body: bytes) -> Worksheet:
    ws = load_workbook(io.BytesIO(body)).worksheets[0]
    assert isinstance(ws, Worksheet)
    return ws


def columns(ws: Worksheet) -> dict[str, list[Cell]]:
    header = [c.value for c in ws[1]]
    cells = list(ws.iter_cols(min_row=2))
    return {str(h): list(col) for h, col in zip(header, cells, strict=True)}


def csv_rows(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte order mark
    text = body.decode("utf-8-sig")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


def evaluation(company: int, satisfaction: int) -> dict[str, Any]:
    data = {
        "course_type": "action_plan",
        "company_cvr": cvr(company),
        "nps": 9,
        "satisfaction": satisfaction,
        "consultant_competence": 5,
        "effect": ["hoj"] * 7,
    }
    return {"type": "evaluation.received", "occurred_on": "2019-03-20", "data": data}


def number(text: str) -> float | None:
    """A Danish CSV number: "87,5" → 87.5; "" → None."""
    return None if text == "" else float(text.replace(",", "."))


def test_the_dashboard_download_holds_every_target_with_the_apis_figures_as_numbers(
    web: TestClient, tracker: Tracker
) -> None:
    for n, satisfaction in enumerate((5, 5, 2), start=1):  # 2 of 3 satisfied: 66,67 %
        tracker.append(course("action_plan", "Lolland", company=n), by=Actor("Kim Konsulent"))
        tracker.append(evaluation(n, satisfaction), by=Actor("Kim Konsulent"))
    token = issue_token(tracker.engine, "Lars Erhvervschef")
    api = web.get("/api/goals", params={"year": 2019}, headers=auth(token)).json()
    targets = [(g["id"], t) for g in api["goals"] for t in g["targets"]]
    sign_in(web, "Lars Erhvervschef")  # a chief reads the dashboard, so its download too
    page = web.get("/?year=2019").text
    assert 'href="/eksport/overblik.xlsx?year=2019"' in page and "Hent som CSV" in page

    answer = web.get("/eksport/overblik.xlsx", params={"year": 2019})
    assert answer.status_code == 200 and answer.headers["content-type"] == XLSX_MIMETYPE
    assert answer.headers["content-disposition"].startswith('attachment; filename="overblik-2019-')
    assert answer.headers["x-ehsj-position"] == str(api["position"])
    ws = sheet(answer.content)
    assert ws.freeze_panes == "A2" and ws.column_dimensions["D"].width == 60 and all(c.font.b for c in ws[1])
    cols = columns(ws)
    assert list(cols)[:5] == ["Mål", "Målets titel", "Kategori", "Delmål", "Resultat"]
    assert len(cols["Delmål"]) == len(targets) == page.count("data-target=")
    for i, (goal_id, t) in enumerate(targets):
        assert (cols["Mål"][i].value, cols["Delmål"][i].value) == (goal_id, t["label"])
        assert cols["Status"][i].value == t["status_label"]
        result = cols["Resultat"][i]
        if t["kind"] != "milestone" and t["actual"] is not None:
            assert result.data_type == "n" and result.value == t["actual"], t["key"]
        wanted = t["target"] if t["target"] is not None else t["target_min"]
        assert cols["Måltal"][i].value == wanted
        deadline = cols["Frist"][i]
        assert (deadline.value.date().isoformat() if deadline.is_date else deadline.value) == t["deadline"]
    assert any(c.is_date for c in cols["Frist"]) and any(isinstance(c.value, float) for c in cols["Resultat"])

    rows = csv_rows(web.get("/eksport/overblik.csv", params={"year": 2019}).content)
    assert len(rows) == len(targets)
    for row, (_goal_id, t) in zip(rows, targets, strict=True):
        if t["kind"] != "milestone" and t["actual"] is not None:
            assert number(row["Resultat"]) == t["actual"]
        if t["deadline"]:
            assert row["Frist"] == date.fromisoformat(t["deadline"]).strftime("%d-%m-%Y")
    assert any("," in row["Resultat"] for row in rows)  # a decimal comma, not a point


def test_the_municipalities_download_matches_the_api_and_a_chief_may_not_have_it(
    web: TestClient, tracker: Tracker
) -> None:
    for i, (kind, town) in enumerate([("action_plan", "Lolland")] * 3 + [("growth_plan", "Sorø"), ("short", "Køge")]):
        tracker.append(course(kind, town, company=i + 1), by=Actor("Kim Konsulent"))
    token = issue_token(tracker.engine, "Karen Konsulent")
    api = web.get("/api/municipalities", params={"year": 2019}, headers=auth(token)).json()["municipalities"]
    sign_in(web, "Karen Konsulent")
    assert 'href="/eksport/kommuner.xlsx?year=2019"' in web.get("/kommuner?year=2019").text

    cols = columns(sheet(web.get("/eksport/kommuner.xlsx?year=2019").content))
    rows = csv_rows(web.get("/eksport/kommuner.csv?year=2019").content)
    assert [c.value for c in cols["Kommune"]] == [m["name"] for m in api] == [r["Kommune"] for r in rows]
    for i, m in enumerate(api):
        for header, key in [
            ("Specialiserede i alt", "specialised_courses"),
            ("Andel af specialiserede (%)", "specialised_share_pct"),
            ("Befolkningsandel (%)", "population_share_pct"),
            ("Afvigelse (procentpoint)", "deviation_pp"),
            ("Indbyggere", "population"),
        ]:
            assert cols[header][i].value == m[key] and cols[header][i].data_type == "n", (m["name"], header)
            assert number(rows[i][header]) == m[key]
        assert cols["Handlingsplan"][i].value == m["courses"]["action_plan"]
    lolland = [m["name"] for m in api].index("Lolland")
    assert cols["Andel af specialiserede (%)"][lolland].value == 75 and rows[lolland]["Befolkningsandel (%)"] == "4,99"

    web.cookies.clear()
    sign_in(web, "Lars Erhvervschef")
    refused = web.get("/eksport/kommuner.xlsx?year=2019")
    assert refused.status_code == 403 and "Ingen adgang" in refused.text


def test_a_chief_downloads_their_own_municipalitys_months_and_no_other(web: TestClient, tracker: Tracker) -> None:
    tracker.append(course("action_plan", "Lolland", "2019-01-10", company=1), by=Actor("Kim Konsulent"))
    tracker.append(course("action_plan", "Lolland", "2019-03-04", company=2), by=Actor("Kim Konsulent"))
    tracker.append(course("short", "Lolland", "2019-03-05", company=3), by=Actor("Kim Konsulent"))
    sign_in(web, "Lars Erhvervschef")
    assert 'href="/eksport/kommuner/Lolland.csv?year=2019"' in web.get("/kommuner/Lolland?year=2019").text

    answer = web.get("/eksport/kommuner/lolland.xlsx?year=2019")
    assert answer.status_code == 200 and "filename*=UTF-8''lolland-2019-" in answer.headers["content-disposition"]
    cols = columns(sheet(answer.content))
    months = cols["Måned"]
    assert len(months) == 12 and all(c.is_date for c in months) and months[2].value == datetime(2019, 3, 1)
    assert months[0].number_format == "mmmm yyyy"
    assert [c.value for c in cols["Handlingsplan"]][:4] == [1, 0, 1, 0]
    assert [c.value for c in cols["Forløb i alt"]][:4] == [1, 0, 2, 0]
    rows = csv_rows(web.get("/eksport/kommuner/Lolland.csv?year=2019").content)
    assert rows[2]["Måned"] == "01-03-2019" and rows[2]["Specialiserede forløb"] == "1"

    for other in ("Sorø", "Atlantis"):
        refused = web.get(f"/eksport/kommuner/{other}.xlsx?year=2019")
        assert refused.status_code == 403 and "egen kommune" in refused.text
    web.cookies.clear()
    sign_in(web, "Anders Revisor")
    soroe = web.get("/eksport/kommuner/Sorø.csv?year=2019")
    assert soroe.status_code == 200 and soroe.headers["content-type"] == CSV_MIMETYPE
    assert 'filename="soroe-2019-' in soroe.headers["content-disposition"]
    assert "filename*=UTF-8''sor%C3%B8-2019-" in soroe.headers["content-disposition"]
    assert web.get("/eksport/kommuner/Atlantis.xlsx").status_code == 404


def test_the_history_download_honours_the_filters_and_notes_a_name_search(web: TestClient, tracker: Tracker) -> None:
    tracker.append(
        course("growth_plan", "Odsherred", company=11, company_name="Æblegården ApS"), by=Actor("Karen Konsulent")
    )
    [gone] = tracker.append(course("short", "Sorø", company=13, company_name="Sorø Bogtryk"), by=Actor("Kim Konsulent"))
    tracker.append(retraction(gone.event_id, reason="Dobbelt registreret"), by=Actor("Kim Konsulent"))
    sign_in(web, "Anders Revisor")
    assert 'href="/eksport/historik.xlsx?company=%C3%A6ble"' in web.get("/historik?company=%C3%A6ble").text
    read_before = len(read_access_log(tracker.engine))  # the page's own search is noted already

    by_name = csv_rows(web.get("/eksport/historik.csv", params={"company": "æble"}).content)
    assert [r["Nr."] for r in by_name] == ["1"] and by_name[0]["CVR-nummer"] == cvr(11)
    assert "Æblegården ApS" in by_name[0]["Hvad"] and by_name[0]["Kommune"] == "Odsherred"
    noted = read_access_log(tracker.engine)
    assert len(noted) == read_before + 1
    assert (noted[0].user, noted[0].action, noted[0].detail) == (
        "Anders Revisor",
        "history.search",
        {"company": "æble"},
    )

    answer = web.get("/eksport/historik.xlsx", params={"type": "course.completed", "municipality": "sorø"})
    assert answer.headers["x-ehsj-truncated"] == "false"
    cols = columns(sheet(answer.content))
    assert [c.value for c in cols["Nr."]] == [2] and cols["Dato"][0].is_date
    assert cols["Dato"][0].value == datetime(2019, 3, 4) and cols["Registreret"][0].is_date
    assert (cols["Tilbagekaldt"][0].value, cols["Begrundelse"][0].value) == ("ja", "Dobbelt registreret")
    assert cols["Type"][0].value == "Forløb gennemført"
    everything = columns(sheet(web.get("/eksport/historik.xlsx?before=2").content))  # the page's cursor: not applied
    assert [c.value for c in everything["Nr."]] == [3, 2, 1]
    assert len(read_access_log(tracker.engine)) == read_before + 1  # no name searched: nothing noted

    bad = web.get("/eksport/historik.xlsx", params={"municipality": "Atlantis", "occurred_from": "i går"})
    assert bad.status_code == 422
    assert "Kommune" in bad.text and "ukendt kommune" in bad.text and "en af kontraktens kommuner" in bad.text
    assert "Fra dato" in bad.text and "ÅÅÅÅ-MM-DD" in bad.text


def test_the_history_export_stops_at_its_cap_and_says_so(tracker: Tracker) -> None:
    tracker.append({"events": [course("short", company=0) for _ in range(5)]}, by=Actor("Kim Konsulent"))
    query = HistoryQuery(type="course.completed")
    entries, truncated = history_entries(tracker.log, tracker.house, query, cap=3, chunk=2)
    assert [e.event.position for e in entries] == [5, 4, 3] and truncated
    every, cut = history_entries(tracker.log, tracker.house, query, cap=5, chunk=2)
    assert [e.event.position for e in every] == [5, 4, 3, 2, 1] and not cut
    table = history_table(entries, truncated, {}, lambda e: e.type, {}, tracker.tz, cap=3)
    assert table.note == "Kun de nyeste 3 hændelser er med; indsnævr filtrene for at få resten."


def test_the_ledger_download_carries_the_addresses_for_the_director_only(web: TestClient, tracker: Tracker) -> None:
    add_demo_recipients(tracker.engine, tracker.contract(2019).contract)
    prepare(tracker, "quarterly_status", "2019Q1")
    sign_in(web, "Anders Revisor")
    assert 'href="/eksport/udsendelser.xlsx"' in web.get("/rapporter").text
    cols = columns(sheet(web.get("/eksport/udsendelser.xlsx").content))
    assert (
        "E-mail" not in cols
        and len(cols["Modtager"]) == 17
        and "Erhvervschef, Lolland" in {c.value for c in cols["Modtager"]}
    )
    assert {c.value for c in cols["Status"]} == {"venter"} and all(c.data_type == "n" for c in cols["Logposition"])
    assert b"@example.org" not in web.get("/eksport/udsendelser.csv").content
    assert read_access_log(tracker.engine) == []

    web.cookies.clear()
    sign_in(web, "Dorte Direktør")
    rows = csv_rows(web.get("/eksport/udsendelser.csv").content)
    assert "erhvervschef.lolland@example.org" in {r["E-mail"] for r in rows}
    [entry] = read_access_log(tracker.engine)
    assert (entry.user, entry.action, entry.detail["where"]) == (
        "Dorte Direktør",
        "recipients.read",
        "/eksport/udsendelser.csv",
    )
    web.cookies.clear()
    sign_in(web, "Lars Erhvervschef")
    assert web.get("/eksport/udsendelser.xlsx").status_code == 403
    assert web.get("/eksport/historik.csv").status_code == 403


def test_the_same_moment_gives_the_same_bytes_and_a_wrong_filter_is_named(web: TestClient, tracker: Tracker) -> None:
    tracker.append(course("action_plan", "Lolland"), by=Actor("Kim Konsulent"))
    sign_in(web, "Dorte Direktør")
    for path in ("/eksport/overblik", "/eksport/kommuner", "/eksport/kommuner/Lolland", "/eksport/historik"):
        for fmt in ("xlsx", "csv"):
            first, second = (web.get(f"{path}.{fmt}", params={"year": 2019}) for _ in range(2))
            assert first.status_code == 200 and first.content == second.content, (path, fmt)
    earlier = web.get("/eksport/overblik.xlsx", params={"year": 2019, "as_of": "2019-06-30"})
    assert earlier.content == web.get("/eksport/overblik.xlsx", params={"year": 2019, "as_of": "2019-06-30"}).content
    assert earlier.headers["x-ehsj-position"] == "0"

    bad = web.get("/eksport/overblik.xlsx", params={"year": 1999, "as_of": "igår"})
    assert bad.status_code == 422
    assert "År" in bad.text and "ingen kontrakt for det år" in bad.text and "2019" in bad.text
    assert "Som kendt pr." in bad.text and "ÅÅÅÅ-MM-DD" in bad.text
    assert web.get("/eksport/overblik.pdf").status_code == 404
    web.cookies.clear()
    assert web.get("/eksport/overblik.xlsx", follow_redirects=False).headers["location"].startswith("/log-ind")
