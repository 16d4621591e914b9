"""Reports built from the log at a stated position and rendered as Danish e-mails, on SQLite and
PostgreSQL: the figures are the projection's, the rendering is byte-stable, and a later event never
changes a report built at an earlier position. Previews land in tests/artifacts/reports/."""

from __future__ import annotations

import io
import json
import os
import re
import sys
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import matplotlib
import openpyxl
import pytest

from ehsj_core.db import create_db_engine
from ehsj_core.events.validation import InvalidInput
from ehsj_core.projections.municipalities import MunicipalityFigures
from ehsj_core.reports import (
    FailedDispatch,
    Period,
    Reminder,
    RenderedReport,
    build_annual,
    build_half_year,
    build_quarterly,
    build_reminder,
    charts,
    digest,
    labels,
    parse_period,
    preview_html,
    render,
)
from ehsj_core.reports.data import Basis
from ehsj_core.settings import Settings
from ehsj_core.setup import initialise
from ehsj_core.tracker import Tracker
from tests.conftest import CONTRACTS, ROOT
from tests.factories import Actor, course, cvr

ARTIFACTS = ROOT / "tests" / "artifacts" / "reports"
Q3 = parse_period("2019Q3", "quarter")
H1 = parse_period("2019H1", "half_year")


@pytest.fixture
def sqlite_tracker(tmp_path: Path) -> Iterator[Tracker]:
    """A tracker on SQLite only, for the heavier tests whose backend adds nothing to what they show."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'reports.sqlite3'}",
        contracts_dir=CONTRACTS,
        environment="test",
        snapshot_every=100,
    )
    engine = create_db_engine(settings.database_url)
    initialise(engine, settings.contracts_dir)
    yield Tracker(settings, engine)
    engine.dispose()


def demo_year(tracker: Tracker) -> int:
    tracker.load_demo()
    return tracker.log.head().position


def one(figures: list[MunicipalityFigures], name: str) -> MunicipalityFigures:
    return next(m for m in figures if m.name == name)


def write_preview(name: str, rendered: RenderedReport) -> None:
    """For a person to look at; written atomically, as parallel test runs may write the same file."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    temporary = ARTIFACTS / f".{name}.{os.getpid()}.{uuid.uuid4().hex}.tmp"
    temporary.write_text(preview_html(rendered), encoding="utf-8")
    temporary.replace(ARTIFACTS / f"{name}.html")


def assert_images_are_referenced(rendered: RenderedReport) -> None:
    assert rendered.images
    for image in rendered.images:
        assert image.png.startswith(b"\x89PNG\r\n\x1a\n") and image.filename.endswith(".png")
        assert f'src="cid:{image.cid}"' in rendered.html
    assert rendered.html.count("cid:") == len(rendered.images)
    preview = preview_html(rendered)
    assert "cid:" not in preview
    assert preview.count("data:image/png;base64,") == len(rendered.images)


def assert_no_pyplot_figures_left() -> None:
    pyplot = sys.modules.get("matplotlib.pyplot")
    assert pyplot is None or not pyplot.get_fignums()


# --- a small log on known dates ----------------------------------------------------------------------
def event(type_: str, occurred_on: str, **data: Any) -> dict[str, Any]:
    return {"type": type_, "occurred_on": occurred_on, "data": data}


def small_log() -> list[dict[str, Any]]:
    """A few events on known dates; none between 14 and 30 June, one in July. Seven companies with a
    development plan (CVR numbers far apart, so distinct), five of them referred on."""
    events = [
        event("meeting.held", "2019-03-12", meeting_kind="all_actors", title="Fællesmøde"),
        event("meeting.held", "2019-02-20", meeting_kind="local_business_service", municipality="Sorø"),
        event(
            "event.held",
            "2019-04-02",
            event_kind="strategy_seminar",
            title="Strategiseminar",
            municipality="Sorø",
            participants=40,
        ),
        event(
            "event.held",
            "2019-05-08",
            event_kind="conference",
            title="Konference",
            municipality="Næstved",
            participants=120,
        ),
        event(
            "event.held",
            "2019-04-24",
            event_kind="digitalisation",
            title="Digital dag",
            municipality="Køge",
            participants=30,
        ),
        event(
            "event.held",
            "2019-07-02",
            event_kind="strategy_workshop",
            title="Workshop",
            municipality="Sorø",
            participants=25,
        ),
        event("staff.designated", "2019-01-15", consultant="Dina Digital", role="digital_expert"),
        event("staff.designated", "2019-02-01", consultant="Tom Tværs", role="cross_region"),
        event(
            "evaluation.received",
            "2019-05-20",
            course_type="development_plan",
            company_cvr=cvr(100),
            nps=10,
            satisfaction=3,
            consultant_competence=5,
            effect=["hoj"] + ["lav"] * 6,
        ),
    ]
    events += [
        event(
            "newsletter.sent",
            f"2019-0{m}-10",
            channel="Erhvervsrådets nyhedsbrev",
            channel_kind="local_business_council",
            municipality="Lolland",
        )
        for m in range(1, 6)
    ]
    events += [course("development_plan", "Holbæk", f"2019-0{n % 5 + 1}-0{n}", company=100 * n) for n in range(1, 8)]
    events += [
        event(
            "company.referred",
            "2019-05-31",
            company_cvr=cvr(100 * n),
            from_course="development_plan",
            referred_to="Innovationsfonden",
            referral_kind="state_scheme",
        )
        for n in range(1, 6)
    ]
    return events


# --- the quarterly status --------------------------------------------------------------------------
def test_the_quarterly_for_lolland_shows_its_own_figures_and_the_overall_status(tracker: Tracker) -> None:
    position = demo_year(tracker)
    report = build_quarterly(tracker.facts_at(Q3.year, position), Q3, "lolland")

    quarter = one(tracker.municipalities(2019, as_of=position, months=set(Q3.months)).municipalities, "Lolland")
    to_date = one(tracker.municipalities(2019, as_of=position, months=set(Q3.months_to_date)).municipalities, "Lolland")
    status = tracker.status(2019, as_of=position, until=date(2019, 9, 30))
    assert report.municipality == "Lolland"
    assert report.quarter == quarter and report.year_to_date == to_date
    assert list(report.goals) == status.goals
    assert (report.basis.position, report.basis.judged_on) == (position, date(2019, 9, 30))
    assert report.previous == Period("quarter", 2019, 2)
    before = tracker.status(2019, as_of=position, until=date(2019, 6, 30))
    old = {(g.id, t.key): (t.actual, t.status) for g in before.goals for t in g.targets}
    moved = {(g.id, t.key) for g in status.goals for t in g.targets if old[(g.id, t.key)] != (t.actual, t.status)}
    assert moved and {(c.goal_id, c.key) for c in report.changes} == moved
    assert json.loads(json.dumps(report.as_dict()))["quarter"]["courses"] == quarter.courses

    rendered = render(report)
    html, text = rendered.html, rendered.text
    assert "3. kvartal 2019" in rendered.subject and "Lolland" in rendered.subject
    for key, name in report.basis.course_types:  # the municipality's table: quarter, then year to date
        q, y = quarter.courses[key], to_date.courses[key]
        assert re.search(rf">{name}</td><td[^>]*>{q}</td><td[^>]*>{y}</td>", html), name
        assert f"- {name}: {q} i 3. kvartal 2019, {y} år til dato" in text
    lolland_figures = [
        labels.percent(to_date.specialised_share_pct),
        labels.percent(to_date.population_share_pct),
        labels.points(to_date.deviation_pp),
        labels.number(to_date.population),
    ]
    for figure in lolland_figures:
        assert figure in html and figure in text, figure
    assert "41.787" in html  # Danish thousands
    for goal in status.goals:
        for t in goal.targets:
            figure = labels.actual_text(t.kind, t.actual, t.reached_on)
            assert figure in html and figure in text, (goal.id, t.key, figure)
            if t.expected_by_now is not None:
                assert f"forventet nu {labels.number(t.expected_by_now)}" in text
    rates = [labels.percent(t.actual) for g in status.goals for t in g.targets if t.kind == "rate" and t.actual]
    assert any(re.fullmatch(r"\d+,\d %", r) for r in rates)  # a decimal comma, checked in the loop above
    assert labels.number(position) in html and "30. september 2019" in html
    assert_images_are_referenced(rendered)
    assert_no_pyplot_figures_left()
    [attachment] = rendered.attachments  # the chief's workbook: the quarter and the year to date, then the months
    assert attachment.filename == "kvartalsstatus-2019Q3-lolland.xlsx" and attachment.filename in text
    sheets = openpyxl.load_workbook(io.BytesIO(attachment.data))
    names = dict(report.basis.course_types)
    header = [c.value for c in sheets["Kommunen"][1]]
    own = [dict(zip(header, row, strict=True)) for row in sheets["Kommunen"].iter_rows(min_row=2, values_only=True)]
    assert [[row[name] for name in names.values()] for row in own] == [
        [figures.courses[key] for key in names] for figures in (quarter, to_date)
    ]
    assert sheets["Måneder"].max_row == 1 + 9 and render(report).attachments[0].data == attachment.data
    write_preview("quarterly-2019Q3-lolland", rendered)


def test_the_first_quarter_has_nothing_to_compare_with(sqlite_tracker: Tracker) -> None:
    position = demo_year(sqlite_tracker)
    report = build_quarterly(sqlite_tracker.facts_at(2019, position), parse_period("2019Q1", "quarter"), "Sorø")
    assert report.previous is None and report.changes == ()
    assert report.year_to_date == report.quarter  # the year so far is the quarter
    assert "ingen tidligere kvartalsstatus" in render(report).text


def test_a_report_is_refused_for_an_unknown_municipality_or_the_wrong_period_kind(tracker: Tracker) -> None:
    with pytest.raises(InvalidInput) as caught:
        build_quarterly(tracker.facts_at(Q3.year, 0), Q3, "Atlantis")
    assert caught.value.problems[0].field == "municipality"
    assert "Lolland" in (caught.value.problems[0].allowed or [])
    with pytest.raises(InvalidInput):
        build_quarterly(tracker.facts_at(H1.year, 0), H1, "Lolland")
    with pytest.raises(InvalidInput):
        build_half_year(tracker.facts_at(Q3.year, 0), Q3)


# --- exactly reproducible --------------------------------------------------------------------------
def test_building_and_rendering_twice_gives_the_same_digest_also_in_a_fresh_tracker(
    tracker: Tracker, settings: Settings
) -> None:
    position = demo_year(tracker)
    first = build_quarterly(tracker.facts_at(Q3.year, position), Q3, "Lolland")
    second = build_quarterly(tracker.facts_at(Q3.year, position), Q3, "Lolland")
    fresh = build_quarterly(Tracker(settings, tracker.engine).facts_at(Q3.year, position), Q3, "Lolland")
    assert first == second == fresh
    assert json.dumps(first.as_dict(), sort_keys=True) == json.dumps(fresh.as_dict(), sort_keys=True)
    digests = {digest(render(r)) for r in (first, second, fresh)}
    with matplotlib.rc_context({"font.size": 20, "axes.facecolor": "black"}):  # a style set elsewhere
        digests.add(digest(render(first)))
    assert len(digests) == 1 and re.fullmatch(r"[0-9a-f]{64}", digests.pop())


def test_the_seventeen_chiefs_share_one_overall_chart_drawn_once_and_byte_for_byte_as_drawn_anew(
    sqlite_tracker: Tracker,
) -> None:
    position = demo_year(sqlite_tracker)
    names = [m.name for m in sqlite_tracker.contract(2019).contract.municipalities]
    charts.forget()
    batch = {n: render(build_quarterly(sqlite_tracker.facts_at(Q3.year, position), Q3, n)) for n in names}
    assert charts.drawings() == {"progress": 1, "share": 17, "deviation": 0}
    overall = {r.images[0].png for r in batch.values()}
    assert len(overall) == 1 and len({r.images[1].png for r in batch.values()}) == 17
    assert len({r.attachments[0].data for r in batch.values()}) == 17  # each chief's own workbook

    charts.forget()  # nothing cached: drawn anew, the same bytes and digest
    again = render(build_quarterly(sqlite_tracker.facts_at(Q3.year, position), Q3, "Lolland"))
    assert charts.drawings()["progress"] == 1
    assert again.images[0].png in overall and digest(again) == digest(batch["Lolland"])


def test_an_event_after_the_position_changes_only_reports_built_at_the_new_head(tracker: Tracker) -> None:
    tracker.append({"events": small_log()}, by=Actor("Dorte Direktør"))
    position = tracker.log.head().position
    q2 = parse_period("2019Q2", "quarter")
    before = build_quarterly(tracker.facts_at(q2.year, position), q2, "Holbæk")
    sent = digest(render(before))
    tracker.append(course("action_plan", "Holbæk", "2019-05-15", company=987_654), by=Actor("Karen Konsulent"))

    again = build_quarterly(tracker.facts_at(q2.year, position), q2, "Holbæk")
    assert again.as_dict() == before.as_dict()
    assert digest(render(again)) == sent

    head = tracker.log.head().position
    assert head == position + 1
    now = build_quarterly(tracker.facts_at(q2.year, head), q2, "Holbæk")
    assert now.quarter.courses["action_plan"] == before.quarter.courses["action_plan"] + 1 == 1
    assert now.basis.position == head
    assert digest(render(now)) != sent


# --- half-year and annual --------------------------------------------------------------------------
def test_the_half_year_report_comes_with_a_workbook_of_goals_and_17_municipalities(sqlite_tracker: Tracker) -> None:
    tracker = sqlite_tracker
    position = demo_year(tracker)
    report = build_half_year(tracker.facts_at(H1.year, position), H1)
    to_date = tracker.municipalities(2019, as_of=position, months=set(H1.months)).municipalities
    status = tracker.status(2019, as_of=position, until=date(2019, 6, 30))
    assert list(report.municipalities) == to_date and list(report.goals) == status.goals
    behind = {(g.id, t.key) for g in status.goals for t in g.targets if t.status in ("behind", "missed")}
    assert behind and {(t.goal_id, t.key) for t in report.behind} == behind

    rendered = render(report)
    assert "K17" in rendered.subject and "1. halvår 2019" in rendered.subject
    [attachment] = rendered.attachments
    assert attachment.filename == "halvaarsrapport-2019H1.xlsx"
    assert attachment.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = openpyxl.load_workbook(io.BytesIO(attachment.data))
    assert workbook.sheetnames == ["Mål", "Kommuner"]
    assert workbook.properties.created == datetime(2019, 6, 30)
    rows = list(workbook["Kommuner"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == 17
    contract = tracker.contract(2019).contract
    assert [r[0] for r in rows] == [m.name for m in contract.municipalities]
    header = [c.value for c in workbook["Kommuner"][1]]
    assert header[0] == "Kommune" and "Afvigelse (procentpoint)" in header
    for row, figures in zip(rows, to_date, strict=True):
        by_header = dict(zip(header, row, strict=True))
        assert by_header["Specialiserede forløb"] == figures.specialised_courses
        assert by_header["Afvigelse (procentpoint)"] == figures.deviation_pp
        assert by_header["Handlingsplan"] == figures.courses["action_plan"]
    goal_rows = list(workbook["Mål"].iter_rows(min_row=2, values_only=True))
    assert len(goal_rows) == sum(len(g.targets) for g in status.goals)
    for m in to_date:  # the municipalities' deviation, in Danish format, in the e-mail
        assert labels.points(m.deviation_pp) in rendered.html
    assert_images_are_referenced(rendered)
    assert render(report).attachments[0].data == attachment.data  # byte for byte
    write_preview("half-year-2019H1", rendered)


def test_the_annual_status_counts_the_targets_met_per_goal(sqlite_tracker: Tracker) -> None:
    tracker = sqlite_tracker
    position = demo_year(tracker)
    report = build_annual(tracker.facts_at(2019, position))
    status = tracker.status(2019, as_of=position, until=date(2019, 12, 31))
    met = {g.id: sum(t.status in ("met", "met_late") for t in g.targets) for g in status.goals}
    assert {f.goal_id: f.met for f in report.fulfilment} == met
    assert report.targets_total == sum(len(g.targets) for g in status.goals)
    assert report.basis.judged_on == date(2019, 12, 31)
    rendered = render(report)
    assert rendered.subject.startswith("Årsstatus 2019 til KKR Sjælland")
    assert f"{report.targets_met} af {report.targets_total}" in rendered.html
    nps = next(t for g in status.goals if g.id == "3" for t in g.targets)
    assert f"opfyldelsesgrad {labels.percent(nps.fulfilment_pct)}" in rendered.html
    assert rendered.attachments[0].filename == "aarsstatus-2019.xlsx"
    assert digest(render(build_annual(tracker.facts_at(2019, position)))) == digest(rendered)
    assert_images_are_referenced(rendered)
    write_preview("annual-2019", rendered)


# --- the director's reminder -----------------------------------------------------------------------
# Worked out by hand for 14 June 2019: day 165 of 365, so the pace of a target T is T × 165/365,
# rounded to one decimal. Behind: every count target with less than its pace. Not behind:
# development plans 7 ≥ 6.8; newsletters 5 ≥ 4.5; conferences, digitalisation events and digital
# experts 1 ≥ 0.9; all-actors meeting, strategy seminar and cross-region developer met. The July
# workshop does not count yet. Local-actor meetings: 1 < 1.8, so behind.
BEHIND_ON_14_JUNE = {
    ("1", "short_courses"),
    ("1", "action_plans"),
    ("2", "growth_plans"),
    ("5A", "state_scheme_agreements"),
    ("5A", "private_advisor_events"),
    ("5A", "council_presentations"),
    ("5B", "local_actor_meetings"),
    ("7", "digital_business_model_courses"),
    ("8", "strategy_workshop"),
    ("10", "copenhagen_capacity_agreement"),
    ("10", "early_warning_agreement"),
    ("10", "export_council_agreement"),
    ("10", "big_joint_event"),
    ("12", "coordination_meetings"),
}


EXPECTED_TO_MISS_ON_14_JUNE = {
    ("1", "short_courses"),
    ("1", "action_plans"),
    ("2", "growth_plans"),
    ("2", "development_plan_satisfaction"),
    ("5A", "state_scheme_agreements"),
    ("5A", "council_presentations"),
    ("5A", "development_plan_referral_rate"),
    ("7", "digital_business_model_courses"),
}


def test_the_reminder_lists_exactly_the_count_targets_behind_pace(tracker: Tracker) -> None:
    tracker.append({"events": small_log()}, by=Actor("Dorte Direktør"))
    position = tracker.log.head().position
    failed = [FailedDispatch("quarterly_status", "2019Q1", "erhvervschef@lolland.dk", "421 Service not available")]
    reminder = build_reminder(tracker.facts_at(date(2019, 6, 14).year, position), date(2019, 6, 14), failed)

    assert {(t.goal_id, t.key) for t in reminder.behind_pace} == BEHIND_ON_14_JUNE
    pace = {(t.goal_id, t.key): t.expected_by_now for t in reminder.behind_pace}
    assert pace[("5B", "local_actor_meetings")] == 1.8 and pace[("1", "short_courses")] == 180.8
    assert [(a.goal_id, a.key, a.days_left) for a in reminder.milestones] == [("8", "strategy_2020_draft", 16)]
    assert reminder.quarter_without_local_meeting == Period("quarter", 2019, 2)
    rates = {(t.goal_id, t.key): t.actual for t in reminder.trailing_rates}
    assert rates == {("2", "development_plan_satisfaction"): 0.0, ("5A", "development_plan_referral_rate"): 71.4}
    assert reminder.failed_dispatches == tuple(failed)
    # Expected to miss (forecast.py): the counts with nothing yet by 14 June (165/365 of the year), whose
    # 90 % Poisson bound 2.3026 × 200/165 = 2.8 is below the target, and two rates whose 10–90 % range
    # lies under it (development plans: 0 of 1 satisfied; referrals from them: 5 of 7 = 71.4 %).
    assert {(t.goal_id, t.key) for t in reminder.expected_to_miss} == EXPECTED_TO_MISS_ON_14_JUNE
    assert {t.forecast.high for t in reminder.expected_to_miss if t.kind == "count"} == {2.8}  # type: ignore[union-attr]
    assert not reminder.is_empty and reminder.attention_count == 8 + 14 + 1 + 1 + 2 + 1

    rendered = render(reminder)
    assert rendered.subject.startswith("Påmindelse 14. juni 2019: 27 forhold kræver opmærksomhed")
    missing_at, behind_at = rendered.text.index("Forventes ikke opfyldt"), rendered.text.index("bagud i forhold til")
    assert missing_at < behind_at  # the targets expected to miss come first
    assert rendered.images == () and rendered.attachments == ()
    for t in reminder.behind_pace:
        assert t.label in rendered.text and f"forventet nu {labels.number(t.expected_by_now)}" in rendered.text
    assert "om 16 dage" in rendered.html and "2. kvartal 2019" in rendered.html
    assert "71,4 %" in rendered.html and "erhvervschef@lolland.dk" in rendered.text
    json.dumps(reminder.as_dict())
    write_preview("reminder-2019-06-14", rendered)

    later = build_reminder(tracker.facts_at(date(2019, 7, 15).year, position), date(2019, 7, 15), [])
    assert ("8", "strategy_workshop") not in {(t.goal_id, t.key) for t in later.behind_pace}  # July counts now
    assert [(a.key, a.days_left) for a in later.milestones] == [("strategy_2020_draft", -15)]
    assert later.quarter_without_local_meeting == Period("quarter", 2019, 3)
    assert "overskredet med 15 dage" in render(later).text


def test_a_reminder_with_nothing_to_report_is_empty_and_says_so() -> None:
    basis = Basis(
        "Erhvervshus Sjælland", "Resultatkontrakt", "0" * 64, 2019, 7, date(2019, 6, 14), (("short", "Korte forløb"),)
    )
    reminder = Reminder(basis, date(2019, 6, 14), (), (), None, None, (), ())
    assert reminder.is_empty and reminder.attention_count == 0 and reminder.as_dict()["is_empty"] is True
    rendered = render(reminder)
    assert "intet kræver opmærksomhed" in rendered.subject
    assert "Intet kræver din opmærksomhed" in rendered.html and "Intet kræver din opmærksomhed" in rendered.text


# --- Danish formats --------------------------------------------------------------------------------
def test_numbers_and_dates_are_written_the_danish_way() -> None:
    assert labels.number(1234) == "1.234" and labels.number(1234567.891, 1) == "1.234.567,9"
    assert labels.number(12.0) == "12" and labels.number(-1234.5) == "-1.234,5"
    assert labels.percent(12.5) == "12,5 %" and labels.percent(None) == "–"
    assert labels.points(1.7) == "+1,70" and labels.points(-0.2) == "-0,20" and labels.points(0) == "0,00"
    assert labels.long_date(date(2026, 11, 27)) == "27. november 2026"
    assert labels.long_date("2019-03-01") == "1. marts 2019"
