"""The goal-facts fold: exact tallies per event, retractions folding back out, year and house keys."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
        "course_companies": {key("action_plan", cvr(1)): {"2019-03": 1}},
        "companies_with_course": {key("action_plan", "2019-03"): 1},  # its first course: March
    }


def test_a_referral_counts_a_company_as_referred_only_while_it_also_has_a_course_of_that_type():
    folder = Folder()
    first = referral("action_plan", company=1, on=date(2019, 2, 1))
    folder.apply(first)
    assert folder.year().to_json()["companies_referred"] == {}
    course_event = course("action_plan", company=1, on=date(2019, 3, 1))
    folder.apply(course_event)
    folder.apply(course("action_plan", company=1, on=date(2019, 4, 1)))
    # first course March, referred in February: both by March.
    assert folder.year().to_json()["companies_with_course"] == {key("action_plan", "2019-03"): 1}
    assert folder.year().to_json()["companies_referred"] == {key("action_plan", "2019-03"): 1}
    folder.apply(retraction(course_event))  # the company still has its April course
    assert folder.year().to_json()["companies_with_course"] == {key("action_plan", "2019-04"): 1}
    assert folder.year().to_json()["companies_referred"] == {key("action_plan", "2019-04"): 1}
    folder.apply(retraction(first))
    assert folder.year().to_json()["companies_referred"] == {}
    assert folder.year().to_json()["companies_with_course"] == {key("action_plan", "2019-04"): 1}


def test_a_short_course_without_cvr_has_no_company_tally():
    log = fold([short("Stevns", date(2019, 11, 30))])
    assert year_json(log) == {**EMPTY, "courses": {key("short", "Stevns", "2019-11"): 1}}


def test_two_courses_of_one_company_tally_the_company_twice():
    log = fold([course(company=5, on=date(2019, 2, 1)), course(company=5, on=date(2019, 4, 1))])
    assert year_json(log)["course_companies"] == {key("action_plan", cvr(5)): {"2019-02": 1, "2019-04": 1}}
    assert year_json(log)["companies_with_course"] == {key("action_plan", "2019-02"): 1}  # one company
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
        "event_sizes": {
            key("joint_hovedstaden", 120, "2019-09"): 1,
            key("joint_hovedstaden", 120, "2019-10"): 1,
        },
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
        "referrals": {key("growth_plan", cvr(3)): {"2019-01": 1}},  # no course: not in companies_referred
        "agreements": {key("state_scheme", "", "2019-02"): 1, key("municipality", "Stevns", "2019-02"): 1},
        "staff": {key("digital_expert", "Bo", "2019-03"): 1},
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
    assert year_json(folder.facts)["course_companies"] == {key("action_plan", cvr(1)): {"2019-03": 1}}
    assert year_json(folder.facts)["companies_with_course"] == {key("action_plan", "2019-03"): 1}


def test_a_retraction_folds_out_of_the_targets_year_not_its_own():
    target = short("Sorø", date(2019, 12, 20))
    folder = Folder().apply(target, retraction(target, on=date(2020, 1, 5)))
    assert year_json(folder.facts, 2019) == EMPTY
    assert (HOUSE, 2020) not in folder.facts.years


def test_a_retraction_of_an_event_not_yet_folded_is_refused():
    target = short("Sorø")
    with pytest.raises(KeyError):
        apply(LogFacts(), retraction(target), {})


def test_restored_facts_keep_moving_companies_between_the_first_month_counters():
    march, june = course(company=1, on=date(2019, 3, 4)), course(company=1, on=date(2019, 6, 4))
    wrong = referral(company=1, on=date(2019, 4, 9))
    events = [march, june, wrong, referral(company=1, on=date(2019, 8, 1))]
    raw = json.loads(json.dumps(fold(events).to_json()))
    restored = LogFacts.from_json(raw)
    seen = {e.event_id: e for e in events}
    apply(restored, retraction(march), seen)
    apply(restored, retraction(wrong), seen)
    # left: a June course and an August referral → with a course from June, referred from August.
    assert year_json(restored)["companies_with_course"] == {key("action_plan", "2019-06"): 1}
    assert year_json(restored)["companies_referred"] == {key("action_plan", "2019-08"): 1}
    assert restored.to_json() == fold(events[1:2] + events[3:]).to_json()


def test_restored_facts_share_no_tally_with_the_json_they_were_read_from():
    first = course(company=1, on=date(2019, 3, 4))
    raw = json.loads(json.dumps(fold([first]).to_json()))
    pristine = json.loads(json.dumps(raw))
    restored = LogFacts.from_json(raw)
    apply(restored, course(company=1, on=date(2019, 5, 20)), {})
    assert year_json(restored)["course_companies"] == {key("action_plan", cvr(1)): {"2019-03": 1, "2019-05": 1}}
    # folding into the restored facts must not write through into `raw`: a second restore from the
    # same JSON would otherwise start from a May course that is not in the log up to that point.
    assert raw == pristine
    assert LogFacts.from_json(raw).to_json() == fold([first]).to_json()


# --------------------------------------------------------------------------------------------------
# The first-month counters: companies_with_course and companies_referred
# --------------------------------------------------------------------------------------------------


def _counters(folder: Folder) -> tuple[dict, dict]:
    year = folder.year().to_json()
    return year["companies_with_course"], year["companies_referred"]


def test_a_company_with_action_plans_in_march_and_may_counts_from_march():
    # folded May first: the counter follows the earliest month, not the first event folded.
    folder = Folder().apply(course(company=1, on=date(2019, 5, 10)), course(company=1, on=date(2019, 3, 3)))
    assert _counters(folder) == ({key("action_plan", "2019-03"): 1}, {})


def test_companies_count_once_each_in_the_month_of_their_first_course():
    folder = Folder().apply(
        course(company=1, on=date(2019, 3, 1)),
        course(company=1, on=date(2019, 3, 28)),  # company 1 again in March
        course(company=2, on=date(2019, 3, 15)),
        course(company=2, on=date(2019, 1, 15)),  # company 2 started in January
        course(company=3, on=date(2019, 6, 2)),
    )
    assert _counters(folder)[0] == {
        key("action_plan", "2019-01"): 1,
        key("action_plan", "2019-03"): 1,
        key("action_plan", "2019-06"): 1,
    }


def test_retracting_the_march_course_moves_the_company_to_may():
    march, may = course(company=1, on=date(2019, 3, 3)), course(company=1, on=date(2019, 5, 10))
    folder = Folder().apply(march, may, retraction(march))
    assert _counters(folder) == ({key("action_plan", "2019-05"): 1}, {})
    assert folder.year().course_companies == {key("action_plan", cvr(1)): {"2019-05": 1}}


def test_retracting_one_of_two_march_courses_leaves_the_company_in_march():
    first, second = course(company=1, on=date(2019, 3, 3)), course(company=1, on=date(2019, 3, 30))
    folder = Folder().apply(first, second, course(company=1, on=date(2019, 5, 1)), retraction(first))
    assert _counters(folder) == ({key("action_plan", "2019-03"): 1}, {})


def test_retracting_both_courses_removes_the_company_from_the_counter():
    march, may = course(company=1, on=date(2019, 3, 3)), course(company=1, on=date(2019, 5, 10))
    folder = Folder().apply(march, may, retraction(march), retraction(may))
    assert _counters(folder) == ({}, {})
    assert folder.year().course_companies == {}


def test_a_referral_in_april_after_a_march_course_counts_as_referred_from_april():
    folder = Folder().apply(course(company=1, on=date(2019, 3, 3)), referral(company=1, on=date(2019, 4, 20)))
    assert _counters(folder) == ({key("action_plan", "2019-03"): 1}, {key("action_plan", "2019-04"): 1})


def test_a_referral_in_february_before_the_march_course_counts_as_referred_from_march():
    folder = Folder().apply(referral(company=1, on=date(2019, 2, 20)))
    assert _counters(folder) == ({}, {})  # referred, but no course yet
    folder.apply(course(company=1, on=date(2019, 3, 3)))
    assert _counters(folder) == ({key("action_plan", "2019-03"): 1}, {key("action_plan", "2019-03"): 1})


def test_a_course_and_a_referral_in_the_same_month_count_from_that_month():
    folder = Folder().apply(referral(company=1, on=date(2019, 9, 30)), course(company=1, on=date(2019, 9, 1)))
    assert _counters(folder) == ({key("action_plan", "2019-09"): 1}, {key("action_plan", "2019-09"): 1})


def test_an_earlier_second_referral_moves_the_referred_month_forward_and_back_when_retracted():
    folder = Folder().apply(course(company=1, on=date(2019, 3, 3)), referral(company=1, on=date(2019, 6, 1)))
    assert _counters(folder)[1] == {key("action_plan", "2019-06"): 1}
    april = referral(company=1, on=date(2019, 4, 1))
    folder.apply(april)
    assert _counters(folder)[1] == {key("action_plan", "2019-04"): 1}
    folder.apply(retraction(april))
    assert _counters(folder)[1] == {key("action_plan", "2019-06"): 1}


def test_retracting_the_course_removes_the_company_from_companies_referred():
    march = course(company=1, on=date(2019, 3, 3))
    folder = Folder().apply(march, referral(company=1, on=date(2019, 4, 20)), retraction(march))
    assert _counters(folder) == ({}, {})
    # the referral itself is still tallied: a later course brings the company back, referred from then.
    assert folder.year().referrals == {key("action_plan", cvr(1)): {"2019-04": 1}}
    folder.apply(course(company=1, on=date(2019, 7, 1)))
    assert _counters(folder) == ({key("action_plan", "2019-07"): 1}, {key("action_plan", "2019-07"): 1})


def test_retracting_the_march_course_moves_the_referred_company_to_its_next_course():
    march = course(company=1, on=date(2019, 3, 3))
    folder = Folder().apply(
        march, course(company=1, on=date(2019, 8, 3)), referral(company=1, on=date(2019, 4, 20))
    )
    assert _counters(folder)[1] == {key("action_plan", "2019-04"): 1}  # later of March and April
    folder.apply(retraction(march))
    assert _counters(folder) == ({key("action_plan", "2019-08"): 1}, {key("action_plan", "2019-08"): 1})


def test_a_referral_from_a_growth_plan_never_counts_for_action_plans():
    folder = Folder().apply(
        course("action_plan", company=1, on=date(2019, 3, 3)), referral("growth_plan", company=1, on=date(2019, 4, 1))
    )
    assert _counters(folder) == ({key("action_plan", "2019-03"): 1}, {})
    folder.apply(course("growth_plan", company=1, on=date(2019, 6, 1)))
    # now referred from its growth plan (June, the later of June and April) — still not for action plans.
    assert _counters(folder) == (
        {key("action_plan", "2019-03"): 1, key("growth_plan", "2019-06"): 1},
        {key("growth_plan", "2019-06"): 1},
    )


def test_the_same_company_in_two_houses_is_counted_in_each():
    folder = Folder().apply(course(company=1, on=date(2019, 3, 3)), course(company=1, on=date(2019, 5, 3), house="hovedstaden"))
    assert folder.year().companies_with_course == {key("action_plan", "2019-03"): 1}
    assert folder.year(house="hovedstaden").companies_with_course == {key("action_plan", "2019-05"): 1}


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
    year = year_json(fold(_mixed_year()))
    # action plans: company 1 from March (referred January and July → from March), company 2 from
    # May (referred May). Growth plans: company 1 from February, not referred from a growth plan
    # (company 2's growth-plan referral has no growth plan). Development plans: company 3 from
    # November, referred in December. Company 4 is another house's.
    assert year["companies_with_course"] == {
        key("action_plan", "2019-03"): 1,
        key("action_plan", "2019-05"): 1,
        key("growth_plan", "2019-02"): 1,
        key("development_plan", "2019-11"): 1,
    }
    assert year["companies_referred"] == {
        key("action_plan", "2019-03"): 1,
        key("action_plan", "2019-05"): 1,
        key("development_plan", "2019-12"): 1,
    }
    assert year["course_companies"][key("action_plan", cvr(1))] == {"2019-03": 2, "2019-05": 1}
    assert year["referrals"][key("action_plan", cvr(2))] == {"2019-05": 2}
    assert year["event_sizes"] == {
        key("joint_hovedstaden", 120, "2019-09"): 2,
        key("joint_hovedstaden", 99, "2019-10"): 1,
    }
    assert year["staff"] == {
        key("cross_region", "Anne", "2019-03"): 1,
        key("cross_region", "Anne", "2019-10"): 1,
        key("digital_expert", "Anne", "2019-03"): 1,
    }


def test_retracting_every_event_in_reverse_order_empties_every_tally_of_the_year():
    events = _mixed_year()
    folder = Folder().apply(*events)
    folder.apply(*[retraction(e) for e in reversed(events)])
    assert year_json(folder.facts) == YearFacts().to_json()
    assert year_json(folder.facts, house="hovedstaden") == YearFacts().to_json()


def test_retracting_every_event_in_log_order_empties_every_tally_of_the_year():
    events = _mixed_year()
    folder = Folder().apply(*events)
    folder.apply(*[retraction(e) for e in events])
    assert year_json(folder.facts) == YearFacts().to_json()
    assert year_json(folder.facts, house="hovedstaden") == YearFacts().to_json()


@settings(max_examples=150, deadline=None, database=None)
@given(order=st.permutations(range(len(_mixed_year()))))
def test_retracting_every_event_in_any_order_leaves_exactly_the_facts_of_the_events_still_standing(order):
    events = _mixed_year()
    folder = Folder().apply(*events)
    standing = dict(enumerate(events))
    for i in order:
        folder.apply(retraction(events[i]))
        del standing[i]
        fresh = fold(standing.values())
        for house in (HOUSE, "hovedstaden"):
            assert year_json(folder.facts, house=house) == year_json(fresh, house=house)
    assert year_json(folder.facts) == YearFacts().to_json()
    assert year_json(folder.facts, house="hovedstaden") == YearFacts().to_json()


@settings(max_examples=100, deadline=None, database=None)
@given(order=st.permutations(range(len(_mixed_year()))))
def test_the_first_month_counters_do_not_depend_on_the_order_of_events(order):
    events = _mixed_year()
    assert fold([events[i] for i in order]).to_json() == fold(events).to_json()

