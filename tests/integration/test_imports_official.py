"""Importing Erhvervsstyrelsen's files — the effect measurement of goal 2 and the official figures of
targets — through the CLI and the API: the samples import, again adds nothing, XLSX gives the same
events as CSV, a bad row is reported by column, value, problem and allowed values and stores nothing,
and only the director may import them (the rule book's 403). And the evaluation import's warning for
answers that follow no course of their type. On SQLite and PostgreSQL, no mocks."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from ehsj_core.events.rulebook import Forbidden
from ehsj_core.events.views import view_data
from ehsj_core.imports.run import OFFICIAL_ONLY, UNMATCHED, ImportReport, import_file
from ehsj_core.settings import Settings
from ehsj_core.tracker import Tracker
from services.api.app import create_app
from tests.conftest import CONTRACTS, ROOT, auth
from tests.factories import Actor, course, cvr, retraction
from tests.webclient import create_people, sign_in, token_of

EHSJ = str(Path(sys.executable).parent / "ehsj")
EXAMPLES = ROOT / "examples"
EFFECT = EXAMPLES / "effektmaaling-erhvervsstyrelsen.csv"
OFFICIAL = EXAMPLES / "officielle-tal-erhvervsstyrelsen.csv"
DIRECTOR, CONSULTANT = Actor("Dorte Direktør", "director"), Actor("Karen Konsulent", "consultant")
OFFICIAL_HEADER = "År;Mål;Værdi;Kilde;Offentliggjort;Bemærkning"
EVALUATION_HEADER = "Dato;CVR;Forløbstype;NPS;Tilfredshed;Kompetence;" + ";".join(f"Effekt {n}" for n in range(1, 8))


def csv_bytes(header: str, rows: list[str]) -> bytes:
    return ("\ufeff" + "\r\n".join([header, *rows]) + "\r\n").encode("utf-8")


def run(tracker: Tracker, kind: str, data: bytes, by: Actor = DIRECTOR, name: str = "fil.csv") -> ImportReport:
    return import_file(tracker.import_destination(), kind, data, name, by=by)


def cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EHSJ_DATABASE_URL": database_url, "EHSJ_CONTRACTS_DIR": str(CONTRACTS), "COLUMNS": "250"}
    return subprocess.run([EHSJ, "import", *args], env=env, capture_output=True, text=True, timeout=120)


def stored(tracker: Tracker, event_type: str) -> list[tuple[date, dict[str, Any]]]:
    return [(e.occurred_on, view_data(e.data)) for e in tracker.log.read_all() if e.type == event_type]


@pytest.mark.usefixtures("tokens")  # the users named by --as
def test_the_samples_import_through_the_cli_for_the_director_and_again_adds_nothing(
    database_url: str, tracker: Tracker
) -> None:
    effect = cli(database_url, "effect-measurements", str(EFFECT), "--as", "Dorte Direktør")
    assert effect.returncode == 0, effect.stderr
    assert "2 nye hændelser gemt, 0 fandtes allerede" in effect.stderr
    official = cli(database_url, "official-figures", str(OFFICIAL), "--as", "Dorte Direktør")
    assert official.returncode == 0 and "6 nye hændelser gemt" in official.stderr, official.stderr
    again = cli(database_url, "effect-measurements", str(EFFECT), "--as", "Dorte Direktør")
    assert again.returncode == 0 and "0 nye hændelser gemt, 2 fandtes allerede" in again.stderr
    assert tracker.log.head().position == 8

    [(day, jobs), (_day, turnover)] = stored(tracker, "effect_measurement.reported")
    assert day == date(2021, 3, 15)  # occurred_on is the publication date
    assert jobs == {
        "measure": "jobs",
        "year": 2019,
        "customers_growth_pct": 6.8,
        "control_growth_pct": 4.1,
        "companies": 284,
        "control_companies": 1912,  # "1.912": the Danish thousands point
        "source": "Erhvervsstyrelsen, effektmåling af erhvervshusene (Danmarks Statistik)",
        "published_on": "2021-03-15",
    }
    assert (turnover["measure"], turnover["customers_growth_pct"]) == ("turnover", 9.4)
    figures = {d["target"]: (day, d) for day, d in stored(tracker, "official_figure.reported")}
    assert set(figures) == {
        "3.nps",
        "4.effect",
        "1.action_plan_satisfaction",
        "1.action_plan_nps",
        "2.growth_plan_nps",
        "2.development_plan_effect",
    }
    day, nps = figures["3.nps"]
    assert day == date(2020, 4, 30) and (nps["year"], nps["value"], nps["published_on"]) == (2019, 58, "2020-04-30")
    assert nps["note"] == "Alle specialiserede forløb" and figures["4.effect"][1]["value"] == 72.4
    assert figures["4.effect"][1].get("note") is None  # an empty Bemærkning is no note


@pytest.mark.usefixtures("tokens")  # the users named by --as
def test_a_consultant_is_refused_the_whole_file_with_the_rule_books_words(database_url: str, tracker: Tracker) -> None:
    refused = cli(database_url, "official-figures", str(OFFICIAL), "--as", "Karen Konsulent")
    assert refused.returncode == 2 and OFFICIAL_ONLY in refused.stderr
    with pytest.raises(Forbidden) as caught:
        run(tracker, "effect-measurements", EFFECT.read_bytes(), by=CONSULTANT)
    assert [(p.field, p.value, p.problem) for p in caught.value.problems] == [
        ("type", "effect_measurement.reported", OFFICIAL_ONLY)
    ]
    assert tracker.log.head().position == 0


def test_the_api_upload_stores_for_the_director_and_gives_a_consultant_the_rule_books_403(
    client: TestClient, tracker: Tracker, tokens: dict[str, str]
) -> None:
    def upload(kind: str, path: Path, role: str) -> Any:
        files = {"file": (path.name, path.read_bytes(), "text/csv")}
        return client.post(f"/api/imports/{kind}", files=files, headers=auth(tokens[role]))

    consultant = upload("official-figures", OFFICIAL, "consultant")
    assert consultant.status_code == 403
    [problem] = consultant.json()["errors"]
    # the same refusal the rule book gives the consultant one such event through POST /api/events
    one = {
        "type": "official_figure.reported",
        "occurred_on": "2020-04-30",
        "data": {"target": "3.nps", "year": 2019, "value": 58, "source": "ES", "published_on": "2020-04-30"},
    }
    by_hand = client.post("/api/events", json=one, headers=auth(tokens["consultant"]))
    assert by_hand.status_code == 403 and by_hand.json()["errors"] == [problem]
    assert problem == {"field": "type", "value": "official_figure.reported", "problem": OFFICIAL_ONLY, "allowed": None}
    assert upload("effect-measurements", EFFECT, "consultant").status_code == 403
    assert upload("effect-measurements", EFFECT, "auditor").status_code == 403
    assert tracker.log.head().position == 0

    first = upload("official-figures", OFFICIAL, "director")
    assert first.status_code == 201
    body = first.json()
    assert (body["kind"], body["rows"], body["stored"], body["problems"], body["unmatched"]) == (
        "official-figures",
        6,
        6,
        [],
        [],
    )
    effect = upload("effect-measurements", EFFECT, "director")
    assert effect.status_code == 201 and effect.json()["stored"] == 2
    again = upload("official-figures", OFFICIAL, "director")
    assert again.status_code == 200 and (again.json()["stored"], again.json()["duplicates"]) == (0, 6)
    assert tracker.log.head().position == 8


def test_an_xlsx_file_gives_the_same_events_as_the_csv(tracker: Tracker) -> None:
    assert run(tracker, "official-figures", OFFICIAL.read_bytes()).stored == 6
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["År", "Mål", "Værdi", "Kilde", "Offentliggjort", "Bemærkning"])
    source = "Erhvervsstyrelsen, brugerevaluering af erhvervshusene 2019"
    published = datetime(2020, 4, 30)
    sheet.append([2019, "3.nps", 58, source, published, "Alle specialiserede forløb"])
    sheet.append([2019, "4.effect", 72.4, source, published, None])
    sheet.append([2019, "1.action_plan_satisfaction", "86.5", source, "2020-04-30", None])  # a decimal point
    sheet.append([2019, "2.growth_plan_effect", 74.25, source, published, None])  # new
    buffer = io.BytesIO()
    book.save(buffer)
    report = run(tracker, "official-figures", buffer.getvalue(), name="officielle-tal.xlsx")
    assert (report.encoding, report.problems, report.stored, report.duplicates) == ("XLSX", [], 1, 3)
    assert tracker.log.head().position == 7


def test_a_bad_row_is_reported_by_column_value_problem_and_allowed_and_stores_nothing(tracker: Tracker) -> None:
    rows = [
        "2019;3.nps;58;Erhvervsstyrelsen;30-04-2020;",
        "2019;3.nsp;58;Erhvervsstyrelsen;30-04-2020;",  # row 3: no such target
        "2019;4.effect;172,5;Erhvervsstyrelsen;30-04-2020;",  # row 4: a rate above 100
        "2019;1.action_plan_nps;12,5,3;Erhvervsstyrelsen;31-04-2020;",  # row 5: no number, no such day
        "2018;1.action_plans;280;Erhvervsstyrelsen;30-04-2020;",  # row 6: no contract for 2018
        "2019;2.growth_plans;301;;30-04-2020;",  # row 7: no source
        "2019;3.nps;59;Erhvervsstyrelsen;30-04-2020;",  # row 8: 3.nps twice in one publication
    ]
    report = run(tracker, "official-figures", csv_bytes(OFFICIAL_HEADER, rows))
    found = {(p.row, p.column): p for p in report.problems}
    assert set(found) == {
        (3, "Mål"),
        (4, "Værdi"),
        (5, "Værdi"),
        (5, "Offentliggjort"),
        (6, "År"),
        (7, "Kilde"),
        (8, ""),
    }
    target = found[(3, "Mål")]
    assert target.value == "3.nsp" and "ukendt mål" in target.problem
    assert target.allowed is not None and "3.nps" in target.allowed and "4.effect" in target.allowed
    assert (found[(4, "Værdi")].value, found[(4, "Værdi")].problem) == (
        "172,5",
        "værdien skal ligge mellem 0 og 100 for et mål af denne art",
    )
    assert found[(5, "Værdi")].problem.startswith("skal være et tal")
    assert found[(5, "Offentliggjort")].problem == "datoen findes ikke"
    assert found[(6, "År")].value == "2018" and "ingen kontrakt for 2018" in found[(6, "År")].problem
    assert found[(7, "Kilde")].problem == "må ikke være tom"
    assert "gentager række 2" in found[(8, "")].problem
    assert (report.stored, report.valid, report.bad_rows) == (0, 1, 6) and tracker.log.head().position == 0

    effect_rows = [
        "2019;Beskæftigelse;6,8;4,1;284;1.912;Erhvervsstyrelsen;15-03-2021",
        "2019;Eksport;6,8;4,1;284;1.912;Erhvervsstyrelsen;15-03-2021",  # row 3
        "2019;Omsætning;9,4;5,2;0;1.912,5;Erhvervsstyrelsen;15-03-2021",  # row 4
        "2019;Omsætning;9,4;5,2;284;1912;Erhvervsstyrelsen;15-03-2018",  # row 5: published before its year
    ]
    header = EFFECT.read_text(encoding="utf-8-sig").splitlines()[0]
    effect = run(tracker, "effect-measurements", csv_bytes(header, effect_rows))
    problems = {(p.row, p.column): p.problem for p in effect.problems}
    assert set(problems) == {(3, "Mål"), (4, "Antal kunder"), (4, "Antal i kontrolgruppe"), (5, "År")}
    assert problems[(3, "Mål")] == "ukendt mål; brug Beskæftigelse eller Omsætning"
    assert problems[(4, "Antal kunder")] == "skal ligge fra 1 til 10000000"
    assert problems[(5, "År")].startswith("kan ikke indberettes før året")
    assert effect.stored == 0 and tracker.log.head().position == 0


def test_a_file_of_the_other_kind_is_named(tracker: Tracker) -> None:
    report = run(tracker, "official-figures", EFFECT.read_bytes())
    assert [(p.row, p.column, p.problem) for p in report.problems][0] == (1, "Værdi", "kolonnen mangler")
    assert "ehsj import effect-measurements" in report.problems[-1].problem
    assert tracker.log.head().position == 0


def evaluation_row(day: str, company: int, course_type: str) -> str:
    return f"{day};{cvr(company)};{course_type};9;5;4;" + ";".join(["i høj grad"] * 7)


def test_answers_that_follow_no_course_are_listed_as_warnings_and_stored(
    database_url: str, client: TestClient, tracker: Tracker, tokens: dict[str, str], tmp_path: Path
) -> None:
    tracker.append(
        {
            "events": [
                course("action_plan", occurred_on="2019-03-01", company=1),
                course("growth_plan", occurred_on="2019-03-01", company=2),
                course("action_plan", occurred_on="2019-06-10", company=3),  # after the answer
                course("growth_plan", occurred_on="2019-03-01", company=4),  # another type
            ]
        },
        by=DIRECTOR,
    )
    withdrawn = tracker.append(course("action_plan", occurred_on="2019-03-01", company=5), by=DIRECTOR)
    tracker.append(retraction(withdrawn[0].event_id), by=DIRECTOR)
    rows = [
        evaluation_row("01-04-2019", 1, "Handlingsplan"),  # row 2: follows its course
        evaluation_row("01-06-2019", 2, "Vækstplan"),  # row 3: follows its course
        evaluation_row("01-06-2019", 3, "Handlingsplan"),  # row 4: the course came later
        evaluation_row("01-06-2019", 4, "Handlingsplan"),  # row 5: a growth plan only
        evaluation_row("01-06-2019", 5, "Handlingsplan"),  # row 6: the course was retracted
        evaluation_row("2019-02-01", 1, "Handlingsplan"),  # row 7: before the company's course
        evaluation_row("10-06-2019", 3, "Handlingsplan"),  # row 8: on the course's day
        evaluation_row("01-06-2019", 6, "Udviklingsplan"),  # row 9: a company never guided
    ]
    data = csv_bytes(EVALUATION_HEADER, rows)
    report = run(tracker, "evaluations", data, by=CONSULTANT)
    expected = [
        (4, cvr(3), "action_plan", "Handlingsplan", date(2019, 6, 1)),
        (5, cvr(4), "action_plan", "Handlingsplan", date(2019, 6, 1)),
        (6, cvr(5), "action_plan", "Handlingsplan", date(2019, 6, 1)),
        (7, cvr(1), "action_plan", "Handlingsplan", date(2019, 2, 1)),
        (9, cvr(6), "development_plan", "Udviklingsplan", date(2019, 6, 1)),
    ]
    assert [(u.row, u.company_cvr, u.course_type, u.course_type_name, u.answered_on) for u in report.unmatched] == (
        expected
    )
    assert {u.problem for u in report.unmatched} == {UNMATCHED}
    assert UNMATCHED.startswith("svaret følger intet forløb af typen for virksomheden og tæller ikke med")
    # a warning, not a refusal: every row is stored
    assert (report.problems, report.stored) == ([], 8) and tracker.log.head().position == 14

    # the API lists them too, also for rows already in the log (the state they are in now)
    files = {"file": ("evaluering.csv", data, "text/csv")}
    again = client.post("/api/imports/evaluations", files=files, headers=auth(tokens["consultant"]))
    assert again.status_code == 200 and again.json()["duplicates"] == 8
    assert [(u["row"], u["company_cvr"], u["course_type"], u["answered_on"]) for u in again.json()["unmatched"]] == [
        (row, company, key, day.isoformat()) for row, company, key, _name, day in expected
    ]
    assert again.json()["unmatched"][0]["problem"] == UNMATCHED

    # once the course is logged, its answer is matched; the CLI shows what is left, with exit code 0
    tracker.append(course("development_plan", occurred_on="2019-05-01", company=6), by=DIRECTOR)
    path = tmp_path / "evaluering.csv"
    path.write_bytes(data)
    shown = cli(database_url, "evaluations", str(path), "--as", "Karen Konsulent")
    assert shown.returncode == 0, shown.stderr
    assert "Advarsler" in shown.stderr and "Advarsel for 4 svar" in shown.stderr and UNMATCHED in shown.stderr
    assert cvr(5) in shown.stderr and cvr(6) not in shown.stderr and "0 nye hændelser gemt" in shown.stderr


def test_evaluations_after_their_courses_in_the_examples_give_no_warning(tracker: Tracker) -> None:
    assert run(tracker, "crm", (EXAMPLES / "crm-eksport.csv").read_bytes()).problems == []
    report = run(tracker, "evaluations", (EXAMPLES / "evaluering-eksport.csv").read_bytes())
    assert (report.problems, report.unmatched) == ([], []) and report.stored == report.rows


def test_the_web_page_offers_erhvervsstyrelsens_files_to_the_director_alone(
    settings: Settings, tracker: Tracker
) -> None:
    create_people(tracker.engine)
    with TestClient(create_app(settings, tracker), base_url="https://testserver") as web:

        def upload(kind: str, data: bytes) -> Any:
            form = {"kind": kind, "csrf_token": token_of(web, "/import")}
            return web.post("/import", data=form, files={"file": ("fil.csv", data, "text/csv")})

        sign_in(web, "Karen Konsulent")
        assert 'value="official-figures"' not in web.get("/import").text
        refused = upload("official-figures", OFFICIAL.read_bytes())
        assert refused.status_code == 403 and "Kun direktøren kan registrere Erhvervsstyrelsens tal" in refused.text
        answers = csv_bytes(EVALUATION_HEADER, [evaluation_row("01-06-2019", 7, "Vækstplan")])
        warned = upload("evaluations", answers)
        assert warned.status_code == 200 and 'id="unmatched"' in warned.text and cvr(7) in warned.text
        assert UNMATCHED in warned.text and "1. juni 2019" in warned.text and "Vækstplan" in warned.text
        web.cookies.clear()

        sign_in(web, "Dorte Direktør")
        page = web.get("/import").text
        assert 'value="official-figures"' in page and 'value="effect-measurements"' in page
        done = upload("effect-measurements", EFFECT.read_bytes())
        assert done.status_code == 200 and 'id="stored-count">2<' in done.text
    assert tracker.log.head().position == 3
