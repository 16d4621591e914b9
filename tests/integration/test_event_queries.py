"""The read queries behind the web pages, on SQLite and PostgreSQL."""

from __future__ import annotations

from ehsj_core.events.records import HistoryQuery
from ehsj_core.tracker import Tracker
from tests.factories import Actor, course, cvr, retraction


def targets(tracker: Tracker, goal_id: str) -> dict[str, object]:
    goal = next(g for g in tracker.contract(2019).contract.goals if g.id == goal_id)
    return {t.key: t for t in goal.targets}


def test_the_events_towards_a_target_follow_its_metric_and_leave_out_retractions(tracker: Tracker) -> None:
    digital = course("growth_plan", "Køge", company=1, topics=["export", "digital_business_model"])
    plain = course("growth_plan", "Køge", company=2, topics=["export"])
    big = {
        "type": "event.held",
        "occurred_on": "2019-09-01",
        "data": {"event_kind": "joint_hovedstaden", "title": "Stor", "municipality": "Roskilde", "participants": 140},
    }
    small = {
        "type": "event.held",
        "occurred_on": "2019-09-02",
        "data": {"event_kind": "joint_hovedstaden", "title": "Lille", "municipality": "Roskilde", "participants": 40},
    }
    milestone = {"type": "milestone.reached", "occurred_on": "2019-04-01", "data": {"milestone": "5B.code_of_conduct"}}
    results = tracker.append({"events": [digital, plain, big, small, milestone]}, by=Actor("Karen"))
    head = tracker.log.head().position
    house = tracker.house

    def found(goal_id: str, key: str, upto: int | None = None) -> list[int]:
        target = targets(tracker, goal_id)[key]
        at = tracker.log.head().position if upto is None else upto
        return [e.position for e in tracker.log.events_towards(house, 2019, goal_id, target, at)]  # type: ignore[arg-type]

    assert found("7", "digital_business_model_courses") == [results[0].position]
    assert found("2", "growth_plans") == [2, 1]
    assert found("10", "big_joint_event") == [3]
    assert found("5B", "code_of_conduct") == [5]
    tracker.append(retraction(results[0].event_id), by=Actor("Karen"))
    assert found("2", "growth_plans") == [2]
    assert found("2", "growth_plans", upto=head) == [2, 1]  # as known before the retraction


def test_the_history_finds_by_consultant_and_company_and_names_the_retraction(tracker: Tracker) -> None:
    [first] = tracker.append(
        course("short", "Faxe", company=3, company_name="Øresund Ost I/S"), by=Actor("Karen Konsulent")
    )
    tracker.append(course("short", "Faxe", company=4, consultant="Bo Ørsted"), by=Actor("Kim"))
    tracker.append(retraction(first.event_id, reason="Dublet"), by=Actor("Dorte"))
    page = tracker.log.find_history(tracker.house, HistoryQuery(company="øresund"))
    assert [e.event.position for e in page.entries] == [1]
    retracted = page.entries[0].retraction
    assert retracted is not None and (retracted.recorded_by, retracted.reason, retracted.position) == (
        "Dorte",
        "Dublet",
        3,
    )
    by_consultant = tracker.log.find_history(tracker.house, HistoryQuery(consultant="ØRSTED"))
    assert [e.event.position for e in by_consultant.entries] == [2]
    assert tracker.log.find_history(tracker.house, HistoryQuery(company="100%_")).entries == []
    assert tracker.log.company_hint(tracker.house, cvr(3)) is None  # its only course is retracted
    hint = tracker.log.company_hint(tracker.house, cvr(4))
    assert hint is not None and hint.municipality == "Faxe"


def test_a_name_many_companies_share_still_finds_their_newest_events_and_only_theirs(tracker: Tracker) -> None:
    from ehsj_core.events.reader import MANY_COMPANIES

    shared = [
        course("action_plan", "Køge", company=n, company_name=f"Jensen & Søn {n} ApS")
        for n in range(1, MANY_COMPANIES + 6)
    ]
    other = [course("action_plan", "Køge", company=n, company_name=f"Andersen {n}") for n in range(500, 510)]
    tracker.append({"events": [*shared, *other]}, by=Actor("Karen"))
    page = tracker.log.find_history(tracker.house, HistoryQuery(company="JENSEN", limit=50))
    assert len(page.entries) == 50 and page.older is not None
    assert all("Jensen" in str(getattr(e.event.data, "company_name", "")) for e in page.entries)
    assert [e.event.position for e in page.entries] == list(range(len(shared), len(shared) - 50, -1))
    few = tracker.log.find_history(tracker.house, HistoryQuery(company="andersen 50"))
    assert len(few.entries) == 10
