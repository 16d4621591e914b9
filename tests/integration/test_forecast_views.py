"""The forecast where people decide (issue 13): `/api/goals`, the dashboard and goal pages, and the
chief's quarterly e-mail — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from ehsj_core.reports.data import build_quarterly
from ehsj_core.reports.periods import Period
from ehsj_core.reports.render import render
from ehsj_core.tracker import Tracker
from tests.conftest import auth
from tests.factories import Actor, course
from tests.webclient import sign_in

KAREN = Actor("Karen Konsulent", "consultant")


def _short_courses(tracker: Tracker, n: int, on: str, municipality: str = "Lolland") -> None:
    tracker.append(
        {"events": [course("short", municipality, on, company=0) for _ in range(n)]},
        by=KAREN,
    )


def test_the_api_gives_each_count_target_its_forecast(client: TestClient, tokens: dict[str, str]) -> None:
    tracker: Tracker = client.app.state.tracker  # type: ignore[attr-defined]
    _short_courses(tracker, 20, "2019-03-05")
    as_of = tracker.log.head().position  # judged on the day it was recorded: today, after 2019
    body = client.get("/api/goals", params={"year": 2019}, headers=auth(tokens["chief"])).json()
    shorts = body["goals"][0]["targets"][0]
    assert shorts["key"] == "short_courses" and as_of > 0
    # the year is over (judged today): the forecast is the figure itself
    assert shorts["forecast"] == {
        "value": 20.0,
        "low": 20.0,
        "high": 20.0,
        "word": "expected_missed",
        "word_label": "forventes ikke opfyldt",
        "needed_per_week": None,
        "needed_share_pct": None,
        "method": "final",
        "history_years": [],
    }
    milestone = next(t for g in body["goals"] for t in g["targets"] if t["kind"] == "milestone")
    assert milestone["forecast"] is None


def test_the_quarterly_email_and_the_pages_show_where_the_year_will_end(web: TestClient, tracker: Tracker) -> None:
    # For the pages as of a moment in 2019: courses recorded (backdated, as the demo does) in April.
    events = [tracker.validate(course("short", "Sorø", "2019-04-02", company=0)) for _ in range(30)]
    tracker.append_events(events, KAREN, recorded_at=datetime(2019, 4, 3, 9, 0, tzinfo=UTC))
    _short_courses(tracker, 70, "2019-03-05")
    tracker.append(
        {
            "events": [
                course("action_plan", "Roskilde" if i < 10 else "Lolland", "2019-05-06", company=i) for i in range(100)
            ]
        },
        by=KAREN,
    )
    position = tracker.log.head().position
    q2 = Period("quarter", 2019, 2)
    report = build_quarterly(tracker.facts_at(2019, position), q2, "Roskilde")
    shorts = report.goals[0].targets[0]
    # 100 by 30 June (181/365): 201.7 expected, the range within 400: "forventes ikke opfyldt"
    assert shorts.forecast is not None and (shorts.forecast.value, shorts.forecast.word) == (201.7, "expected_missed")
    assert report.outlook is not None
    # Roskilde: 10 of 100 specialised courses → 20.2 of 201.7 by 31 December; 10.51 % of 201.7 is 21.2
    assert (report.outlook.expected_year_end, report.outlook.expected_share_pct, report.outlook.short_of_share) == (
        20.2,
        10.0,
        1.0,
    )
    rendered = render(report)
    assert "Prognose for årets udgang: 201,7" in rendered.text
    assert "cirka 20 af 202 specialiserede forløb" in rendered.text
    assert "Fortsætter året som hidtil" in rendered.html

    sign_in(web, "Anders Revisor")
    page = web.get("/", params={"year": 2019, "as_of": "2019-06-30"})
    assert page.status_code == 200
    assert "Prognose for årets udgang" in page.text and 'class="forecast-band"' in page.text
    goal = web.get("/maal/1", params={"year": 2019, "as_of": "2019-06-30"})
    assert goal.status_code == 200 and "prikken i december er prognosen" in goal.text
