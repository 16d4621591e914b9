"""Closing a year: only the director closes it; afterwards a consultant's event for it is refused and
nothing is stored, the director's is taken and flagged "registreret efter lukning" — on SQLite and
PostgreSQL, through the tracker and through the API."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ehsj_core.events.rulebook import Forbidden
from ehsj_core.events.validation import InvalidInput
from ehsj_core.tracker import Tracker
from tests.conftest import auth
from tests.factories import Actor, course, new_id, retraction


def close(year: int = 2019, on: str = "2020-01-15", **extra: Any) -> dict[str, Any]:
    return {"type": "period.closed", "occurred_on": on, "data": {"year": year, **extra}}


def test_a_consultant_is_refused_a_late_event_for_a_closed_year_and_the_director_is_flagged(tracker: Tracker) -> None:
    tracker.append(course(occurred_on="2019-11-04", company=1), by=Actor("Karen", "consultant"))
    [closed] = tracker.append(close(note="Regnskabet er afsluttet"), by=Actor("Dorte Direktør", "director"))
    with pytest.raises(Forbidden) as refused:
        tracker.append(course(occurred_on="2019-12-19", company=2), by=Actor("Karen", "consultant"))
    [problem] = refused.value.problems
    assert problem.field == "occurred_on"
    assert "2019 blev lukket af Dorte Direktør" in problem.problem and f"position {closed.position}" in problem.problem
    assert tracker.log.head().position == closed.position  # nothing stored

    tracker.append(course(occurred_on="2020-01-16", company=3), by=Actor("Karen", "consultant"))  # 2020 is open
    [late] = tracker.append(course(occurred_on="2019-12-19", company=2), by=Actor("Dorte Direktør", "director"))

    statement = tracker.statement(2019)
    assert [e.position for e in statement.after_close] == [late.position]
    assert statement.closes[0].by == "Dorte Direktør" and statement.closes[0].note == "Regnskabet er afsluttet"
    result = tracker.diff(2019, closed.position, late.position)
    [change] = [c for c in result.changes if c.key == "action_plans"]
    assert [e.event.position for e in change.explanations] == [late.position]
    assert (
        change.explanations[0].after_close is not None and "registreret efter lukning" in change.explanations[0].label
    )
    assert [e.position for e in result.after_close] == [late.position]


def test_only_the_director_closes_a_year_and_only_after_it_has_ended(tracker: Tracker) -> None:
    with pytest.raises(Forbidden, match="kun direktøren kan lukke et år"):
        tracker.append(close(), by=Actor("Karen", "consultant"))
    with pytest.raises(InvalidInput, match="først lukkes, når det er slut"):
        tracker.append(close(on="2019-12-31"), by=Actor("Dorte", "director"))
    tracker.append(close(), by=Actor("Dorte", "director"))
    with pytest.raises(InvalidInput, match="allerede lukket"):
        tracker.append(close(on="2020-02-01"), by=Actor("Dorte", "director"))
    assert tracker.log.head().position == 1


def test_a_consultant_cannot_retract_an_event_of_a_closed_year_nor_reopen_it(tracker: Tracker) -> None:
    event = course(event_id=new_id(), occurred_on="2019-06-03")
    tracker.append(event, by=Actor("Karen", "consultant"))
    [closed] = tracker.append(close(), by=Actor("Dorte", "director"))
    with pytest.raises(Forbidden, match="lukket år"):
        tracker.append(retraction(event["event_id"], occurred_on="2020-02-03"), by=Actor("Karen", "consultant"))
    with pytest.raises(Forbidden, match="genåbne"):
        tracker.append(retraction(closed.event_id, occurred_on="2020-02-03"), by=Actor("Karen", "consultant"))
    tracker.append(retraction(closed.event_id, occurred_on="2020-02-03"), by=Actor("Dorte", "director"))  # reopened
    tracker.append(course(occurred_on="2019-12-20", company=4), by=Actor("Karen", "consultant"))
    assert tracker.log.head().position == 4


def test_a_retried_append_of_an_event_stored_before_the_close_is_still_a_duplicate(tracker: Tracker) -> None:
    event = course(event_id=new_id(), occurred_on="2019-06-03")
    [first] = tracker.append(event, by=Actor("Karen", "consultant"))
    tracker.append(close(), by=Actor("Dorte", "director"))
    [again] = tracker.append(event, by=Actor("Karen", "consultant"))
    assert again.duplicate and again.position == first.position


def test_the_close_counts_nowhere(tracker: Tracker) -> None:
    tracker.append(course(occurred_on="2019-06-03"), by=Actor("Karen"))
    before = tracker.status(2019).as_dict()["goals"]
    tracker.append(close(), by=Actor("Dorte", "director"))
    assert tracker.status(2019).as_dict()["goals"] == before


def test_a_close_and_late_events_racing_never_let_a_consultant_in_after_the_close(tracker: Tracker) -> None:
    """The closes are read under the append lock: a consultant's 2019 event is either stored before
    the close or refused, never after it."""
    outcomes: list[str] = []
    start = threading.Barrier(5)

    def consultant(n: int) -> None:
        start.wait()
        for i in range(15):
            try:
                tracker.append(course(occurred_on="2019-12-30", company=100 * n + i), by=Actor(f"k{n}", "consultant"))
                outcomes.append("stored")
            except Forbidden:
                outcomes.append("refused")

    def director() -> None:
        start.wait()
        tracker.append(close(), by=Actor("Dorte", "director"))

    threads = [threading.Thread(target=consultant, args=(n,)) for n in range(4)] + [threading.Thread(target=director)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    events = list(tracker.log.read_all())
    [closed] = [e for e in events if e.type == "period.closed"]
    late = [e for e in events if e.type == "course.completed" and e.position > closed.position]
    assert late == []
    assert outcomes.count("stored") == len(events) - 1 and len(outcomes) == 60


def test_through_the_api_a_consultant_gets_a_danish_403_and_the_director_a_201(
    client: TestClient, tokens: dict[str, str]
) -> None:
    consultant, director = auth(tokens["consultant"]), auth(tokens["director"])
    refused = client.post("/api/events", json=close(), headers=consultant)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["problem"] == "kun direktøren kan lukke et år"
    assert client.post("/api/events", json=close(), headers=director).status_code == 201
    late = client.post("/api/events", json=course(occurred_on="2019-12-30"), headers=consultant)
    assert late.status_code == 403
    [problem] = late.json()["errors"]
    assert problem["field"] == "occurred_on" and "kun direktøren" in problem["problem"]
    assert client.post("/api/events", json=course(occurred_on="2019-12-30"), headers=director).status_code == 201
    assert client.get("/api/healthz").json()["position"] == 2
