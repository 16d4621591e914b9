"""The seed's measurement rules on the paths users take (issue 10): the API with every role, the
rule book's closed year for an evaluation counted in its course's year, the final statement and the
audit diff, and the dashboard — on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from ehsj_core.events.rulebook import Forbidden
from ehsj_core.tracker import Tracker
from tests.conftest import auth
from tests.factories import Actor, course, cvr
from tests.webclient import sign_in

DIRECTOR, CONSULTANT = Actor("Dorte Direktør", "director"), Actor("Karen Konsulent", "consultant")


def answer(occurred_on: str, company: int, nps: int = 10, course_type: str = "action_plan") -> dict[str, Any]:
    return {
        "type": "evaluation.received",
        "occurred_on": occurred_on,
        "data": {
            "course_type": course_type,
            "company_cvr": cvr(company),
            "nps": nps,
            "satisfaction": 5,
            "consultant_competence": 5,
            "effect": ["hoj"] + ["lav"] * 6,
        },
    }


def official(target: str, value: float, on: str = "2020-03-02", year: int = 2019) -> dict[str, Any]:
    data = {"target": target, "year": year, "value": value, "source": "Erhvervsstyrelsen", "published_on": on}
    return {"type": "official_figure.reported", "occurred_on": on, "data": data}


def _target(body: dict[str, Any], goal_id: str, key: str) -> dict[str, Any]:
    goal = next(g for g in body["goals"] if g["id"] == goal_id)
    return next(t for t in goal["targets"] if t["key"] == key)


def test_the_api_gives_the_official_figure_beside_ours_and_only_the_director_records_it(
    client: TestClient, tokens: dict[str, str]
) -> None:
    for event in (course(occurred_on="2019-03-04", company=1), answer("2019-04-01", 1, nps=10)):
        assert client.post("/api/events", json=event, headers=auth(tokens["consultant"])).status_code == 201
    refused = client.post("/api/events", json=official("3.nps", 45), headers=auth(tokens["consultant"]))
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["problem"] == "kun direktøren kan registrere Erhvervsstyrelsens tal"
    bad = client.post("/api/events", json=official("3.nope", 45), headers=auth(tokens["director"]))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "data"
    assert "3.nps" in bad.json()["errors"][0]["allowed"]
    out_of_range = client.post("/api/events", json=official("3.nps", 145), headers=auth(tokens["director"]))
    assert out_of_range.status_code == 422
    assert client.post("/api/events", json=official("3.nps", 45), headers=auth(tokens["director"])).status_code == 201

    for role in ("director", "consultant", "auditor", "chief"):
        body = client.get("/api/goals?year=2019", headers=auth(tokens[role])).json()
        nps = _target(body, "3", "nps")
        assert (nps["actual"], nps["official"]["value"], nps["difference"], nps["decided_by"]) == (
            100,
            45.0,
            -55.0,
            "official",
        )
        assert nps["fulfilment_pct"] == 0  # 45 < 50, while our own 100 would have been 100 %
        goal_3 = next(g for g in body["goals"] if g["id"] == "3")
        assert (goal_3["category"], goal_3["category_label"]) == ("national", "nationalt mål")


def test_a_january_answer_to_a_december_course_counts_in_the_course_year_and_the_closed_year_guards_it(
    tracker: Tracker,
) -> None:
    tracker.append(course(occurred_on="2019-12-10", company=4), by=CONSULTANT)
    tracker.append(course(occurred_on="2020-01-06", company=5), by=CONSULTANT)
    tracker.append({"type": "period.closed", "occurred_on": "2020-02-01", "data": {"year": 2019}}, by=DIRECTOR)
    # Company 5's answer follows its 2020 course: 2020 is open, the consultant may log it.
    tracker.append(answer("2020-02-03", 5, nps=0), by=CONSULTANT)
    # Company 4's answer follows its December 2019 course: it counts in the closed 2019.
    with pytest.raises(Forbidden) as refused:
        tracker.append(answer("2020-02-03", 4), by=CONSULTANT)
    assert refused.value.problems[0].field == "occurred_on"
    assert "2019 blev lukket" in refused.value.problems[0].problem
    [late] = tracker.append(answer("2020-02-03", 4), by=DIRECTOR)

    nps_2019 = tracker.status(2019).goal("3").targets[0]
    nps_2020 = tracker.status(2020).goal("3").targets[0] if 2020 in tracker.contract_book().years("sjaelland") else None
    assert nps_2019.actual == 100  # company 4's promoter, in 2019
    assert nps_2020 is None or nps_2020.actual == -100  # company 5's detractor, in 2020 only
    statement = tracker.statement(2019)
    assert [e.position for e in statement.after_close] == [late.position]
    assert next(t for g in statement.goals for t in g.targets if t.key == "nps").actual == 100


def test_an_official_figure_for_a_closed_year_needs_the_director_and_an_unmatched_answer_is_listed(
    client: TestClient, tokens: dict[str, str], tracker: Tracker
) -> None:
    tracker.append({"type": "period.closed", "occurred_on": "2020-01-20", "data": {"year": 2019}}, by=DIRECTOR)
    [figure] = tracker.append(official("4.effect", 72.5), by=DIRECTOR)
    result = tracker.diff(2019, figure.position - 1, figure.position)
    [change] = [c for c in result.changes if c.key == "effect"]
    assert [e.event.position for e in change.explanations] == [figure.position]
    assert "registreret efter lukning" in change.explanations[0].label
    assert change.official is not None and change.official.startswith(
        "Erhvervsstyrelsens tal 72,5 (Erhvervsstyrelsen, offentliggjort 2. marts 2020)"
    )
    assert "intet eget tal" in change.official

    tracker.append(answer("2019-05-06", 9, course_type="growth_plan"), by=DIRECTOR)  # no growth plan: unmatched
    body = client.get("/api/goals?year=2019", headers=auth(tokens["auditor"])).json()
    goal_2 = next(g for g in body["goals"] if g["id"] == "2")
    assert goal_2["unmatched_evaluations"] == [
        {"course_type": "growth_plan", "company_cvr": cvr(9), "answered_on": "2019-05-06"}
    ]
    assert _target(body, "2", "growth_plan_nps")["actual"] is None


def test_the_dashboard_shows_the_official_figure_the_goal_groups_and_the_unmatched_answers(
    web: TestClient, tracker: Tracker
) -> None:
    tracker.append(answer("2019-05-06", 9, course_type="growth_plan"), by=DIRECTOR)
    tracker.append(official("3.nps", 45), by=DIRECTOR)
    sign_in(web, "Anders Revisor")
    page = web.get("/?year=2019")
    assert page.status_code == 200
    html = page.text
    assert "Erhvervsstyrelsens tal: <strong>45</strong>" in html
    assert "lokalt aftalt mål" in html and "fælles mål for alle erhvervshuse" in html
    assert "1 evaluering uden forløb tæller ikke med" in html
    assert f"CVR {cvr(9)}, vækstplan, besvaret 6. maj 2019" in html
    assert "Målet som helhed: <strong>0 % opfyldt</strong>" in html  # goal 6, neither milestone
    goal = web.get("/maal/2?year=2019")
    assert goal.status_code == 200 and "afventer måling" in goal.text
