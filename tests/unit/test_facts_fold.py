"""The goal-facts fold: exact tallies per event, retractions folding back out, year and house keys."""

from __future__ import annotations

import json
from datetime import date

import pytest

from ehsj_core.projections.facts import SEP, LogFacts, YearFacts, apply
from tests.unit.builders import (
    HOUSE,
    Ev,
    Folder,
    agreement,
    course,
    cvr,
    evaluation,
    event_held,
    fold,
    meeting,
    milestone,
    newsletter,
    referral,
    retraction,
    short,
    staff,
)

EMPTY = YearFacts().to_json()


def key(*parts: object) -> str:
    return SEP.join(str(p) for p in parts)


def year_json(log: LogFacts, year: int = 2019, house: str = HOUSE) -> dict:
    return log.year(house, year).to_json()


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
    log = fold([course("action_plan", "Lolland", date(2019, 3, 5), company=1, topics=["digital_business_model", "export"])])
    assert year_json(log) == {
        **EMPTY,
        "courses": {key("action_plan", "Lolland", "2019-03"): 1},
        "course_topics": {
            key("action_plan", "digital_business_model", "2019-03"): 1,
            key("action_plan", "export", "2019-03"): 1,
        },
        "course_companies": {key("action_plan", cvr(1)): 1},
        "companies_with_course": {"action_plan": 1},
    }


def test_a_referral_counts_a_company_as_referred_only_while_it_also_has_a_course_of_that_type():
    folder = Folder()
    first = referral("action_plan", company=1, on=date(2019, 2, 1))
    folder.apply(first)
    assert folder.year().to_json()["companies_referred"] == {}
    course_event = course("action_plan", company=1, on=date(2019, 3, 1))
    folder.apply(course_event)
    folder.apply(course("action_plan", company=1, on=date(2019, 4, 1)))
    assert folder.year().to_json()["companies_with_course"] == {"action_plan": 1}
    assert folder.year().to_json()["companies_referred"] == {"action_plan": 1}
    folder.apply(retraction(course_event))  # the company still has its April course
    assert folder.year().to_json()["companies_referred"] == {"action_plan": 1}
    folder.apply(retraction(first))
    assert folder.year().to_json()["companies_referred"] == {}
    assert folder.year().to_json()["companies_with_course"] == {"action_plan": 1}


def test_a_short_course_without_cvr_has_no_company_tally():
    log = fold([short("Stevns", date(2019, 11, 30))])
    assert year_json(log) == {**EMPTY, "courses": {key("short", "Stevns", "2019-11"): 1}}


def test_two_courses_of_one_company_tally_the_company_twice():
    log = fold([course(company=5, on=date(2019, 2, 1)), course(company=5, on=date(2019, 4, 1))])
    assert year_json(log)["course_companies"] == {key("action_plan", cvr(5)): 2}
    assert year_json(log)["courses"] == {
        key("action_plan", "Lolland", "2019-02"): 1,
        key("action_plan", "Lolland", "2019-04"): 1,
    }


def test_an_evaluation_is_tallied_once_per_question_with_its_effect_answers_as_a_set():
    effect = ("nogen", "lav", "lav", "ved_ikke", "lav", "lav", "lav")
    log = fold([evaluation("development_plan", nps=9, satisfaction=4, competence=5, effect=effect, on=date(2019, 10, 7))])
    assert year_json(log) == {
        **EMPTY,
        "evaluations": {
            key("development_plan", "nps", 9, "2019-10"): 1,
            key("development_plan", "satisfaction", 4, "2019-10"): 1,
            key("development_plan", "competence", 5, "2019-10"): 1,
            key("development_plan", "effect", "lav,nogen,ved_ikke", "2019-10"): 1,
        },
    }


def test_meetings_and_newsletters_without_a_municipality_have_an_empty_part():
    log = fold(
        [
            meeting("all_actors", on=date(2019, 5, 2)),
            meeting("council_presentation_offered", "Faxe", date(2019, 5, 3)),
            newsletter(on=date(2019, 5, 4)),
            newsletter("Greve", date(2019, 5, 5)),
        ]
    )
    assert year_json(log) == {
        **EMPTY,
        "meetings": {
            key("all_actors", "", "2019-05"): 1,
            key("council_presentation_offered", "Faxe", "2019-05"): 1,
        },
        "newsletters": {key("", "2019-05"): 1, key("Greve", "2019-05"): 1},
    }


def test_an_event_is_tallied_by_place_and_by_size():
    log = fold(
        [
            event_held("joint_hovedstaden", "Køge", 120, date(2019, 9, 12)),
            event_held("joint_hovedstaden", "Roskilde", 120, date(2019, 10, 1)),
        ]
    )
    assert year_json(log) == {
        **EMPTY,
        "events": {
            key("joint_hovedstaden", "Køge", "2019-09"): 1,
            key("joint_hovedstaden", "Roskilde", "2019-10"): 1,
        },
        "event_sizes": {key("joint_hovedstaden", 120): 2},
    }


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
    assert year_json(log) == {
        **EMPTY,
        "referrals": {key("growth_plan", cvr(3)): 1},
        "agreements": {key("state_scheme", "", "2019-02"): 1, key("municipality", "Stevns", "2019-02"): 1},
        "staff": {key("digital_expert", "Bo"): 1},
        "milestones": {key("8.strategy_2020_draft", "2019-06-20"): 1},
    }


def test_the_year_and_month_come_from_occurred_on():
    log = fold([short("Sorø", date(2019, 12, 31)), short("Sorø", date(2020, 1, 1))])
    assert year_json(log, 2019)["courses"] == {key("short", "Sorø", "2019-12"): 1}
    assert year_json(log, 2020)["courses"] == {key("short", "Sorø", "2020-01"): 1}
    assert sorted(log.years) == [(HOUSE, 2019), (HOUSE, 2020)]


def test_each_house_has_facts_of_its_own():
    log = fold([short("Sorø"), course("short", "Sorø", company=None, house="hovedstaden")])
    assert year_json(log)["courses"] == {key("short", "Sorø", "2019-06"): 1}
    assert year_json(log, house="hovedstaden")["courses"] == {key("short", "Sorø", "2019-06"): 1}
    assert sorted(log.years) == [("hovedstaden", 2019), (HOUSE, 2019)]


def test_an_event_of_an_unknown_type_is_ignored():
    log = fold([Ev("something.happened", HOUSE, date(2019, 5, 1), {"x": 1})])
    assert log.to_json() == {}


def test_a_year_never_seen_reads_as_empty_facts():
    log = fold([short()])
    assert year_json(log, 2018) == EMPTY
    assert (HOUSE, 2018) not in log.years


def test_the_fold_does_not_depend_on_the_order_of_events():
    events = _one_of_each(date(2019, 4, 1)) + _one_of_each(date(2019, 8, 1)) + [short("Greve")] * 3
    assert fold(events).to_json() == fold(list(reversed(events))).to_json()


def test_the_facts_survive_a_json_round_trip():
    log = fold(_one_of_each(date(2019, 4, 1)) + _one_of_each(date(2020, 2, 1)))
    raw = json.loads(json.dumps(log.to_json()))
    assert LogFacts.from_json(raw).to_json() == log.to_json()
    assert LogFacts.from_json(raw).years.keys() == log.years.keys()


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
        assert folder.snapshot() != before  # it did count …
        folder.apply(retraction(target))
        assert folder.snapshot() == before  # … and now counts nowhere


def test_retracting_every_event_of_a_year_empties_every_tally():
    events = _one_of_each(date(2020, 3, 1))
    folder = Folder().apply(*_one_of_each(date(2019, 3, 1)))
    before_2019 = year_json(folder.facts, 2019)
    folder.apply(*events)
    folder.apply(*[retraction(e) for e in events])
    assert year_json(folder.facts, 2020) == EMPTY
    assert year_json(folder.facts, 2019) == before_2019


def test_retracting_one_of_two_identical_courses_leaves_one():
    first, second = course(company=1, on=date(2019, 3, 1)), course(company=1, on=date(2019, 3, 1))
    folder = Folder().apply(first, second, retraction(first))
    assert year_json(folder.facts)["courses"] == {key("action_plan", "Lolland", "2019-03"): 1}
    assert year_json(folder.facts)["course_companies"] == {key("action_plan", cvr(1)): 1}


def test_a_retraction_folds_out_of_the_targets_year_not_its_own():
    target = short("Sorø", date(2019, 12, 20))
    folder = Folder().apply(target, retraction(target, on=date(2020, 1, 5)))
    assert year_json(folder.facts, 2019) == EMPTY
    assert (HOUSE, 2020) not in folder.facts.years


def test_a_retraction_of_an_event_not_yet_folded_is_refused():
    target = short("Sorø")
    with pytest.raises(KeyError):
        apply(LogFacts(), retraction(target), {})
