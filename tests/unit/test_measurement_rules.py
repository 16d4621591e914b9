"""The measurement rules of domain.md, each checked against hand-computed figures.

Every expectation is worked out by hand in a comment; the code under test is
`ehsj_core.projections.metrics` (via the 2019 contract's own targets) and
`ehsj_core.projections.municipalities`.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ehsj_core.events.schemas import validate_data
from ehsj_core.events.views import CompanyReferredView, CourseCompletedView, to_view, view_data
from ehsj_core.projections.facts import YearFacts
from ehsj_core.projections.metrics import deviations_pp, milestone_reached_on
from ehsj_core.projections.municipalities import municipality_figures
from tests.unit.builders import (
    HOUSE,
    MID_2019,
    Ev,
    Folder,
    agreement,
    contract,
    course,
    courses,
    evaluated,
    evaluation,
    event_held,
    facts_2019,
    flatten,
    fold,
    measure,
    meeting,
    milestone,
    newsletter,
    referral,
    retraction,
    short,
    staff,
)

SPECIALISED = ("action_plan", "growth_plan", "development_plan")
EFFECT_NONE = ("lav", "slet_ikke", "lav", "slet_ikke", "lav", "slet_ikke", "lav")


# --------------------------------------------------------------------------------------------------
# Counts
# --------------------------------------------------------------------------------------------------


def _deviations(f: YearFacts) -> dict[str, float]:
    result = deviations_pp(f, SPECIALISED, contract())
    assert result is not None
    return result


def test_short_courses_count_every_short_course_of_the_year():
    # 3 short courses + 1 action plan → short 3, action plans 1.
    f = facts_2019(short("Lolland"), short("Sorø"), short("Lolland"), course("action_plan"))
    assert measure("1", "short_courses", f) == 3
    assert measure("1", "action_plans", f) == 1


def test_counts_count_events_not_distinct_companies():
    # Two action plans for the same company (CVR) are two courses.
    f = facts_2019(course("action_plan", company=7), course("action_plan", company=7))
    assert measure("1", "action_plans", f) == 2


def test_a_course_of_2018_or_2020_does_not_count_for_2019():
    log = fold(
        [
            short(on=date(2018, 12, 31)),
            short(on=date(2019, 1, 1)),
            short(on=date(2019, 12, 31)),
            short(on=date(2020, 1, 1)),
        ]
    )
    # 2019: only 1 January and 31 December 2019 → 2; 2018 and 2020 get one each.
    assert measure("1", "short_courses", log.year("sjaelland", 2019)) == 2
    assert measure("1", "short_courses", log.year("sjaelland", 2018)) == 1
    assert measure("1", "short_courses", log.year("sjaelland", 2020)) == 1


def test_a_retracted_course_counts_nowhere():
    wrong = course("growth_plan", "Næstved", company=3)
    folder = Folder().apply(course("growth_plan", "Næstved", company=4), wrong, referral("growth_plan", company=3))
    assert measure("2", "growth_plans", folder.year()) == 2
    folder.apply(retraction(wrong))
    # 2 − 1 retracted = 1, and nowhere else: not in the year, not in the geography, not per company.
    f = folder.year()
    assert measure("2", "growth_plans", f) == 1
    assert _deviations(f)["Næstved"] == 90.09  # 1 of 1: 100 − 9.91
    # company 3 was referred, but its only growth plan is retracted: {4} with a course, none
    # referred → 0 / 1 = 0.0 (had the retraction missed the company: 1 / 2 = 50.0).
    assert measure("5A", "growth_plan_referral_rate", f) == 0.0


def test_a_course_of_another_house_does_not_count_for_sjaelland():
    f = facts_2019(course("action_plan", house="hovedstaden"), course("action_plan"))
    assert measure("1", "action_plans", f) == 1


def test_meetings_newsletters_and_agreements_count_events_of_their_kind():
    f = facts_2019(
        meeting("local_business_service", "Køge"),
        meeting("local_business_service", "Køge"),
        meeting("local_business_service"),
        meeting("all_actors"),
        newsletter("Greve"),
        newsletter(),
        agreement("state_scheme"),
        agreement("state_scheme"),
        agreement("early_warning"),
    )
    assert measure("5B", "local_actor_meetings", f) == 3  # two in Køge + one without a municipality
    assert measure("5A", "all_actors_meetings", f) == 1
    assert measure("5B", "newsletters", f) == 2  # with or without a municipality
    assert measure("5A", "state_scheme_agreements", f) == 2
    assert measure("10", "early_warning_agreement", f) == 1
    assert measure("10", "copenhagen_capacity_agreement", f) == 0


# --------------------------------------------------------------------------------------------------
# Satisfaction and consultant competence: share of evaluations answering 4 or 5
# --------------------------------------------------------------------------------------------------


def test_satisfaction_is_the_share_of_evaluations_answering_four_or_five():
    # satisfaction 5,4,3,2,1,4 → 3 of 6 answer 4–5 → 50.0 %.
    f = facts_2019([evaluated(satisfaction=s, company=i) for i, s in enumerate([5, 4, 3, 2, 1, 4])])
    assert measure("1", "action_plan_satisfaction", f) == 50.0


def test_competence_is_the_share_of_evaluations_answering_four_or_five():
    # competence 4,4,4,3,5,1 → 4 of 6 → 66.666… → 66.7 (one decimal).
    f = facts_2019([evaluated(competence=s, company=i) for i, s in enumerate([4, 4, 4, 3, 5, 1])])
    assert measure("1", "action_plan_competence", f) == 66.7
    # satisfaction stayed at the neutral 3 everywhere: 0 of 6.
    assert measure("1", "action_plan_satisfaction", f) == 0.0


def test_satisfaction_is_computed_per_course_type():
    f = facts_2019(
        evaluated("action_plan", satisfaction=4),
        evaluated("action_plan", satisfaction=2),
        evaluated("growth_plan", satisfaction=5),
        evaluated("growth_plan", satisfaction=5),
        evaluated("growth_plan", satisfaction=5),
        evaluated("growth_plan", satisfaction=1),
    )
    assert measure("1", "action_plan_satisfaction", f) == 50.0  # 1 of 2
    assert measure("2", "growth_plan_satisfaction", f) == 75.0  # 3 of 4
    assert measure("2", "development_plan_satisfaction", f) is None  # no evaluations


def test_rates_round_half_up_to_one_decimal():
    # 5 of 16 answer 4–5: 100 × 5 / 16 = 31.25 exactly → half up → 31.3.
    f = facts_2019([evaluated(satisfaction=5 if i < 5 else 3, company=i) for i in range(16)])
    assert measure("1", "action_plan_satisfaction", f) == 31.3
    assert round(31.25, 1) == 31.2  # Python's round would have said 31.2


def test_evaluations_of_courses_of_another_year_do_not_count():
    # Both answers follow a course of their own year: the 2020 one counts in 2020 only.
    log = fold(
        flatten(
            [
                evaluated(satisfaction=5, on=date(2020, 1, 2), course_on=date(2020, 1, 2)),
                evaluated(satisfaction=1, on=date(2019, 12, 30)),
            ]
        )
    )
    assert measure("1", "action_plan_satisfaction", log.year("sjaelland", 2019)) == 0.0  # 0 of 1
    assert measure("1", "action_plan_satisfaction", log.year("sjaelland", 2020)) == 100.0  # 1 of 1


def test_a_retracted_evaluation_leaves_every_evaluation_figure():
    course_taken, wrong = evaluated(nps=10, satisfaction=5, competence=5, effect=("hoj",) * 7, company=1)
    folder = Folder().apply(*evaluated(nps=3, satisfaction=2, competence=2, company=2), course_taken, wrong)
    folder.apply(retraction(wrong))
    f = folder.year()
    assert measure("1", "action_plan_satisfaction", f) == 0.0
    assert measure("1", "action_plan_competence", f) == 0.0
    assert measure("1", "action_plan_effect", f) == 0.0
    assert measure("1", "action_plan_nps", f) == -100  # the one left is a detractor


# --------------------------------------------------------------------------------------------------
# Perceived effect: at least one of 7 answers "hoj" or "nogen"
# --------------------------------------------------------------------------------------------------


def test_effect_needs_at_least_one_hoj_or_nogen_among_the_seven_answers():
    f = facts_2019(
        evaluated(effect=("hoj",) + ("lav",) * 6, company=1),  # effect
        evaluated(effect=("slet_ikke",) * 6 + ("nogen",), company=2),  # effect
        evaluated(effect=EFFECT_NONE, company=3),  # no effect
        evaluated(effect=("lav",) * 7, company=4),  # no effect
        evaluated(effect=("hoj", "nogen", "hoj", "nogen", "hoj", "nogen", "hoj"), company=5),  # effect
    )
    # 3 of 5 → 60.0 %.
    assert measure("1", "action_plan_effect", f) == 60.0


def test_ved_ikke_answers_stay_in_the_denominator():
    f = facts_2019(
        evaluated("growth_plan", effect=("nogen",) + ("ved_ikke",) * 6, company=1),
        evaluated("growth_plan", effect=("ved_ikke",) * 7, company=2),
        evaluated("growth_plan", effect=("ved_ikke",) * 7, company=3),
        evaluated("growth_plan", effect=("ved_ikke",) * 6 + ("lav",), company=4),
    )
    # 1 of 4 (not 1 of 1) → 25.0 %.
    assert measure("2", "growth_plan_effect", f) == 25.0


def test_goal_4_effect_is_over_all_three_specialised_types():
    f = facts_2019(
        evaluated("action_plan", effect=("hoj",) * 7, company=1),
        evaluated("growth_plan", effect=("lav",) * 7, company=2),
        evaluated("development_plan", effect=("nogen",) * 7, company=3),
    )
    # 2 of 3 → 66.666… → 66.7.
    assert measure("4", "effect", f) == 66.7


# --------------------------------------------------------------------------------------------------
# NPS: round(100 × (promoters − detractors) / answers), promoters 9–10, detractors 0–6
# --------------------------------------------------------------------------------------------------


def _nps_facts(course_type: str, scores: list[int]):
    return facts_2019([evaluated(course_type, nps=s, company=i) for i, s in enumerate(scores)])


def test_nps_counts_nine_and_ten_as_promoters_and_zero_to_six_as_detractors():
    # promoters 10, 9, 9 = 3; detractors 6, 0 = 2; passives 8, 7; answers 7.
    # 100 × (3 − 2) / 7 = 14.2857… → 14.
    f = _nps_facts("action_plan", [10, 9, 9, 8, 7, 6, 0])
    assert measure("1", "action_plan_nps", f) == 14


def test_nps_treats_seven_and_eight_as_passives():
    # 7 and 8 are neither: 100 × (0 − 0) / 4 = 0.
    assert measure("1", "action_plan_nps", _nps_facts("action_plan", [7, 8, 7, 8])) == 0


def test_nps_rounds_a_positive_half_up():
    # 1 promoter, 0 detractors, 8 answers: 100 × 1 / 8 = 12.5 → 13.
    f = _nps_facts("action_plan", [9, 7, 7, 7, 8, 8, 8, 8])
    assert measure("1", "action_plan_nps", f) == 13
    assert round(12.5) == 12  # Python's banker's rounding would say 12


def test_nps_rounds_a_negative_half_away_from_zero():
    # 0 promoters, 1 detractor, 8 answers: 100 × (0 − 1) / 8 = −12.5 → −13.
    f = _nps_facts("growth_plan", [6, 7, 7, 7, 8, 8, 8, 8])
    assert measure("2", "growth_plan_nps", f) == -13
    assert round(-12.5) == -12  # Python's round would say −12


def test_nps_rounds_two_and_a_half_up_to_three():
    # 1 promoter, 39 passives: 100 × 1 / 40 = 2.5 → 3 (Python's round: 2).
    f = _nps_facts("development_plan", [10] + [8] * 39)
    assert measure("2", "development_plan_nps", f) == 3
    assert round(2.5) == 2


def test_nps_without_answers_is_none():
    assert measure("1", "action_plan_nps", facts_2019(evaluated("growth_plan", nps=10))) is None
    # … and an answer without its course counts nowhere either
    assert measure("2", "growth_plan_nps", facts_2019(evaluation("growth_plan", nps=10))) is None


def test_goal_3_nps_is_over_all_three_specialised_types():
    f = facts_2019(
        evaluated("action_plan", nps=10, company=1),  # promoter
        evaluated("growth_plan", nps=3, company=2),  # detractor
        evaluated("development_plan", nps=9, company=3),  # promoter
        evaluated("development_plan", nps=9, company=4),  # promoter
    )
    # 3 promoters − 1 detractor over 4 answers: 100 × 2 / 4 = 50.
    assert measure("3", "nps", f) == 50
    # per type: action 100 × 1/1, growth 100 × −1/1, development 100 × 2/2.
    assert measure("1", "action_plan_nps", f) == 100
    assert measure("2", "growth_plan_nps", f) == -100
    assert measure("2", "development_plan_nps", f) == 100


# --------------------------------------------------------------------------------------------------
# Referral rate: distinct companies (CVR) with a course of the type that were referred from it
# --------------------------------------------------------------------------------------------------


def test_referral_rate_counts_distinct_companies():
    f = facts_2019(
        course("action_plan", company=1),
        course("action_plan", company=1),  # company 1: two action plans …
        referral("action_plan", company=1),  # … and one referral
        course("action_plan", company=2),  # company 2: not referred
    )
    # distinct companies {1, 2}; referred {1} → 1 / 2 = 50.0 (course-based would be 1/3 or 2/3).
    assert measure("5A", "action_plan_referral_rate", f) == 50.0


def test_two_referrals_of_one_company_count_once():
    f = facts_2019(
        course("action_plan", company=1),
        referral("action_plan", company=1),
        referral("action_plan", company=1),
        course("action_plan", company=2),
        course("action_plan", company=3),
    )
    # referred {1} of {1, 2, 3} → 33.333… → 33.3.
    assert measure("5A", "action_plan_referral_rate", f) == 33.3


def test_a_referral_from_a_growth_plan_does_not_count_for_action_plans():
    f = facts_2019(
        course("action_plan", company=1),
        course("growth_plan", company=1),
        referral("growth_plan", company=1),
    )
    assert measure("5A", "action_plan_referral_rate", f) == 0.0  # 0 of {1}
    assert measure("5A", "growth_plan_referral_rate", f) == 100.0  # 1 of {1}


def test_a_referral_in_another_year_does_not_count():
    log = fold(
        [
            course("action_plan", company=1, on=date(2019, 11, 20)),
            referral("action_plan", company=1, on=date(2020, 1, 6)),
            referral("action_plan", company=2, on=date(2018, 12, 20)),
            course("action_plan", company=2, on=date(2019, 1, 10)),
        ]
    )
    # 2019: companies {1, 2}, no referral dated 2019 → 0 / 2 = 0.0.
    assert measure("5A", "action_plan_referral_rate", log.year("sjaelland", 2019)) == 0.0


def test_a_referred_company_without_a_course_of_the_type_does_not_enter_the_numerator():
    f = facts_2019(
        course("development_plan", company=1),
        referral("development_plan", company=1),
        course("development_plan", company=2),
        referral("development_plan", company=3),  # company 3 has no development plan
    )
    # numerator {1} ∩ …: {1, 2} with a course, referred {1, 3} → {1} → 1 / 2 = 50.0 (not 2 / 2).
    assert measure("5A", "development_plan_referral_rate", f) == 50.0


def test_referral_rate_without_courses_is_none():
    f = facts_2019(referral("growth_plan", company=1))
    assert measure("5A", "growth_plan_referral_rate", f) is None


def test_a_retracted_referral_no_longer_counts():
    wrong = referral("action_plan", company=1)
    folder = Folder().apply(course("action_plan", company=1), wrong, retraction(wrong))
    assert measure("5A", "action_plan_referral_rate", folder.year()) == 0.0


# --------------------------------------------------------------------------------------------------
# Geography (5B): municipality share of specialised courses − population share, in points
# --------------------------------------------------------------------------------------------------


def test_geographic_deviation_is_course_share_minus_population_share():
    f = facts_2019(
        courses(4, "action_plan", "Roskilde"),
        courses(3, "growth_plan", "Næstved"),
        courses(2, "development_plan", "Greve"),
        courses(1, "action_plan", "Lolland"),
    )
    dev = _deviations(f)
    # 10 specialised courses: Roskilde 40 % − 10.51 = 29.49; Næstved 30 − 9.91 = 20.09;
    # Greve 20 − 6.04 = 13.96; Lolland 10 − 4.99 = 5.01; Sorø (none) 0 − 3.54 = −3.54.
    assert dev["Roskilde"] == 29.49
    assert dev["Næstved"] == 20.09
    assert dev["Greve"] == 13.96
    assert dev["Lolland"] == 5.01
    assert dev["Sorø"] == -3.54
    assert len(dev) == 17
    # the largest absolute deviation: Roskilde's 29.49
    assert measure("5B", "geographic_spread", f) == 29.49


def test_short_courses_do_not_count_for_geography():
    f = facts_2019(courses(1, "action_plan", "Roskilde"), [short("Stevns") for _ in range(50)])
    dev = _deviations(f)
    # 1 specialised course, in Roskilde: 100 − 10.51 = 89.49; Stevns 0 − 2.74 = −2.74.
    assert dev["Roskilde"] == 89.49
    assert dev["Stevns"] == -2.74


def test_geography_without_specialised_courses_is_none():
    assert measure("5B", "geographic_spread", facts_2019(short("Stevns"))) is None


def _spread_with_greve(greve: int, roskilde: int):
    """2500 specialised courses: Greve as given, the rest within ±0.2 points of their share."""
    counts = {
        "Greve": greve, "Køge": 179, "Lejre": 79, "Roskilde": roskilde, "Solrød": 65, "Faxe": 105,
        "Guldborgsund": 179, "Holbæk": 209, "Kalundborg": 143, "Lolland": 122, "Næstved": 245,
        "Odsherred": 95, "Ringsted": 101, "Slagelse": 234, "Sorø": 85, "Stevns": 65, "Vordingborg": 134,
    }  # fmt: skip
    assert sum(counts.values()) == 2500
    events = []
    for name, n in counts.items():
        events += courses(n, "growth_plan", name)
    return facts_2019(events)


def test_geographic_deviation_of_exactly_two_points_is_the_maximum():
    # Greve 201 / 2500 = 8.04 % − 6.04 = 2.00; every other municipality is within 0.2
    # (e.g. Roskilde 259 / 2500 = 10.36 − 10.51 = −0.15; Køge 179 / 2500 = 7.16 − 7.27 = −0.11).
    f = _spread_with_greve(201, 259)
    dev = _deviations(f)
    assert dev["Greve"] == 2.0
    assert dev["Roskilde"] == -0.15
    assert dev["Køge"] == -0.11
    assert measure("5B", "geographic_spread", f) == 2.0


def test_geographic_deviation_above_two_points():
    # Greve 202 / 2500 = 8.08 % − 6.04 = 2.04; Roskilde 258 / 2500 = 10.32 − 10.51 = −0.19.
    f = _spread_with_greve(202, 258)
    assert measure("5B", "geographic_spread", f) == 2.04


def test_geographic_deviation_rounds_half_up_to_two_decimals():
    # 32 specialised courses, 3 in Holbæk: 100 × 3 / 32 = 9.375 % − 8.48 = 0.895 exactly → 0.90
    # (half up, as round_half_up promises). Subtracting the floats first gives 0.89499999… → 0.89.
    f = facts_2019(courses(3, "action_plan", "Holbæk"), courses(29, "action_plan", "Roskilde", first=3))
    assert _deviations(f)["Holbæk"] == 0.9


# --------------------------------------------------------------------------------------------------
# Council presentations, digital courses, big joint event, cross-region developers
# --------------------------------------------------------------------------------------------------


def test_council_presentations_count_distinct_municipalities():
    f = facts_2019(
        meeting("council_presentation_offered", "Lolland"),
        meeting("council_presentation_offered", "Lolland", on=date(2019, 9, 1)),  # Lolland again
        meeting("council_presentation_offered", "Sorø"),
        meeting("other", "Greve"),  # another kind of meeting
    )
    # {Lolland, Sorø} → 2 (not 3 offers).
    assert measure("5A", "council_presentations", f) == 2


def test_council_presentations_in_all_seventeen_municipalities_reach_seventeen():
    names = [m.name for m in contract().municipalities]
    f = facts_2019([meeting("council_presentation_offered", n) for n in names + names[:5]])
    assert measure("5A", "council_presentations", f) == 17


def test_digital_business_model_courses_are_specialised_courses_with_the_topic():
    f = facts_2019(
        course("action_plan", topics=["digital_business_model", "export"], company=1),  # counts
        course("growth_plan", topics=["digital_business_model"], company=2),  # counts
        course("development_plan", topics=["export"], company=3),  # other topic
        course("short", topics=["digital_business_model"], company=None),  # short: not specialised
        course("action_plan", company=4),  # no topics
    )
    assert measure("7", "digital_business_model_courses", f) == 2


def test_a_course_naming_the_digital_topic_twice_counts_once():
    # The event schema accepts a repeated topic and stores it once; it is still one course "whose
    # topics include" it.
    data = {**view_data(course("action_plan").data), "topics": ["digital_business_model", "digital_business_model"]}
    stored = validate_data("course.completed", data, contract())
    assert stored["topics"] == ["digital_business_model"]
    f = facts_2019(Ev("course.completed", HOUSE, MID_2019, to_view("course.completed", stored)))
    assert measure("7", "digital_business_model_courses", f) == 1


def test_a_big_joint_event_needs_at_least_one_hundred_participants():
    f = facts_2019(
        event_held("joint_hovedstaden", participants=99),  # too small
        event_held("joint_hovedstaden", participants=100),  # counts
        event_held("joint_hovedstaden", participants=250),  # counts
        event_held("conference", participants=300),  # not a joint event
    )
    assert measure("10", "big_joint_event", f) == 2


def test_a_joint_event_of_ninety_nine_is_not_big():
    assert measure("10", "big_joint_event", facts_2019(event_held("joint_hovedstaden", participants=99))) == 0


def test_events_count_by_kind_whatever_their_size():
    f = facts_2019(
        event_held("conference", participants=10),
        event_held("conference", participants=500),
        event_held("digitalisation", participants=0),
    )
    assert measure("5C", "conferences", f) == 2
    assert measure("7", "digitalisation_events", f) == 1


def test_cross_region_developers_are_distinct_consultants():
    f = facts_2019(
        staff("cross_region", "Anne"),
        staff("cross_region", "Anne", on=date(2019, 9, 1)),  # designated twice: one consultant
        staff("cross_region", "Bo"),
        staff("digital_expert", "Cai"),  # another role
    )
    assert measure("10", "cross_region_developers", f) == 2  # {Anne, Bo}
    assert measure("7", "digital_expert_developers", f) == 1  # {Cai}


# --------------------------------------------------------------------------------------------------
# Municipality figures
# --------------------------------------------------------------------------------------------------


def _figures_by_name(facts, months=None):
    return {m.name: m for m in municipality_figures(contract(), facts, months)}


def test_municipality_figures_count_courses_per_type_and_the_specialised_share():
    f = facts_2019(
        short("Lolland"),
        short("Lolland"),
        courses(3, "action_plan", "Lolland"),
        courses(1, "growth_plan", "Lolland", first=10),
        courses(4, "development_plan", "Sorø", first=20),
        courses(2, "action_plan", "Roskilde", first=30),
        short("Greve"),
    )
    figures = _figures_by_name(f)
    lolland = figures["Lolland"]
    assert lolland.courses == {"short": 2, "action_plan": 3, "growth_plan": 1, "development_plan": 0}
    # specialised: Lolland 4, Sorø 4, Roskilde 2 → 10 in all.
    assert lolland.specialised_courses == 4
    assert lolland.specialised_share_pct == 40.0  # 4 / 10
    assert lolland.deviation_pp == 35.01  # 40 − 4.99
    assert figures["Sorø"].specialised_share_pct == 40.0
    assert figures["Sorø"].deviation_pp == 36.46  # 40 − 3.54
    assert figures["Roskilde"].specialised_share_pct == 20.0
    assert figures["Roskilde"].deviation_pp == 9.49  # 20 − 10.51
    greve = figures["Greve"]  # one short course only
    assert greve.courses == {"short": 1, "action_plan": 0, "growth_plan": 0, "development_plan": 0}
    assert greve.specialised_courses == 0
    assert greve.specialised_share_pct == 0.0
    assert greve.deviation_pp == -6.04
    assert lolland.population == 41787
    assert lolland.population_share_pct == 4.99
    assert lolland.contribution_dkk == 1194190


def test_municipality_figures_list_all_seventeen_in_contract_order():
    figures = municipality_figures(contract(), facts_2019())
    assert [m.name for m in figures] == [m.name for m in contract().municipalities]
    assert len(figures) == 17


def test_municipality_figures_without_specialised_courses_have_no_share():
    figures = _figures_by_name(facts_2019(short("Lolland")))
    assert figures["Lolland"].specialised_share_pct is None
    assert figures["Lolland"].deviation_pp is None
    assert figures["Lolland"].courses["short"] == 1


def test_municipality_figures_count_events_newsletters_and_council_presentations():
    f = facts_2019(
        event_held("conference", "Lolland"),
        event_held("event", "Lolland"),
        event_held("joint_hovedstaden", "Sorø", participants=120),
        newsletter("Lolland"),
        newsletter("Lolland"),
        newsletter(),  # no municipality: belongs to none
        meeting("council_presentation_offered", "Lolland"),
        meeting("local_business_service", "Sorø"),  # not a council presentation
    )
    figures = _figures_by_name(f)
    assert figures["Lolland"].events_hosted == 2
    assert figures["Sorø"].events_hosted == 1
    assert figures["Greve"].events_hosted == 0
    assert figures["Lolland"].newsletters == 2
    assert figures["Sorø"].newsletters == 0
    assert sum(m.newsletters for m in figures.values()) == 2
    assert figures["Lolland"].council_presentation_offered is True
    assert figures["Sorø"].council_presentation_offered is False


def test_municipality_figures_months_narrow_courses_events_newsletters_and_council_presentations():
    f = facts_2019(
        courses(2, "action_plan", "Lolland", on=date(2019, 3, 31)),  # Q1
        courses(1, "action_plan", "Sorø", on=date(2019, 1, 2), first=10),  # Q1
        courses(5, "action_plan", "Lolland", on=date(2019, 4, 1), first=20),  # Q2
        event_held("event", "Lolland", on=date(2019, 2, 14)),  # Q1
        event_held("event", "Lolland", on=date(2019, 5, 14)),  # Q2
        newsletter("Lolland", on=date(2019, 6, 30)),  # Q2
        meeting("council_presentation_offered", "Lolland", on=date(2019, 5, 1)),  # Q2
    )
    q1 = _figures_by_name(f, {"2019-01", "2019-02", "2019-03"})
    # Q1: Lolland 2 action plans, Sorø 1 → 3 specialised; Lolland 2/3 = 66.666… → 66.67 %.
    assert q1["Lolland"].courses["action_plan"] == 2
    assert q1["Lolland"].specialised_share_pct == 66.67
    assert q1["Lolland"].deviation_pp == 61.68  # 66.666… − 4.99 = 61.676… → 61.68
    assert q1["Sorø"].specialised_share_pct == 33.33
    assert q1["Lolland"].events_hosted == 1
    assert q1["Lolland"].newsletters == 0
    # the year: Lolland 7 of 8 = 87.5 %, 2 events, 1 newsletter.
    year = _figures_by_name(f)
    assert year["Lolland"].courses["action_plan"] == 7
    assert year["Lolland"].specialised_share_pct == 87.5
    assert year["Lolland"].events_hosted == 2
    assert year["Lolland"].newsletters == 1
    # council presentations are narrowed by months too: Lolland's offer came in May (Q2), not in Q1.
    assert q1["Lolland"].council_presentation_offered is False
    q2 = _figures_by_name(f, {"2019-04", "2019-05", "2019-06"})
    assert q2["Lolland"].council_presentation_offered is True
    assert year["Lolland"].council_presentation_offered is True


def test_municipality_deviation_rounds_half_up_to_two_decimals():
    # 3 of 32 specialised courses in Holbæk: share 9.375 → 9.38; deviation 9.375 − 8.48 = 0.895 → 0.90.
    f = facts_2019(courses(3, "action_plan", "Holbæk"), courses(29, "action_plan", "Roskilde", first=3))
    holbaek = _figures_by_name(f)["Holbæk"]
    assert holbaek.specialised_share_pct == 9.38
    assert holbaek.deviation_pp == 0.9


# --------------------------------------------------------------------------------------------------
# `until`: only what occurred in or before that month counts (a quarter's end without a second fold)
# --------------------------------------------------------------------------------------------------


def test_counts_until_a_month_leave_out_the_courses_of_later_months():
    f = facts_2019(short(on=date(2019, 2, 10)), short(on=date(2019, 4, 10)), short(on=date(2019, 11, 10)))
    assert measure("1", "short_courses", f, "2019-01") == 0
    assert measure("1", "short_courses", f, "2019-03") == 1  # February
    assert measure("1", "short_courses", f, "2019-04") == 2  # February, April
    assert measure("1", "short_courses", f, "2019-10") == 2
    assert measure("1", "short_courses", f, "2019-11") == 3
    assert measure("1", "short_courses", f, "2019-12") == 3
    assert measure("1", "short_courses", f) == 3  # no cut-off: the whole year


def test_until_takes_in_the_whole_of_its_month_and_nothing_of_the_next():
    f = facts_2019(courses(2, on=date(2019, 3, 31)), courses(1, on=date(2019, 4, 1), first=2))
    assert measure("1", "action_plans", f, "2019-03") == 2
    assert measure("1", "action_plans", f, "2019-04") == 3


def test_until_before_the_year_leaves_nothing_and_after_it_everything():
    f = facts_2019(short(on=date(2019, 1, 1)), short(on=date(2019, 12, 31)))
    assert measure("1", "short_courses", f, "2018-12") == 0
    assert measure("1", "short_courses", f, "2020-01") == 2


def test_meetings_newsletters_agreements_and_council_presentations_until_a_month():
    f = facts_2019(
        meeting("local_business_service", "Køge", date(2019, 3, 1)),
        meeting("local_business_service", "Køge", date(2019, 7, 1)),
        newsletter("Greve", date(2019, 6, 30)),
        agreement("state_scheme", on=date(2019, 12, 1)),
        meeting("council_presentation_offered", "Lolland", date(2019, 3, 1)),
        meeting("council_presentation_offered", "Lolland", date(2019, 9, 1)),  # Lolland again
        meeting("council_presentation_offered", "Sorø", date(2019, 9, 2)),
    )
    # by the end of June: one local meeting (March), the June newsletter, no agreement, {Lolland}.
    assert measure("5B", "local_actor_meetings", f, "2019-06") == 1
    assert measure("5B", "newsletters", f, "2019-06") == 1
    assert measure("5A", "state_scheme_agreements", f, "2019-06") == 0
    assert measure("5A", "council_presentations", f, "2019-06") == 1
    assert measure("5A", "council_presentations", f, "2019-08") == 1
    # by the end of September: {Lolland, Sorø}.
    assert measure("5A", "council_presentations", f, "2019-09") == 2
    assert measure("5B", "local_actor_meetings", f, "2019-09") == 2
    assert measure("5A", "state_scheme_agreements", f, "2019-12") == 1


def test_digital_business_model_courses_until_a_month():
    f = facts_2019(
        course("action_plan", on=date(2019, 3, 1), topics=["digital_business_model"], company=1),
        course("growth_plan", on=date(2019, 9, 1), topics=["digital_business_model"], company=2),
    )
    assert measure("7", "digital_business_model_courses", f, "2019-06") == 1
    assert measure("7", "digital_business_model_courses", f) == 2


def test_referral_rate_until_a_month_counts_companies_by_the_month_they_had_course_and_referral():
    f = facts_2019(
        course("action_plan", company=1, on=date(2019, 2, 5)),  # A: course February …
        referral("action_plan", company=1, on=date(2019, 6, 5)),  # … referred June
        course("action_plan", company=2, on=date(2019, 3, 5)),  # B: course March …
        referral("action_plan", company=2, on=date(2019, 3, 25)),  # … referred March
    )
    assert measure("5A", "action_plan_referral_rate", f, "2019-01") is None  # no company with a course yet
    assert measure("5A", "action_plan_referral_rate", f, "2019-02") == 0.0  # {A}, none referred
    assert measure("5A", "action_plan_referral_rate", f, "2019-03") == 50.0  # {A, B}, referred {B}
    assert measure("5A", "action_plan_referral_rate", f, "2019-05") == 50.0
    assert measure("5A", "action_plan_referral_rate", f, "2019-06") == 100.0  # referred {A, B}
    assert measure("5A", "action_plan_referral_rate", f) == 100.0


def test_referral_rate_until_a_month_counts_an_early_referral_from_the_course_month():
    f = facts_2019(
        referral("growth_plan", company=1, on=date(2019, 1, 5)),  # referred before its growth plan
        course("growth_plan", company=1, on=date(2019, 4, 5)),
        course("growth_plan", company=2, on=date(2019, 4, 6)),
        course("growth_plan", company=3, on=date(2019, 4, 7)),
    )
    assert measure("5A", "growth_plan_referral_rate", f, "2019-03") is None
    assert measure("5A", "growth_plan_referral_rate", f, "2019-04") == 33.3  # 1 of {1, 2, 3}


def test_referral_rate_until_a_month_after_the_first_course_is_retracted():
    february = course("action_plan", company=1, on=date(2019, 2, 5))
    folder = Folder().apply(
        february,
        course("action_plan", company=1, on=date(2019, 7, 5)),
        referral("action_plan", company=1, on=date(2019, 3, 5)),
        course("action_plan", company=2, on=date(2019, 5, 5)),
    )
    assert measure("5A", "action_plan_referral_rate", folder.year(), "2019-03") == 100.0  # {1} referred
    assert measure("5A", "action_plan_referral_rate", folder.year(), "2019-06") == 50.0  # {1, 2}
    folder.apply(retraction(february))
    # company 1 now has its first action plan in July: by June only {2}, unreferred.
    assert measure("5A", "action_plan_referral_rate", folder.year(), "2019-03") is None
    assert measure("5A", "action_plan_referral_rate", folder.year(), "2019-06") == 0.0
    assert measure("5A", "action_plan_referral_rate", folder.year(), "2019-07") == 50.0


def test_evaluation_rates_until_a_month_count_only_the_evaluations_received_by_then():
    f = facts_2019(
        evaluated(satisfaction=5, effect=("hoj",) + ("lav",) * 6, on=date(2019, 1, 10), company=1),
        evaluated(satisfaction=2, on=date(2019, 2, 10), company=2),
        evaluated(satisfaction=4, on=date(2019, 5, 10), company=3),
        evaluated(satisfaction=1, on=date(2019, 8, 10), company=4),
    )
    assert measure("1", "action_plan_satisfaction", f, "2018-12") is None
    assert measure("1", "action_plan_satisfaction", f, "2019-01") == 100.0  # 1 of 1
    assert measure("1", "action_plan_satisfaction", f, "2019-02") == 50.0  # 1 of 2
    assert measure("1", "action_plan_satisfaction", f, "2019-05") == 66.7  # 2 of 3 = 66.666…
    assert measure("1", "action_plan_satisfaction", f, "2019-08") == 50.0  # 2 of 4
    assert measure("1", "action_plan_effect", f, "2019-02") == 50.0  # 1 of 2
    assert measure("1", "action_plan_effect", f, "2019-08") == 25.0  # 1 of 4


def test_nps_until_a_month_counts_only_the_answers_received_by_then():
    f = facts_2019(
        evaluated(nps=10, on=date(2019, 3, 1), company=1),  # promoter
        evaluated(nps=3, on=date(2019, 4, 1), company=2),  # detractor
        evaluated(nps=9, on=date(2019, 6, 1), company=3),  # promoter
        evaluated(nps=0, on=date(2019, 9, 1), company=4),  # detractor
    )
    assert measure("1", "action_plan_nps", f, "2019-02") is None
    assert measure("1", "action_plan_nps", f, "2019-03") == 100  # 100 × 1 / 1
    assert measure("1", "action_plan_nps", f, "2019-04") == 0  # 100 × (1 − 1) / 2
    assert measure("1", "action_plan_nps", f, "2019-06") == 33  # 100 × (2 − 1) / 3 = 33.33… → 33
    assert measure("1", "action_plan_nps", f, "2019-09") == 0  # 100 × (2 − 2) / 4
    assert measure("3", "nps", f, "2019-06") == 33


def test_staff_until_a_month_leaves_out_a_consultant_designated_later():
    f = facts_2019(
        staff("cross_region", "Anne", date(2019, 3, 1)),
        staff("cross_region", "Bo", date(2019, 10, 1)),
        staff("cross_region", "Anne", date(2019, 11, 1)),  # Anne again: still one consultant
        staff("digital_expert", "Cai", date(2019, 10, 15)),
    )
    assert measure("10", "cross_region_developers", f, "2019-02") == 0
    assert measure("10", "cross_region_developers", f, "2019-09") == 1  # {Anne}
    assert measure("10", "cross_region_developers", f, "2019-10") == 2  # {Anne, Bo}
    assert measure("10", "cross_region_developers", f, "2019-12") == 2
    assert measure("7", "digital_expert_developers", f, "2019-09") == 0  # Cai: October
    assert measure("7", "digital_expert_developers", f, "2019-10") == 1


def test_a_big_joint_event_until_a_month():
    f = facts_2019(
        event_held("conference", participants=300, on=date(2019, 1, 20)),  # not a joint event
        event_held("joint_hovedstaden", participants=99, on=date(2019, 2, 20)),  # too small
        event_held("joint_hovedstaden", participants=150, on=date(2019, 5, 20)),
        event_held("joint_hovedstaden", participants=100, on=date(2019, 11, 20)),
    )
    assert measure("10", "big_joint_event", f, "2019-04") == 0
    assert measure("10", "big_joint_event", f, "2019-05") == 1
    assert measure("10", "big_joint_event", f, "2019-10") == 1
    assert measure("10", "big_joint_event", f, "2019-11") == 2
    assert measure("5C", "conferences", f, "2019-01") == 1


def test_geographic_deviation_until_a_month():
    f = facts_2019(
        course("action_plan", "Roskilde", date(2019, 1, 15), company=1),
        short("Stevns", date(2019, 2, 1)),
        course("growth_plan", "Lolland", date(2019, 7, 15), company=2),
    )
    # by June: 1 specialised course, in Roskilde: 100 − 10.51 = 89.49; Lolland 0 − 4.99.
    by_june = deviations_pp(f, SPECIALISED, contract(), "2019-06")
    assert by_june is not None
    assert by_june["Roskilde"] == 89.49
    assert by_june["Lolland"] == -4.99
    assert measure("5B", "geographic_spread", f, "2019-06") == 89.49
    # the year: Roskilde 50 − 10.51 = 39.49, Lolland 50 − 4.99 = 45.01 (the largest).
    assert measure("5B", "geographic_spread", f) == 45.01
    assert measure("5B", "geographic_spread", f, "2018-12") is None


def test_a_milestone_reached_in_july_is_not_reached_until_june():
    f = facts_2019(milestone("8.strategy_2020_draft", date(2019, 7, 2)))
    assert milestone_reached_on(f, "8.strategy_2020_draft", "2019-06") is None
    assert milestone_reached_on(f, "8.strategy_2020_draft", "2019-07") == "2019-07-02"
    assert milestone_reached_on(f, "8.strategy_2020_draft") == "2019-07-02"


# --------------------------------------------------------------------------------------------------
# Property: referral_rate(until) equals a brute-force count over the events still standing
# --------------------------------------------------------------------------------------------------

REFERRAL_TYPES = ("action_plan", "growth_plan")
MONTHS = [f"2019-{m:02d}" for m in range(1, 13)]

# ("add", kind, course type, company, month, day) or ("retract", which of the standing events)
_add = st.tuples(
    st.just("add"),
    st.sampled_from(("course", "referral")),
    st.sampled_from(REFERRAL_TYPES),
    st.integers(0, 3),  # four companies: collisions are the point
    st.integers(1, 12),
    st.integers(1, 28),
)
_retract = st.tuples(st.just("retract"), st.integers(0, 1_000))
_ops = st.lists(st.one_of(_add, _add, _retract), max_size=40)


def _play(ops: list[tuple]) -> tuple[Folder, list[Ev]]:
    """Fold the operations; returns the folder and the events still standing (not retracted)."""
    folder, standing = Folder(), []
    for op in ops:
        if op[0] == "add":
            _, kind, ct, company, month, day = op
            on = date(2019, month, day)
            event = course(ct, on=on, company=company) if kind == "course" else referral(ct, company, on)
            standing.append(event)
            folder.apply(event)
        elif standing:
            folder.apply(retraction(standing.pop(op[1] % len(standing))))
    return folder, standing


def _brute_referral_rate(standing: list[Ev], ct: str, until: str | None) -> float | None:
    def by_then(e: Ev) -> bool:
        return until is None or e.occurred_on.isoformat()[:7] <= until

    with_course = {
        e.data.company_cvr
        for e in standing
        if isinstance(e.data, CourseCompletedView) and e.data.course_type == ct and by_then(e)
    }
    referred = with_course & {
        e.data.company_cvr
        for e in standing
        if isinstance(e.data, CompanyReferredView) and e.data.from_course == ct and by_then(e)
    }
    if not with_course:
        return None
    rate = Decimal(100 * len(referred)) / Decimal(len(with_course))
    return float(rate.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@settings(max_examples=300, deadline=None, database=None)
@given(ops=_ops)
def test_referral_rate_until_any_month_equals_a_brute_force_count_of_the_standing_events(ops):
    folder, standing = _play(ops)
    for ct in REFERRAL_TYPES:
        for until in [*MONTHS, None]:
            expected = _brute_referral_rate(standing, ct, until)
            assert measure("5A", f"{ct}_referral_rate", folder.year(), until) == expected, (ct, until)


@settings(max_examples=300, deadline=None, database=None)
@given(ops=_ops)
def test_the_first_month_counters_equal_a_brute_force_count_of_the_standing_events(ops):
    folder, standing = _play(ops)
    course_months: dict[tuple[str, str | None], list[str]] = {}
    referral_months: dict[tuple[str, str | None], list[str]] = {}
    for e in standing:
        month = e.occurred_on.isoformat()[:7]
        if isinstance(e.data, CourseCompletedView):
            course_months.setdefault((e.data.course_type, e.data.company_cvr), []).append(month)
        elif isinstance(e.data, CompanyReferredView):
            referral_months.setdefault((e.data.from_course, e.data.company_cvr), []).append(month)
    with_course = Counter((ct, min(months)) for (ct, _cvr), months in course_months.items())
    referred = Counter(
        (ct, max(min(months), min(referral_months[ct, cvr])))
        for (ct, cvr), months in course_months.items()
        if (ct, cvr) in referral_months
    )
    assert folder.year().companies_with_course == dict(with_course)
    assert folder.year().companies_referred == dict(referred)
