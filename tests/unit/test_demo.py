"""The demo year: deterministic, valid, realistic, and loadable into an empty log."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ehsj_core.contract.loader import ContractBook, read_contract_folder, store_contracts
from ehsj_core.contract.model import Contract
from ehsj_core.db import create_db_engine
from ehsj_core.demo import (
    NAMESPACE,
    DemoError,
    DemoEvent,
    event_uuid,
    generate_year,
    iter_year,
)
from ehsj_core.demo_companies import CompanyPool, cvr_for, working_days
from ehsj_core.events.schemas import is_valid_cvr
from ehsj_core.events.validation import parse_event
from ehsj_core.migrate import upgrade_to_head
from ehsj_core.settings import Settings
from ehsj_core.tracker import Tracker
from tests.factories import Actor
from tests.unit.builders import sjaelland_contract

ROOT = Path(__file__).resolve().parents[2]
LOADED = read_contract_folder(ROOT / "contracts") + read_contract_folder(ROOT / "tests" / "data" / "contracts")
BOOK = ContractBook(LOADED)
C2019 = sjaelland_contract(LOADED)
C2020 = sjaelland_contract(LOADED, 2020)
TZ = ZoneInfo("Europe/Copenhagen")
YEAR = generate_year(C2019)


def live(events: list[DemoEvent]) -> list[DemoEvent]:
    """The events that count: neither retractions nor retracted."""
    retracted = {e.raw["data"]["target_event_id"] for e in events if e.raw["type"] == "event.retracted"}
    return [e for e in events if e.raw["type"] != "event.retracted" and e.raw["event_id"] not in retracted]


def of_type(events: list[DemoEvent], type_: str, **match: object) -> list[dict[str, Any]]:
    return [
        e.raw["data"]
        for e in events
        if e.raw["type"] == type_ and all(e.raw["data"].get(k) == v for k, v in match.items())
    ]


def geography(events: list[DemoEvent], contract: Contract) -> float:
    specialised = [d for d in of_type(events, "course.completed") if d["course_type"] != "short"]
    counts = Counter(d["municipality"] for d in specialised)
    return max(abs(100 * counts[m.name] / len(specialised) - m.share_pct) for m in contract.municipalities)


# --- determinism --------------------------------------------------------------------------------------
def test_the_same_seed_gives_the_same_events_ids_and_times() -> None:
    assert generate_year(C2019) == YEAR
    assert generate_year(C2019, seed=7) == generate_year(C2019, seed=7)


def test_another_seed_gives_another_year() -> None:
    other = generate_year(C2019, seed=2020)
    assert other != YEAR
    assert not {e.raw["event_id"] for e in other} & {e.raw["event_id"] for e in YEAR}


def test_event_ids_are_uuid5_of_seed_and_index_and_unique() -> None:
    for seed, index in ((2019, 0), (2019, 1), (7, 123_456)):
        assert event_uuid(seed, index) == str(uuid.uuid5(NAMESPACE, f"{seed}:{index}"))
    ids = [e.raw["event_id"] for e in YEAR]
    assert len(set(ids)) == len(ids)
    assert set(ids) == {event_uuid(2019, i) for i in range(len(ids))}


def test_iter_year_streams_exactly_what_generate_year_returns() -> None:
    assert list(iter_year(C2019, seed=5, scale=0.5)) == generate_year(C2019, seed=5, scale=0.5)


# --- validity -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("contract", [C2019, C2020], ids=["2019", "2020"])
def test_every_generated_event_passes_validation(contract: Contract) -> None:
    for event in generate_year(contract, seed=3):
        assert set(event.raw) == {"event_id", "type", "occurred_on", "data"}
        parsed = parse_event(event.raw, BOOK, contract.house, date(contract.year + 1, 12, 31))
        assert parsed.event_id == event.raw["event_id"]


def test_companies_have_valid_cvr_numbers_and_one_name_and_home_each() -> None:
    homes: dict[str, set[str]] = {}
    for data in of_type(live(YEAR), "course.completed"):
        if "company_cvr" in data:
            assert is_valid_cvr(str(data["company_cvr"]))
            homes.setdefault(str(data["company_cvr"]), set()).add(f"{data['company_name']}|{data['municipality']}")
    assert all(len(h) == 1 for h in homes.values())
    pool = CompanyPool(["Sorø", "Lolland"], [3.54, 4.99], 500, seed=1)
    companies = list(pool)
    assert len({c.cvr for c in companies}) == len(companies) and all(is_valid_cvr(c.cvr) for c in companies)
    assert len({cvr_for(n, 0) for n in range(90_000)}) == 90_000


def test_some_short_courses_have_no_cvr_but_every_specialised_course_has_one() -> None:
    courses = of_type(YEAR, "course.completed")
    assert any("company_cvr" not in d for d in courses if d["course_type"] == "short")
    assert all("company_cvr" in d for d in courses if d["course_type"] != "short")


# --- volumes ------------------------------------------------------------------------------------------
def test_volumes_are_near_the_contract() -> None:
    events = live(YEAR)
    courses = Counter(str(d["course_type"]) for d in of_type(events, "course.completed"))
    assert 405 <= courses["short"] <= 445
    assert 300 <= courses["action_plan"] <= 325 and 300 <= courses["growth_plan"] <= 320
    assert 15 <= courses["development_plan"] <= 18
    digital = [d for d in of_type(events, "course.completed") if "digital_business_model" in d["topics"]]
    assert 60 <= len(digital) <= 140
    evaluations = len(of_type(events, "evaluation.received"))
    specialised = courses["action_plan"] + courses["growth_plan"] + courses["development_plan"]
    assert 0.5 <= evaluations / specialised <= 0.7
    for course_type, low, high in (("action_plan", 70, 85), ("growth_plan", 80, 90), ("development_plan", 85, 100)):
        with_course = {d["company_cvr"] for d in of_type(events, "course.completed", course_type=course_type)}
        referred = {d["company_cvr"] for d in of_type(events, "company.referred", from_course=course_type)}
        assert referred <= with_course
        assert low <= 100 * len(referred) / len(with_course) <= high


def test_the_house_activities_match_the_story_of_the_year() -> None:
    events = live(YEAR)
    meetings = Counter(str(d["meeting_kind"]) for d in of_type(events, "meeting.held"))
    assert meetings["local_business_service"] == 5 and 1 <= meetings["all_actors"] <= 2
    assert meetings["k17"] == 2 and meetings["kkr"] == 4 and meetings["coordination"] >= 1
    council = {d["municipality"] for d in of_type(events, "meeting.held", meeting_kind="council_presentation_offered")}
    assert len(council) == 15
    newsletters = of_type(events, "newsletter.sent")
    assert len(newsletters) == 11 and len({d["municipality"] for d in newsletters}) == 11
    kinds = Counter(str(d["event_kind"]) for d in of_type(events, "event.held"))
    assert kinds["conference"] == 2 and kinds["private_advisors"] == 1 and kinds["digitalisation"] == 3
    joint = sorted(int(d["participants"]) for d in of_type(events, "event.held", event_kind="joint_hovedstaden"))
    assert len(joint) == 2 and joint[0] == 60 and joint[1] >= 120
    assert len({d["municipality"] for d in of_type(events, "event.held")}) >= 10
    agreements = Counter(str(d["agreement_kind"]) for d in of_type(events, "agreement.signed"))
    assert agreements["state_scheme"] == 3 and agreements["copenhagen_capacity"] == 1
    assert agreements["early_warning"] == 1 and agreements["export_council"] == 1 and agreements["municipality"] >= 2
    roles = Counter(str(d["role"]) for d in of_type(events, "staff.designated"))
    assert roles == {"digital_expert": 2, "cross_region": 2}
    milestones = {
        str(d["milestone"]): e.raw["occurred_on"]
        for e in events
        if e.raw["type"] == "milestone.reached"
        for d in [e.raw["data"]]
    }
    assert len(milestones) == len(C2019.milestone_keys()) - 2
    assert milestones["8.strategy_2020_draft"] == "2019-06-20" and milestones["8.strategy_2021_process"] == "2019-10-08"


def test_about_six_mistakes_are_retracted_and_corrected() -> None:
    by_id = {e.raw["event_id"]: (i, e) for i, e in enumerate(YEAR)}
    retractions = [(i, e) for i, e in enumerate(YEAR) if e.raw["type"] == "event.retracted"]
    assert len(retractions) == 6
    for position, retraction in retractions:
        target_position, target = by_id[retraction.raw["data"]["target_event_id"]]
        assert target_position < position and target.recorded_at < retraction.recorded_at
        assert retraction.raw["data"]["reason"]
    assert sum("kommune" in e.raw["data"]["reason"] for _, e in retractions) >= 2


def test_scale_multiplies_courses_referrals_and_evaluations_only() -> None:
    big = generate_year(C2019, scale=3)
    small = Counter(e.raw["type"] for e in YEAR)
    large = Counter(e.raw["type"] for e in big)
    for type_ in ("course.completed", "company.referred", "evaluation.received"):
        assert 2.7 <= large[type_] / small[type_] <= 3.3
    assert large["meeting.held"] == small["meeting.held"] and large["milestone.reached"] == small["milestone.reached"]


@pytest.mark.parametrize("seed", [2019, 1, 2, 3])
def test_the_geographic_spread_deviates_realistically_from_the_population(seed: int) -> None:
    assert 0.5 <= geography(live(generate_year(C2019, seed=seed)), C2019) <= 2.5


# --- time ---------------------------------------------------------------------------------------------
def test_recorded_at_grows_and_follows_the_working_day_it_happened() -> None:
    assert [e.recorded_at for e in YEAR] == sorted(e.recorded_at for e in YEAR)
    days = working_days(date(2019, 1, 1), date(2020, 1, 31))
    sittings_with_a_correction = {(e.recorded_at, e.recorded_by) for e in YEAR if e.raw["type"] == "event.retracted"}
    for event in YEAR:
        occurred = date.fromisoformat(event.raw["occurred_on"])
        local = event.recorded_at.astimezone(TZ)
        assert event.recorded_at.tzinfo == UTC
        assert occurred.year == 2019 and occurred in days and local.date() in days
        assert 8 <= local.hour <= 16 and local.date() >= occurred
        lag = days.index(local.date()) - days.index(occurred)
        if (event.recorded_at, event.recorded_by) not in sittings_with_a_correction:
            assert lag <= 4  # a corrected event is re-logged with its retraction, days later


def test_july_and_late_december_are_quiet() -> None:
    months = Counter(str(d)[5:7] for d in (e.raw["occurred_on"] for e in YEAR if e.raw["type"] == "course.completed"))
    assert months["07"] < 0.5 * months["06"] and months["07"] < 0.5 * months["08"]
    late = sum(1 for e in YEAR if e.raw["type"] == "course.completed" and e.raw["occurred_on"] >= "2019-12-19")
    assert late < 0.4 * months["11"] / 30 * 12


def test_nothing_is_recorded_after_now_in_the_running_year() -> None:
    now = datetime(2019, 7, 1, 10, 0, tzinfo=UTC)
    partial = generate_year(C2019, now=now)
    assert partial == YEAR[: len(partial)] and 0 < len(partial) < len(YEAR)
    assert all(e.recorded_at <= now and e.raw["occurred_on"] <= "2019-07-01" for e in partial)
    assert generate_year(C2019, now=datetime(2018, 12, 31, tzinfo=UTC)) == []


# --- loading ------------------------------------------------------------------------------------------
@pytest.fixture
def demo_tracker(tmp_path: Path) -> Tracker:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/t.sqlite3")
    engine = create_db_engine(settings.database_url)
    upgrade_to_head(engine)
    store_contracts(engine, read_contract_folder(ROOT / "contracts"))
    return Tracker(settings, engine)


def test_load_demo_fills_an_empty_log_and_the_status_tells_the_story(demo_tracker: Tracker) -> None:
    assert demo_tracker.load_demo(year=2019) == len(YEAR)
    store = demo_tracker.log
    assert store.head().position == len(YEAR)
    assert store.recorded_at(1) == YEAR[0].recorded_at and store.recorded_at(len(YEAR)) == YEAR[-1].recorded_at
    targets = {t.key: t for g in demo_tracker.status(2019).goals for t in g.targets}
    assert targets["short_courses"].actual is not None and targets["short_courses"].actual >= 400
    assert targets["action_plans"].status == "met" and targets["growth_plans"].status == "met"
    assert targets["strategy_2020_draft"].status == "met"
    assert targets["strategy_2021_process"].status == "met_late"
    assert targets["council_presentations"].actual == 15 and targets["council_presentations"].status == "missed"
    assert targets["geographic_spread"].status == "met" and targets["digital_business_model_courses"].status == "met"
    assert targets["development_plan_nps"].status == "missed" and targets["nps"].status == "met"
    assert targets["effect"].actual is not None and 70 <= targets["effect"].actual <= 76
    assert sum(1 for g in demo_tracker.status(2019).goals for t in g.targets if t.status in ("met", "met_late")) >= 50


def test_load_demo_refuses_a_log_that_is_not_empty(demo_tracker: Tracker) -> None:
    demo_tracker.append_events(
        [parse_event(YEAR[0].raw, demo_tracker.contract_book(), demo_tracker.house, date(2020, 1, 1))], by=Actor("x")
    )
    with pytest.raises(DemoError, match="tom log"):
        demo_tracker.load_demo()
    assert demo_tracker.log.head().position == 1
