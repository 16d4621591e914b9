"""The closed-year rules of the append path, as a pure function of the batch, the role and the closes."""

from __future__ import annotations

from datetime import UTC, date, datetime

from ehsj_core.audit.closing import Close, CloseHistory, TargetInfo, check_batch
from ehsj_core.events.validation import NewEvent

HOUSE = "sjaelland"
CLOSED_2019 = CloseHistory((Close(HOUSE, 2019, "c-2019", 100, datetime(2020, 1, 20, tzinfo=UTC), "Dorte Direktør", None),))


def course(on: date, event_id: str = "e-1") -> NewEvent:
    data = {"course_type": "short", "municipality": "Lolland", "consultant": "Karen", "topics": []}
    return NewEvent(event_id, "course.completed", on, HOUSE, data)


def close(year: int, on: date, event_id: str = "c-new") -> NewEvent:
    return NewEvent(event_id, "period.closed", on, HOUSE, {"year": year})


def retraction(target: str, on: date = date(2020, 2, 1)) -> NewEvent:
    return NewEvent("r-1", "event.retracted", on, HOUSE, {"target_event_id": target, "reason": "fejl"})


def test_a_consultant_may_not_log_for_a_closed_year() -> None:
    denied, invalid = check_batch([course(date(2019, 12, 30))], "consultant", CLOSED_2019, 120, {})
    assert invalid == []
    [(index, problem)] = denied
    assert index == 0 and problem.field == "occurred_on" and problem.value == "2019-12-30"
    assert "2019 blev lukket af Dorte Direktør" in problem.problem and "kun direktøren" in problem.problem


def test_the_director_and_trusted_callers_may_log_for_a_closed_year() -> None:
    for role in ("director", None):
        assert check_batch([course(date(2019, 12, 30))], role, CLOSED_2019, 120, {}) == ([], [])


def test_an_open_year_takes_anybodys_events() -> None:
    assert check_batch([course(date(2020, 1, 6))], "consultant", CLOSED_2019, 120, {}) == ([], [])


def test_only_the_director_closes_a_year_and_only_once_it_has_ended() -> None:
    denied, invalid = check_batch([close(2020, date(2020, 6, 1))], "consultant", CloseHistory(()), 5, {})
    assert [p.problem for _i, p in denied] == ["kun direktøren kan lukke et år"]
    assert "først lukkes, når det er slut" in invalid[0][1].problem


def test_a_closed_year_cannot_be_closed_again() -> None:
    _denied, invalid = check_batch([close(2019, date(2020, 2, 1))], "director", CLOSED_2019, 120, {})
    [(_index, problem)] = invalid
    assert problem.field == "data.year" and "allerede lukket" in problem.problem


def test_a_retraction_counts_in_the_year_of_the_event_it_withdraws() -> None:
    targets = {"old": TargetInfo("course.completed", HOUSE, date(2019, 5, 2))}
    denied, _invalid = check_batch([retraction("old")], "consultant", CLOSED_2019, 120, targets)
    [(_index, problem)] = denied
    assert problem.field == "data.target_event_id" and problem.value == "old"


def test_only_the_director_reopens_a_year_and_a_reopened_year_takes_events_again() -> None:
    targets = {"c-2019": TargetInfo("period.closed", HOUSE, date(2020, 1, 20))}
    denied, _ = check_batch([retraction("c-2019")], "consultant", CLOSED_2019, 120, targets)
    assert [p.problem for _i, p in denied] == ["kun direktøren kan genåbne et lukket år"]
    batch = [retraction("c-2019"), course(date(2019, 12, 30), "e-2")]
    assert check_batch(batch, "director", CLOSED_2019, 120, targets) == ([], [])
    reopened = CloseHistory((Close(HOUSE, 2019, "c-2019", 100, datetime(2020, 1, 20, tzinfo=UTC), "D", None, reopened_at=130),))
    assert check_batch([course(date(2019, 12, 30))], "consultant", reopened, 140, {}) == ([], [])


def test_a_close_earlier_in_the_batch_applies_to_the_events_after_it() -> None:
    denied, _ = check_batch([close(2019, date(2020, 1, 20)), course(date(2019, 6, 1))], "consultant", CloseHistory(()), 10, {})
    assert [i for i, _p in denied] == [0, 1]
    assert [p.field for _i, p in denied] == ["events[0].type", "events[1].occurred_on"]


def test_a_close_is_active_between_its_position_and_its_reopening() -> None:
    c = Close(HOUSE, 2019, "c", 100, datetime(2020, 1, 20, tzinfo=UTC), "D", None, reopened_at=130)
    assert [c.active_at(p) for p in (100, 101, 129, 130, 131)] == [False, True, True, False, False]
