"""The rule book as a pure function: a batch, who appends it, and what the log holds → the decision."""

from __future__ import annotations

from datetime import UTC, date, datetime

from ehsj_core.events.chain import GENESIS_HASH
from ehsj_core.events.closes import Close, CloseHistory
from ehsj_core.events.records import Head, RetractionRef, StoredSummary
from ehsj_core.events.rulebook import Decision, LogState, decide
from ehsj_core.events.validation import NewEvent, Problem
from tests.factories import Actor

HOUSE = "sjaelland"
CLOSED_2019 = CloseHistory(
    (Close(HOUSE, 2019, "c-2019", 100, datetime(2020, 1, 20, tzinfo=UTC), "Dorte Direktør", None),)
)
KAREN, KIM, DORTE = Actor("Karen", "consultant"), Actor("Kim", "consultant"), Actor("Dorte Direktør", "director")
COURSE_DATA = {"course_type": "short", "municipality": "Lolland", "consultant": "Karen", "topics": []}


def course(on: date, event_id: str = "e-1") -> NewEvent:
    return NewEvent(event_id, "course.completed", on, HOUSE, COURSE_DATA)


def close(year: int, on: date, event_id: str = "c-new") -> NewEvent:
    return NewEvent(event_id, "period.closed", on, HOUSE, {"year": year})


def retraction(target: str, on: date = date(2020, 2, 1), event_id: str = "r-1") -> NewEvent:
    return NewEvent(event_id, "event.retracted", on, HOUSE, {"target_event_id": target, "reason": "fejl"})


def stored(event_id: str, type_: str, on: date, by: str, position: int = 50, house: str = HOUSE) -> StoredSummary:
    return StoredSummary(event_id, position, type_, house, on, by, COURSE_DATA)


def state(
    *summaries: StoredSummary, closes: CloseHistory = CloseHistory(()), head: int = 120, retracted: tuple[str, ...] = ()
) -> LogState:
    refs = {r: RetractionRef(r, 1, f"x-{r}", 2) for r in retracted}
    return LogState(Head(head, GENESIS_HASH, None), {s.event_id: s for s in summaries}, refs, closes)


def refused(decision: Decision) -> tuple[list[Problem], list[Problem]]:
    """(problems of the role: 403, other problems: 422)."""
    return [r.problem for r in decision.refusals if r.forbidden], [
        r.problem for r in decision.refusals if not r.forbidden
    ]


def test_a_consultant_may_not_log_for_a_closed_year() -> None:
    denied, invalid = refused(decide([course(date(2019, 12, 30))], KAREN, HOUSE, state(closes=CLOSED_2019)))
    assert invalid == []
    [problem] = denied
    assert problem.field == "occurred_on" and problem.value == "2019-12-30"
    assert "2019 blev lukket af Dorte Direktør" in problem.problem and "kun direktøren" in problem.problem


def test_the_director_may_log_for_a_closed_year() -> None:
    assert decide([course(date(2019, 12, 30))], DORTE, HOUSE, state(closes=CLOSED_2019)).refusals == ()


def test_an_open_year_takes_a_consultants_events_numbered_after_the_head() -> None:
    decision = decide(
        [course(date(2020, 1, 6)), course(date(2020, 1, 7), "e-2")], KAREN, HOUSE, state(closes=CLOSED_2019)
    )
    assert decision.refusals == () and [r.position for r in decision.results] == [121, 122]


def test_only_consultants_and_the_director_log_events() -> None:
    for role in ("auditor", "chief", "national"):
        denied, _ = refused(decide([course(date(2019, 5, 2))], Actor("x", role), HOUSE, state()))
        assert [p.problem for p in denied] == [f"rollen '{role}' må ikke registrere hændelser"]


def test_only_the_director_closes_a_year_and_only_once_it_has_ended() -> None:
    denied, invalid = refused(decide([close(2020, date(2020, 6, 1))], KAREN, HOUSE, state()))
    assert [p.problem for p in denied] == ["kun direktøren kan lukke et år"]
    assert "først lukkes, når det er slut" in invalid[0].problem


def test_a_closed_year_cannot_be_closed_again() -> None:
    _denied, invalid = refused(decide([close(2019, date(2020, 2, 1))], DORTE, HOUSE, state(closes=CLOSED_2019)))
    [problem] = invalid
    assert problem.field == "data.year" and "allerede lukket" in problem.problem


def test_a_retraction_counts_in_the_year_of_the_event_it_withdraws() -> None:
    old = stored("old", "course.completed", date(2019, 5, 2), "Karen")
    denied, _invalid = refused(decide([retraction("old")], KAREN, HOUSE, state(old, closes=CLOSED_2019)))
    [problem] = denied
    assert problem.field == "data.target_event_id" and problem.value == "old"


def test_a_consultant_retracts_only_their_own_events_and_the_director_anyones() -> None:
    kims = stored("kims", "course.completed", date(2020, 5, 2), "Kim")
    denied, _ = refused(decide([retraction("kims")], KAREN, HOUSE, state(kims)))
    assert [p.problem for p in denied] == ["du kan kun tilbagekalde hændelser, du selv har registreret"]
    assert decide([retraction("kims")], KIM, HOUSE, state(kims)).refusals == ()
    decision = decide([retraction("kims")], DORTE, HOUSE, state(kims))
    assert decision.refusals == () and decision.retraction_targets == {"r-1": ("kims", 50)}


def test_an_event_earlier_in_the_batch_is_the_appenders_own() -> None:
    batch = [course(date(2020, 5, 2), "new"), retraction("new")]
    decision = decide(batch, KAREN, HOUSE, state())
    assert decision.refusals == () and decision.retraction_targets == {"r-1": ("new", 121)}


def test_a_retraction_needs_a_live_target_of_the_house_that_is_not_a_retraction() -> None:
    cases = {
        "der findes ingen hændelse med dette id": state(),
        "en tilbagekaldelse kan ikke tilbagekaldes": state(stored("t", "event.retracted", date(2020, 5, 2), "Karen")),
        "hændelsen tilhører et andet erhvervshus": state(
            stored("t", "course.completed", date(2020, 5, 2), "Karen", house="fyn")
        ),
        "hændelsen er allerede tilbagekaldt": state(
            stored("t", "course.completed", date(2020, 5, 2), "Karen"), retracted=("t",)
        ),
    }
    for expected, log in cases.items():
        _denied, invalid = refused(decide([retraction("t")], DORTE, HOUSE, log))
        assert len(invalid) == 1 and invalid[0].problem.startswith(expected), expected


def test_the_same_target_twice_in_one_batch_is_refused_the_second_time() -> None:
    target = stored("t", "course.completed", date(2020, 5, 2), "Karen")
    batch = [retraction("t", event_id="r-1"), retraction("t", event_id="r-2")]
    _denied, invalid = refused(decide(batch, KAREN, HOUSE, state(target)))
    assert [p.field for p in invalid] == ["events[1].data.target_event_id"]


def test_only_the_director_reopens_a_year_and_a_reopened_year_takes_events_again() -> None:
    the_close = stored("c-2019", "period.closed", date(2020, 1, 20), "Dorte Direktør", position=100)
    denied, _ = refused(decide([retraction("c-2019")], KAREN, HOUSE, state(the_close, closes=CLOSED_2019)))
    assert "kun direktøren kan genåbne et lukket år" in [p.problem for p in denied]
    batch = [retraction("c-2019"), course(date(2019, 12, 30), "e-2")]
    assert decide(batch, DORTE, HOUSE, state(the_close, closes=CLOSED_2019)).refusals == ()
    reopened = CloseHistory(
        (Close(HOUSE, 2019, "c-2019", 100, datetime(2020, 1, 20, tzinfo=UTC), "D", None, reopened_at=130),)
    )
    assert decide([course(date(2019, 12, 30))], KAREN, HOUSE, state(closes=reopened, head=140)).refusals == ()


def test_a_close_earlier_in_the_batch_applies_to_the_events_after_it() -> None:
    batch = [close(2019, date(2020, 1, 20)), course(date(2019, 6, 1))]
    denied, _ = refused(decide(batch, KAREN, HOUSE, state(head=10)))
    assert [p.field for p in denied] == ["events[0].type", "events[1].occurred_on"]


def test_a_known_event_is_a_duplicate_to_which_no_rule_applies_again() -> None:
    known = stored("e-1", "course.completed", date(2019, 12, 30), "Karen", position=7)
    decision = decide([course(date(2019, 12, 30))], KAREN, HOUSE, state(known, closes=CLOSED_2019))
    assert decision.refusals == () and decision.fresh == () and decision.results[0].duplicate
    other = NewEvent("e-1", "course.completed", date(2019, 12, 30), HOUSE, {**COURSE_DATA, "municipality": "Sorø"})
    assert decide([other], KAREN, HOUSE, state(known)).conflicts == ((0, "e-1", 7),)


def test_an_event_of_another_house_is_refused() -> None:
    foreign = NewEvent("e-9", "course.completed", date(2019, 5, 2), "fyn", COURSE_DATA)
    _denied, invalid = refused(decide([foreign], DORTE, HOUSE, state()))
    assert [(p.field, p.allowed) for p in invalid] == [("house", [HOUSE])]


def test_a_close_is_active_between_its_position_and_its_reopening() -> None:
    c = Close(HOUSE, 2019, "c", 100, datetime(2020, 1, 20, tzinfo=UTC), "D", None, reopened_at=130)
    assert [c.active_at(p) for p in (100, 101, 129, 130, 131)] == [False, True, True, False, False]
