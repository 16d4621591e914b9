"""Importing the CRM's and the evaluation system's exports: twice adds nothing; a bad CVR on row 57,
a missing column, a wrong encoding or an unknown municipality stores nothing and is reported by row;
--skip-bad stores the good rows and hands back the bad ones to fix. On SQLite and PostgreSQL."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

from ehsj_core.events.rulebook import Forbidden
from ehsj_core.events.views import view_data
from ehsj_core.imports.run import ImportReport, import_file
from ehsj_core.tracker import Tracker
from ehsj_core.users import create_user
from tests.conftest import CONTRACTS, ROOT, auth
from tests.factories import Actor, bad_cvr, cvr

EHSJ = str(Path(sys.executable).parent / "ehsj")
EXAMPLES = ROOT / "examples"
HEADER = "Dato;Forløbstype;CVR;Virksomhed;Kommune;Konsulent;Emner"
MUNICIPALITIES = ("Lolland", "Sorø", "Køge", "Næstved", "Holbæk")
TYPES = ("Korte forløb", "Handlingsplan", "Vækstplan", "Udviklingsplan")


def crm_rows(count: int) -> list[list[str]]:
    return [
        [
            f"{n % 28 + 1:02d}-{n % 12 + 1:02d}-2019",
            TYPES[n % 4],
            cvr(n + 1),
            f"Virksomhed {n} ApS",
            MUNICIPALITIES[n % 5],
            "Karen Konsulent",
            "Eksport, Strategi" if n % 3 else "",
        ]
        for n in range(count)
    ]


def csv_bytes(rows: list[list[str]], header: str = HEADER, encoding: str = "utf-8-sig") -> bytes:
    return ("\r\n".join([header, *(";".join(r) for r in rows)]) + "\r\n").encode(encoding)


def crm(tracker: Tracker, data: bytes, name: str = "crm.csv", skip_bad: bool = False) -> ImportReport:
    return import_file(tracker.import_destination(), "crm", data, name, by=Actor("import"), skip_bad=skip_bad)


def test_importing_the_same_file_twice_adds_nothing(tracker: Tracker) -> None:
    data = csv_bytes(crm_rows(80))
    first = crm(tracker, data)
    assert (first.rows, first.stored, first.duplicates, first.problems) == (80, 80, 0, [])
    again = crm(tracker, data)
    assert (again.stored, again.duplicates) == (0, 80)
    windows = crm(
        tracker, csv_bytes(crm_rows(80), encoding="cp1252"), "crm-ansi.csv"
    )  # the same export, saved otherwise
    assert (windows.encoding, windows.stored, windows.duplicates) == ("Windows-1252", 0, 80)
    assert tracker.log.head().position == 80
    plans = next(t for g in tracker.status(2019).goals for t in g.targets if t.key == "action_plans")
    assert plans.actual == 20


def test_an_overlapping_later_export_adds_only_its_new_rows(tracker: Tracker) -> None:
    rows = crm_rows(30)
    crm(tracker, csv_bytes(rows[:20]))
    later = crm(tracker, csv_bytes(rows))
    assert (later.stored, later.duplicates) == (10, 20)


def test_a_bad_cvr_on_row_57_stores_nothing_and_is_reported_by_row_and_column(tracker: Tracker) -> None:
    rows = crm_rows(60)
    rows[55][2] = bad_cvr()  # data row 56 is spreadsheet row 57: the header is row 1
    report = crm(tracker, csv_bytes(rows))
    [problem] = report.problems
    assert (problem.row, problem.column, problem.value) == (57, "CVR", bad_cvr())
    assert "modulus 11" in problem.problem
    assert report.stored == 0 and tracker.log.head().position == 0


def test_an_unknown_municipality_a_bad_date_and_a_bad_topic_are_each_reported(tracker: Tracker) -> None:
    rows = crm_rows(10)
    rows[2][4] = "Lolandd"
    rows[4][0] = "31-02-2019"
    rows[6][6] = "Sejlads"
    rows[7][1] = "Konsulentforløb"
    report = crm(tracker, csv_bytes(rows))
    found = {(p.row, p.column): p for p in report.problems}
    assert set(found) == {(4, "Kommune"), (6, "Dato"), (8, "Emner"), (9, "Forløbstype")}
    assert found[(4, "Kommune")].problem == "ukendt kommune" and "Lolland" in (found[(4, "Kommune")].allowed or [])
    assert found[(6, "Dato")].problem == "datoen findes ikke"
    assert tracker.log.head().position == 0


def test_a_missing_column_stores_nothing_and_names_it(tracker: Tracker) -> None:
    header = HEADER.replace(";Kommune", "")
    rows = [r[:4] + r[5:] for r in crm_rows(5)]
    report = crm(tracker, csv_bytes(rows, header))
    assert [(p.row, p.column, p.problem) for p in report.problems] == [(1, "Kommune", "kolonnen mangler")]
    assert tracker.log.head().position == 0


def test_a_wrong_encoding_stores_nothing_and_names_the_rows(tracker: Tracker) -> None:
    rows = crm_rows(6)
    data = csv_bytes(rows[:4])
    data += (";".join(rows[4]) + " – Sorø\r\n").encode("cp1252") + (";".join(rows[5]) + "\r\n").encode("utf-8")
    report = crm(tracker, data)
    assert [(p.row, p.column) for p in report.problems] == [(6, "")]
    assert "ikke UTF-8 som resten af filen" in report.problems[0].problem
    utf16 = crm(tracker, csv_bytes(rows, encoding="utf-16"))
    assert utf16.problems[0].row == 0 and "UTF-16" in utf16.problems[0].problem
    assert tracker.log.head().position == 0


def test_skip_bad_stores_the_good_rows_and_the_fixed_file_completes_the_import(tracker: Tracker) -> None:
    rows = crm_rows(12)
    rows[3][4] = "Atlantis"
    report = crm(tracker, csv_bytes(rows), skip_bad=True)
    assert (report.stored, report.bad_rows) == (11, 1) and report.bad_rows_csv is not None
    bad = report.bad_rows_csv.decode("utf-8-sig")
    assert bad.splitlines()[0] == HEADER + ";Fejl" and "Atlantis" in bad and "Kommune: ukendt kommune" in bad
    fixed = crm(tracker, bad.replace("Atlantis", "Lolland").encode("utf-8"))
    assert (fixed.stored, fixed.problems) == (1, [])
    assert crm(tracker, csv_bytes([*rows[:3], [*rows[3][:4], "Lolland", *rows[3][5:]], *rows[4:]])).stored == 0


def test_xlsx_exports_with_excel_dates_and_numbers_import_like_csv(tracker: Tracker) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(
        ["Dato", "CVR", "Forløbstype", "NPS", "Tilfredshed", "Kompetence", *[f"Effekt {n}" for n in range(1, 8)]]
    )
    sheet.append([datetime(2019, 4, 2), int(cvr(5)), "Vækstplan", 9, 4.0, 5, "i høj grad", *["ved ikke"] * 6])
    sheet.append([43600, cvr(6), "handlingsplan", "10", "5", "4", *["i lav grad"] * 7])
    buffer = io.BytesIO()
    book.save(buffer)
    report = import_file(
        tracker.import_destination(), "evaluations", buffer.getvalue(), "evaluering.xlsx", by=Actor("import")
    )
    assert (report.encoding, report.stored, report.problems) == ("XLSX", 2, [])
    [first, second] = list(tracker.log.read_all())
    assert first.occurred_on.isoformat() == "2019-04-02" and second.occurred_on.isoformat() == "2019-05-15"
    assert view_data(first.data)["effect"] == ["hoj", *["ved_ikke"] * 6] and view_data(second.data)["nps"] == 10


def test_the_example_files_import_cleanly(tracker: Tracker) -> None:
    crm_report = crm(tracker, (EXAMPLES / "crm-eksport.csv").read_bytes())
    evaluations = import_file(
        tracker.import_destination(),
        "evaluations",
        (EXAMPLES / "evaluering-eksport.csv").read_bytes(),
        "e.csv",
        by=Actor("import"),
    )
    assert crm_report.problems == [] and evaluations.problems == []
    assert crm_report.stored == crm_report.rows > 10 and evaluations.stored == evaluations.rows > 5


def test_a_consultants_import_is_refused_rows_of_a_closed_year(tracker: Tracker) -> None:
    tracker.append(
        {"type": "period.closed", "occurred_on": "2020-01-20", "data": {"year": 2019}}, by=Actor("Dorte", "director")
    )
    report = import_file(
        tracker.import_destination(), "crm", csv_bytes(crm_rows(3)), "crm.csv", by=Actor("Karen", "consultant")
    )
    assert [p.row for p in report.problems] == [2, 3, 4] and "kun direktøren" in report.problems[0].problem
    assert tracker.log.head().position == 1
    with pytest.raises(Forbidden):  # the lock's own check, should a close slip in between
        tracker.append_events(
            [
                tracker.validate(
                    {
                        "type": "course.completed",
                        "occurred_on": "2019-05-05",
                        "data": {"course_type": "short", "municipality": "Sorø", "consultant": "Karen"},
                    }
                )
            ],
            by=Actor("Karen", "consultant"),
        )
    assert (
        import_file(
            tracker.import_destination(), "crm", csv_bytes(crm_rows(3)), "crm.csv", by=Actor("Dorte", "director")
        ).stored
        == 3
    )


def test_the_api_upload_gives_the_same_row_report(client: TestClient, tokens: dict[str, str]) -> None:
    rows = crm_rows(60)
    rows[55][2] = bad_cvr()
    files = {"file": ("crm.csv", csv_bytes(rows), "text/csv")}
    refused = client.post("/api/imports/crm", files=files, headers=auth(tokens["consultant"]))
    assert refused.status_code == 422
    body = refused.json()
    assert body["stored"] == 0 and [(p["row"], p["column"]) for p in body["problems"]] == [(57, "CVR")]
    partial = client.post(
        "/api/imports/crm", files=files, params={"skip_bad": True}, headers=auth(tokens["consultant"])
    )
    assert partial.status_code == 201 and partial.json()["stored"] == 59 and "Fejl" in partial.json()["bad_rows_csv"]
    again = client.post("/api/imports/crm", files=files, params={"skip_bad": True}, headers=auth(tokens["director"]))
    assert again.status_code == 200 and again.json()["duplicates"] == 59
    assert client.post("/api/imports/crm", files=files, headers=auth(tokens["auditor"])).status_code == 403


def test_the_cli_reports_by_row_and_writes_the_bad_rows_file(
    tmp_path: Path, database_url: str, tracker: Tracker
) -> None:
    env = {**os.environ, "EHSJ_DATABASE_URL": database_url, "EHSJ_CONTRACTS_DIR": str(CONTRACTS), "COLUMNS": "200"}
    rows = crm_rows(20)
    rows[9][4] = "Lolandd"
    path = tmp_path / "crm.csv"
    path.write_bytes(csv_bytes(rows))
    create_user(tracker.engine, "Karen", "consultant")
    refused = subprocess.run(
        [EHSJ, "import", "crm", str(path), "--as", "Karen"], env=env, capture_output=True, text=True, timeout=120
    )
    assert refused.returncode == 2 and "Lolandd" in refused.stderr and "intet er gemt" in refused.stderr
    skipped = subprocess.run(
        [EHSJ, "import", "crm", str(path), "--skip-bad", "--as", "Karen"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert skipped.returncode == 1 and "19 nye hændelser gemt" in skipped.stderr
    assert "Lolandd" in (tmp_path / "crm-fejl.csv").read_text(encoding="utf-8-sig")
    example = subprocess.run(
        [EHSJ, "import", "evaluations", str(EXAMPLES / "evaluering-eksport.csv"), "--as", "Karen"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert example.returncode == 0 and "7 nye hændelser gemt" in example.stderr
    wrong = subprocess.run(
        [EHSJ, "import", "crm", str(EXAMPLES / "evaluering-eksport.csv"), "--as", "Karen"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert wrong.returncode == 2 and "ehsj import evaluations" in wrong.stderr
    assert tracker.log.head().position == 26
