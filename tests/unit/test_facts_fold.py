"""The goal-facts fold: exact tallies per event, retractions folding back out, year and house keys,
and snapshots (`dumps` / `loads`) that give back equal facts."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ehsj_core.demo import generate_year
from ehsj_core.events.schemas import validate_data
from ehsj_core.events.views import CourseCompletedView, MilestoneReachedView, to_view
from ehsj_core.projections.facts import SLOT_BITS, LogFacts, MonthTally, YearFacts, apply, unpacked
from tests.unit.builders import (
    HOUSE,
    Ev,
    Folder,
    agreement,
    contract,
    course,
    cvr,
    evaluation,
    event_held,
    fold,
    fold_one,
    meeting,
    milestone,
    newsletter,
    referral,
    retraction,
    short,
    staff,
)

EMPTY = YearFacts()


def year_of(log: LogFacts, year: int = 2019, house: str = HOUSE) -> YearFacts:
    return log.year(house, year)


def snapshot_round_trip(log: LogFacts) -> LogFacts:
    """Through a snapshot as the runner stores it: `facts.dumps()`, read back."""
    return LogFacts.loads(log.dumps())


def packed(companies: dict[tuple[str, str], dict[str, int]]) -> MonthTally:
    """The fold's packed company tally of (course type, CVR) → month → count, to compare with."""
    tally: MonthTally = {}
    for (ct, company), months in companies.items():
        tally.setdefault(ct, {})[int(company)] = sum(n << (SLOT_BITS * (int(m[5:7]) - 1)) for m, n in months.items())
    return tally


def _one_of_each(on: date) -> list[Ev]:
    """One event of every foldable type, all on `on`."""
    return [
        course("action_plan", "Lolland", on, company=1, topics=["digital_business_model"]),
        short("Sorø", on),
        referral("action_plan", company=1, on=on),
        meeting("council_presentation_offered", "Lolland", on),
        meeting("all_actors", on=on),
        newsletter("Greve", on),
        newsletter(on=on),
        event_held("joint_hovedstaden", "Køge", 120, on),
        evaluation("growth_plan", nps=9, satisfaction=4, competence=5, effect=("nogen",) * 7, on=on, company=2),
        agreement("state_scheme", on=on),
        agreement("municipality", "Stevns", on),
        staff("cross_region", "Anne", on),
        milestone("8.strategy_2020_draft", on),
    ]


# --------------------------------------------------------------------------------------------------
# What each event adds
# --------------------------------------------------------------------------------------------------


def test_a_course_is_tallied_by_type_municipality_and_month_with_its_topics_and_company():
    log = fold(
        [course("action_plan", "Lolland", date(2019, 3, 5), company=1, topics=["digital_business_model", "export"])]
    )
    assert year_of(log) == YearFacts(
        courses={("action_plan", "Lolland", "2019-03"): 1},
        course_topics={
            ("action_plan", "digital_business_model", "2019-03"): 1,
            ("action_plan", "export", "2019-03"): 1,
        },
        course_companies=packed({("action_plan", cvr(1)): {"2019-03": 1}}),
        companies_with_course={("action_plan", "2019-03"): 1},  # its first course: March
    )


def test_a_referral_counts_a_company_as_referred_only_while_it_also_has_a_course_of_that_type():
    folder = Folder()
    first = referral("action_plan", company=1, on=date(2019, 2, 1))
    folder.apply(first)
    assert folder.year().companies_referred == {}
    course_event = course("action_plan", company=1, on=date(2019, 3, 1))
    folder.apply(course_event)
    folder.apply(course("action_plan", company=1, on=date(2019, 4, 1)))
    # first course March, referred in February: both by March.
    assert folder.year().companies_with_course == {("action_plan", "2019-03"): 1}
    assert folder.year().companies_referred == {("action_plan", "2019-03"): 1}
    folder.apply(retraction(course_event))  # the company still has its April course
    assert folder.year().companies_with_course == {("action_plan", "2019-04"): 1}
    assert folder.year().companies_referred == {("action_plan", "2019-04"): 1}
    folder.apply(retraction(first))
    assert folder.year().companies_referred == {}
    assert folder.year().companies_with_course == {("action_plan", "2019-04"): 1}


def test_a_short_course_without_cvr_has_no_company_tally():
    log = fold([short("Stevns", date(2019, 11, 30))])
    assert year_of(log) == YearFacts(courses={("short", "Stevns", "2019-11"): 1})


def test_two_courses_of_one_company_tally_the_company_twice():
    log = fold([course(company=5, on=date(2019, 2, 1)), course(company=5, on=date(2019, 4, 1))])
    assert unpacked(year_of(log).course_companies, 2019) == {("action_plan", cvr(5)): {"2019-02": 1, "2019-04": 1}}
    assert year_of(log).companies_with_course == {("action_plan", "2019-02"): 1}  # one company
    assert year_of(log).courses == {
        ("action_plan", "Lolland", "2019-02"): 1,
        ("action_plan", "Lolland", "2019-04"): 1,
    }


def test_an_evaluation_is_tallied_once_per_question_with_its_effect_answers_as_a_set():
    effect = ("nogen", "lav", "lav", "ved_ikke", "lav", "lav", "lav")
    log = fold(
        [evaluation("development_plan", nps=9, satisfaction=4, competence=5, effect=effect, on=date(2019, 10, 7))]
    )
    assert year_of(log) == YearFacts(
        evaluation_scores={
            ("development_plan", "nps", 9, "2019-10"): 1,
            ("development_plan", "satisfaction", 4, "2019-10"): 1,
            ("development_plan", "competence", 5, "2019-10"): 1,
        },
        evaluation_effects={("development_plan", frozenset({"lav", "nogen", "ved_ikke"}), "2019-10"): 1},
        unmatched={("development_plan", cvr(0), "2019-10-07"): 1},  # no development plan before it
    )


def test_meetings_and_newsletters_without_a_municipality_have_none_for_it():
    log = fold(
        [
            meeting("all_actors", on=date(2019, 5, 2)),
            meeting("council_presentation_offered", "Faxe", date(2019, 5, 3)),
            newsletter(on=date(2019, 5, 4)),
            newsletter("Greve", date(2019, 5, 5)),
        ]
    )
    assert year_of(log) == YearFacts(
        meetings={
            ("all_actors", None, "2019-05"): 1,
            ("council_presentation_offered", "Faxe", "2019-05"): 1,
        },
        newsletters={(None, "local_business_council", "2019-05"): 1, ("Greve", "local_business_council", "2019-05"): 1},
    )


def test_an_event_is_tallied_by_place_and_by_size():
    log = fold(
        [
            event_held("joint_hovedstaden", "Køge", 120, date(2019, 9, 12)),
            event_held("joint_hovedstaden", "Roskilde", 120, date(2019, 10, 1)),
        ]
    )
    assert year_of(log) == YearFacts(
        events={
            ("joint_hovedstaden", "Køge", "2019-09"): 1,
            ("joint_hovedstaden", "Roskilde", "2019-10"): 1,
        },
        event_sizes={
            ("joint_hovedstaden", 120, "2019-09"): 1,
            ("joint_hovedstaden", 120, "2019-10"): 1,
        },
    )


def test_referrals_agreements_staff_and_milestones_are_tallied():
    log = fold(
        [
            referral("growth_plan", company=3, on=date(2019, 1, 15)),
            agreement("state_scheme", on=date(2019, 2, 1)),
            agreement("municipality", "Stevns", date(2019, 2, 2)),
            staff("digital_expert", "Bo", date(2019, 3, 1)),
            milestone("8.strategy_2020_draft", date(2019, 6, 20)),
        ]
    )
    assert year_of(log) == YearFacts(
        referrals=packed({("growth_plan", cvr(3)): {"2019-01": 1}}),  # no course: not in companies_referred
        agreements={("state_scheme", None, "2019-02"): 1, ("municipality", "Stevns", "2019-02"): 1},
        staff={("digital_expert", "Bo", "2019-03"): 1},
        milestones={("8.strategy_2020_draft", "2019-06-20"): 1},
    )


def test_the_year_and_month_come_from_occurred_on():
    log = fold([short("Sorø", date(2019, 12, 31)), short("Sorø", date(2020, 1, 1))])
    assert year_of(log, 2019).courses == {("short", "Sorø", "2019-12"): 1}
    assert year_of(log, 2020).courses == {("short", "Sorø", "2020-01"): 1}
    assert sorted(log.years) == [(HOUSE, 2019), (HOUSE, 2020)]


def test_each_house_has_facts_of_its_own():
    log = fold([short("Sorø"), course("short", "Sorø", company=None, house="hovedstaden")])
    assert year_of(log).courses == {("short", "Sorø", "2019-06"): 1}
    assert year_of(log, house="hovedstaden").courses == {("short", "Sorø", "2019-06"): 1}
    assert sorted(log.years) == [("hovedstaden", 2019), (HOUSE, 2019)]


def test_an_event_of_an_unknown_type_is_ignored():
    log = LogFacts()
    apply(log, "something.happened", HOUSE, "2019-05-01", MilestoneReachedView("8.strategy_2020_draft"), 1)
    assert log == LogFacts()


def test_a_retraction_and_a_period_closing_fold_to_nothing():
    log = LogFacts()
    target = short("Sorø")
    fold_one(log, retraction(target))
    apply(log, "period.closed", HOUSE, "2020-01-15", to_view("period.closed", {"year": 2019}), 1)
    assert log == LogFacts()
    assert log.years == {}


def test_a_year_never_seen_reads_as_empty_facts():
    log = fold([short()])
    assert year_of(log, 2018) == EMPTY
    assert (HOUSE, 2018) not in log.years


def test_the_fold_does_not_depend_on_the_order_of_events():
    events = _one_of_each(date(2019, 4, 1)) + _one_of_each(date(2019, 8, 1)) + [short("Greve")] * 3
    assert fold(events) == fold(list(reversed(events)))


# --------------------------------------------------------------------------------------------------
# Retractions fold their target back out
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("index", range(len(_one_of_each(date(2019, 1, 1)))))
def test_a_retracted_event_leaves_the_facts_exactly_as_they_were(index):
    # A year with history already: one of everything in April.
    folder = Folder().apply(*_one_of_each(date(2019, 4, 1)))
    before = folder.snapshot()
    # The same kind of event again (in May, or an identical one in April), then retracted.
    for on in (date(2019, 5, 1), date(2019, 4, 1)):
        target = _one_of_each(on)[index]
        folder.apply(target)
        assert folder.facts != before  # it did count …
        folder.apply(retraction(target))
        assert folder.facts == before  # … and now counts nowhere


def test_retracting_every_event_of_a_year_empties_every_tally():
    events = _one_of_each(date(2020, 3, 1))
    folder = Folder().apply(*_one_of_each(date(2019, 3, 1)))
    before_2019 = folder.snapshot().year(HOUSE, 2019)
    folder.apply(*events)
    folder.apply(*[retraction(e) for e in events])
    assert year_of(folder.facts, 2020) == EMPTY
    assert (HOUSE, 2020) not in folder.facts.years  # a year left with nothing is dropped
    assert year_of(folder.facts, 2019) == before_2019


def test_retracting_one_of_two_identical_courses_leaves_one():
    first, second = course(company=1, on=date(2019, 3, 1)), course(company=1, on=date(2019, 3, 1))
    folder = Folder().apply(first, second, retraction(first))
    assert year_of(folder.facts).courses == {("action_plan", "Lolland", "2019-03"): 1}
    assert unpacked(year_of(folder.facts).course_companies, 2019) == {("action_plan", cvr(1)): {"2019-03": 1}}
    assert year_of(folder.facts).companies_with_course == {("action_plan", "2019-03"): 1}


def test_a_retraction_folds_out_of_the_targets_year_not_its_own():
    target = short("Sorø", date(2019, 12, 20))
    folder = Folder().apply(target, retraction(target, on=date(2020, 1, 5)))
    assert year_of(folder.facts, 2019) == EMPTY
    assert (HOUSE, 2020) not in folder.facts.years


def test_a_retraction_of_an_event_not_yet_folded_is_refused():
    target = short("Sorø")
    with pytest.raises(KeyError):
        Folder().apply(retraction(target))


@pytest.mark.parametrize("on", [date(2019, 4, 1), date(2020, 2, 1)])
def test_a_fold_and_its_reverse_leave_empty_facts(on):
    events = _one_of_each(on) + _mixed_year()
    log = fold(events)
    for event in reversed(events):
        fold_one(log, event, -1)
    assert log == LogFacts()
    assert log.years == {}  # no year, and so no tally, holding a count of 0


def test_folding_out_before_folding_in_also_cancels_every_count():
    # Not an order the runner uses (a retraction follows its target), but the tallies are plain sums:
    # counts go below zero and come back, and every tally ends empty. (The evaluations' bookkeeping —
    # which course each answer follows — is not a sum: it folds out only what it folded in.)
    placed = ("evaluation.received", "course.completed")
    events = [
        e
        for e in _one_of_each(date(2019, 4, 1)) + _mixed_year()
        if e.type not in placed or (isinstance(e.data, CourseCompletedView) and e.data.course_type == "short")
    ]
    log = LogFacts()
    for event in events:
        fold_one(log, event, -1)
    for event in events:
        fold_one(log, event)
    assert sorted(log.years) == sorted({(e.house, 2019) for e in events})
    assert all(year == EMPTY for year in log.years.values())


# --------------------------------------------------------------------------------------------------
# Snapshots: dumps / loads give back equal facts
# --------------------------------------------------------------------------------------------------


def _demo_year() -> list[Ev]:
    """The demo year of the 2019 contract, its data validated as the store keeps it."""
    events = []
    for demo_event in generate_year(contract(), now=datetime(2030, 1, 1, tzinfo=UTC)):
        raw = demo_event.raw
        stored = validate_data(raw["type"], raw["data"], contract())
        on = date.fromisoformat(raw["occurred_on"])
        events.append(Ev(raw["type"], HOUSE, on, to_view(raw["type"], stored), raw["event_id"]))
    return events


def test_the_demo_year_survives_a_snapshot_round_trip():
    demo = _demo_year()
    assert any(e.type == "event.retracted" for e in demo)
    log = Folder().apply(*demo, *_mixed_year()).facts
    assert sorted(log.years) == [("hovedstaden", 2019), (HOUSE, 2019)]
    restored = snapshot_round_trip(log)
    assert restored == log
    assert restored.years.keys() == log.years.keys()
    # the effect answers (a set in the facts) come back as a set
    assert all(isinstance(answers, frozenset) for _ct, answers, _m in restored.year(HOUSE, 2019).evaluation_effects)


def test_the_facts_survive_a_snapshot_round_trip():
    log = fold(_one_of_each(date(2019, 4, 1)) + _one_of_each(date(2020, 2, 1)))
    assert LogFacts.loads(log.dumps()) == log
    assert LogFacts.loads(log.dumps()).years.keys() == log.years.keys()
    assert snapshot_round_trip(LogFacts()) == LogFacts()


def test_restored_facts_keep_moving_companies_between_the_first_month_counters():
    march, june = course(company=1, on=date(2019, 3, 4)), course(company=1, on=date(2019, 6, 4))
    wrong = referral(company=1, on=date(2019, 4, 9))
    events = [march, june, wrong, referral(company=1, on=date(2019, 8, 1))]
    restored = Folder(snapshot_round_trip(fold(events)), seen=events)
    restored.apply(retraction(march), retraction(wrong))
    # left: a June course and an August referral → with a course from June, referred from August.
    assert restored.year().companies_with_course == {("action_plan", "2019-06"): 1}
    assert restored.year().companies_referred == {("action_plan", "2019-08"): 1}
    assert restored.facts == fold(events[1:2] + events[3:])


def test_restored_facts_share_no_tally_with_the_snapshot_they_were_read_from():
    first = course(company=1, on=date(2019, 3, 4))
    blob = fold([first]).dumps()
    restored = LogFacts.loads(blob)
    fold_one(restored, course(company=1, on=date(2019, 5, 20)))
    assert unpacked(year_of(restored).course_companies, 2019) == {("action_plan", cvr(1)): {"2019-03": 1, "2019-05": 1}}
    # a second restore from the same bytes starts from the log up to that point, not from May
    assert LogFacts.loads(blob) == fold([first])


def test_a_snapshot_shares_no_tally_with_the_live_facts():
    log = fold([course(company=1, on=date(2019, 3, 4))])
    blob = log.dumps()
    fold_one(log, course(company=1, on=date(2019, 5, 20)))
    assert LogFacts.loads(blob) == fold([course(company=1, on=date(2019, 3, 4))])


# --------------------------------------------------------------------------------------------------
# The first-month counters: companies_with_course and companies_referred
# --------------------------------------------------------------------------------------------------


def _counters(folder: Folder) -> tuple[dict, dict]:
    year = folder.year()
    return year.companies_with_course, year.companies_referred


def test_a_company_with_action_plans_in_march_and_may_counts_from_march():
    # folded May first: the counter follows the earliest month, not the first event folded.
    folder = Folder().apply(course(company=1, on=date(2019, 5, 10)), course(company=1, on=date(2019, 3, 3)))
    assert _counters(folder) == ({("action_plan", "2019-03"): 1}, {})


def test_companies_count_once_each_in_the_month_of_their_first_course():
    folder = Folder().apply(
        course(company=1, on=date(2019, 3, 1)),
        course(company=1, on=date(2019, 3, 28)),  # company 1 again in March
        course(company=2, on=date(2019, 3, 15)),
        course(company=2, on=date(2019, 1, 15)),  # company 2 started in January
        course(company=3, on=date(2019, 6, 2)),
    )
    assert _counters(folder)[0] == {
        ("action_plan", "2019-01"): 1,
        ("action_plan", "2019-03"): 1,
        ("action_plan", "2019-06"): 1,
    }


def test_retracting_the_march_course_moves_the_company_to_may():
    march, may = course(company=1, on=date(2019, 3, 3)), course(company=1, on=date(2019, 5, 10))
    folder = Folder().apply(march, may, retraction(march))
    assert _counters(folder) == ({("action_plan", "2019-05"): 1}, {})
    assert unpacked(folder.year().course_companies, 2019) == {("action_plan", cvr(1)): {"2019-05": 1}}


def test_retracting_one_of_two_march_courses_leaves_the_company_in_march():
    first, second = course(company=1, on=date(2019, 3, 3)), course(company=1, on=date(2019, 3, 30))
    folder = Folder().apply(first, second, course(company=1, on=date(2019, 5, 1)), retraction(first))
    assert _counters(folder) == ({("action_plan", "2019-03"): 1}, {})


def test_retracting_both_courses_removes_the_company_from_the_counter():
    march, may = course(company=1, on=date(2019, 3, 3)), course(company=1, on=date(2019, 5, 10))
    folder = Folder().apply(march, may, retraction(march), retraction(may))
    assert _counters(folder) == ({}, {})
    assert folder.year().course_companies == {}


def test_a_referral_in_april_after_a_march_course_counts_as_referred_from_april():
    folder = Folder().apply(course(company=1, on=date(2019, 3, 3)), referral(company=1, on=date(2019, 4, 20)))
    assert _counters(folder) == ({("action_plan", "2019-03"): 1}, {("action_plan", "2019-04"): 1})


def test_a_referral_in_february_before_the_march_course_counts_as_referred_from_march():
    folder = Folder().apply(referral(company=1, on=date(2019, 2, 20)))
    assert _counters(folder) == ({}, {})  # referred, but no course yet
    folder.apply(course(company=1, on=date(2019, 3, 3)))
    assert _counters(folder) == ({("action_plan", "2019-03"): 1}, {("action_plan", "2019-03"): 1})


def test_a_course_and_a_referral_in_the_same_month_count_from_that_month():
    folder = Folder().apply(referral(company=1, on=date(2019, 9, 30)), course(company=1, on=date(2019, 9, 1)))
    assert _counters(folder) == ({("action_plan", "2019-09"): 1}, {("action_plan", "2019-09"): 1})


def test_an_earlier_second_referral_moves_the_referred_month_forward_and_back_when_retracted():
    folder = Folder().apply(course(company=1, on=date(2019, 3, 3)), referral(company=1, on=date(2019, 6, 1)))
    assert _counters(folder)[1] == {("action_plan", "2019-06"): 1}
    april = referral(company=1, on=date(2019, 4, 1))
    folder.apply(april)
    assert _counters(folder)[1] == {("action_plan", "2019-04"): 1}
    folder.apply(retraction(april))
    assert _counters(folder)[1] == {("action_plan", "2019-06"): 1}


def test_retracting_the_course_removes_the_company_from_companies_referred():
    march = course(company=1, on=date(2019, 3, 3))
    folder = Folder().apply(march, referral(company=1, on=date(2019, 4, 20)), retraction(march))
    assert _counters(folder) == ({}, {})
    # the referral itself is still tallied: a later course brings the company back, referred from then.
    assert unpacked(folder.year().referrals, 2019) == {("action_plan", cvr(1)): {"2019-04": 1}}
    folder.apply(course(company=1, on=date(2019, 7, 1)))
    assert _counters(folder) == ({("action_plan", "2019-07"): 1}, {("action_plan", "2019-07"): 1})


def test_retracting_the_march_course_moves_the_referred_company_to_its_next_course():
    march = course(company=1, on=date(2019, 3, 3))
    folder = Folder().apply(march, course(company=1, on=date(2019, 8, 3)), referral(company=1, on=date(2019, 4, 20)))
    assert _counters(folder)[1] == {("action_plan", "2019-04"): 1}  # later of March and April
    folder.apply(retraction(march))
    assert _counters(folder) == ({("action_plan", "2019-08"): 1}, {("action_plan", "2019-08"): 1})


def test_a_referral_from_a_growth_plan_never_counts_for_action_plans():
    folder = Folder().apply(
        course("action_plan", company=1, on=date(2019, 3, 3)), referral("growth_plan", company=1, on=date(2019, 4, 1))
    )
    assert _counters(folder) == ({("action_plan", "2019-03"): 1}, {})
    folder.apply(course("growth_plan", company=1, on=date(2019, 6, 1)))
    # now referred from its growth plan (June, the later of June and April) — still not for action plans.
    assert _counters(folder) == (
        {("action_plan", "2019-03"): 1, ("growth_plan", "2019-06"): 1},
        {("growth_plan", "2019-06"): 1},
    )


def test_the_same_company_in_two_houses_is_counted_in_each():
    folder = Folder().apply(
        course(company=1, on=date(2019, 3, 3)), course(company=1, on=date(2019, 5, 3), house="hovedstaden")
    )
    assert folder.year().companies_with_course == {("action_plan", "2019-03"): 1}
    assert folder.year(house="hovedstaden").companies_with_course == {("action_plan", "2019-05"): 1}


# --------------------------------------------------------------------------------------------------
# Exact under retraction: any order of retractions leaves exactly the facts of the events standing
# --------------------------------------------------------------------------------------------------


def _mixed_year() -> list[Ev]:
    """A year in which companies collide: several courses and referrals per company, across types,
    months and houses, with the month-keyed tallies (event sizes, staff) hit twice as well."""
    return [
        course("action_plan", "Lolland", date(2019, 3, 5), company=1, topics=["digital_business_model"]),
        course("action_plan", "Sorø", date(2019, 5, 5), company=1),
        course("action_plan", "Lolland", date(2019, 3, 20), company=1),  # company 1 twice in March
        course("action_plan", "Sorø", date(2019, 5, 20), company=2),
        course("growth_plan", "Greve", date(2019, 2, 1), company=1),
        course("development_plan", "Køge", date(2019, 11, 1), company=3),
        course("action_plan", "Køge", date(2019, 4, 1), company=4, house="hovedstaden"),
        referral("action_plan", company=1, on=date(2019, 1, 10)),  # before its first course
        referral("action_plan", company=1, on=date(2019, 7, 10)),
        referral("action_plan", company=2, on=date(2019, 5, 21)),
        referral("action_plan", company=2, on=date(2019, 5, 21)),  # identical
        referral("growth_plan", company=2, on=date(2019, 4, 1)),  # company 2 has no growth plan
        referral("development_plan", company=3, on=date(2019, 12, 1)),
        referral("action_plan", company=4, on=date(2019, 4, 2)),
        short("Stevns", date(2019, 2, 2)),
        event_held("joint_hovedstaden", "Køge", 120, date(2019, 9, 12)),
        event_held("joint_hovedstaden", "Køge", 120, date(2019, 9, 30)),
        event_held("joint_hovedstaden", "Roskilde", 99, date(2019, 10, 1)),
        staff("cross_region", "Anne", date(2019, 3, 1)),
        staff("cross_region", "Anne", date(2019, 10, 1)),
        staff("digital_expert", "Anne", date(2019, 3, 1)),
        evaluation("action_plan", nps=10, satisfaction=5, on=date(2019, 6, 1), company=1),
        meeting("council_presentation_offered", "Lolland", date(2019, 4, 1)),
        newsletter("Greve", date(2019, 8, 1)),
        agreement("state_scheme", on=date(2019, 2, 1)),
        milestone("8.strategy_2020_draft", date(2019, 6, 20)),
        milestone("8.strategy_2020_draft", date(2019, 7, 2)),
    ]


def test_the_mixed_year_fills_the_first_month_counters_as_worked_out_by_hand():
    year = year_of(fold(_mixed_year()))
    # action plans: company 1 from March (referred January and July → from March), company 2 from
    # May (referred May). Growth plans: company 1 from February, not referred from a growth plan
    # (company 2's growth-plan referral has no growth plan). Development plans: company 3 from
    # November, referred in December. Company 4 is another house's.
    assert year.companies_with_course == {
        ("action_plan", "2019-03"): 1,
        ("action_plan", "2019-05"): 1,
        ("growth_plan", "2019-02"): 1,
        ("development_plan", "2019-11"): 1,
    }
    assert year.companies_referred == {
        ("action_plan", "2019-03"): 1,
        ("action_plan", "2019-05"): 1,
        ("development_plan", "2019-12"): 1,
    }
    assert unpacked(year.course_companies, 2019)[("action_plan", cvr(1))] == {"2019-03": 2, "2019-05": 1}
    assert unpacked(year.referrals, 2019)[("action_plan", cvr(2))] == {"2019-05": 2}
    assert year.event_sizes == {
        ("joint_hovedstaden", 120, "2019-09"): 2,
        ("joint_hovedstaden", 99, "2019-10"): 1,
    }
    assert year.staff == {
        ("cross_region", "Anne", "2019-03"): 1,
        ("cross_region", "Anne", "2019-10"): 1,
        ("digital_expert", "Anne", "2019-03"): 1,
    }


def test_retracting_every_event_in_reverse_order_empties_every_tally_of_the_year():
    events = _mixed_year()
    folder = Folder().apply(*events)
    folder.apply(*[retraction(e) for e in reversed(events)])
    assert year_of(folder.facts) == EMPTY
    assert year_of(folder.facts, house="hovedstaden") == EMPTY
    assert folder.facts == LogFacts()


def test_retracting_every_event_in_log_order_empties_every_tally_of_the_year():
    events = _mixed_year()
    folder = Folder().apply(*events)
    folder.apply(*[retraction(e) for e in events])
    assert year_of(folder.facts) == EMPTY
    assert year_of(folder.facts, house="hovedstaden") == EMPTY
    assert folder.facts == LogFacts()


@settings(max_examples=150, deadline=None, database=None)
@given(order=st.permutations(range(len(_mixed_year()))))
def test_retracting_every_event_in_any_order_leaves_exactly_the_facts_of_the_events_still_standing(order):
    events = _mixed_year()
    folder = Folder().apply(*events)
    standing = dict(enumerate(events))
    for i in order:
        folder.apply(retraction(events[i]))
        del standing[i]
        assert folder.facts == fold(standing.values())
    assert folder.facts == LogFacts()


@settings(max_examples=100, deadline=None, database=None)
@given(order=st.permutations(range(len(_mixed_year()))))
def test_the_first_month_counters_do_not_depend_on_the_order_of_events(order):
    events = _mixed_year()
    assert fold([events[i] for i in order]) == fold(events)
