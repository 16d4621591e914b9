"""The consultant's reminder: their own companies not yet referred on, or not yet evaluated."""

from __future__ import annotations

import email
from datetime import date
from email.policy import default
from pathlib import Path

from ehsj_core.audit.reproduce import reproduce
from ehsj_core.notify import ledger
from ehsj_core.notify.dispatch import deliver, prepare
from ehsj_core.notify.recipients import add_recipient
from ehsj_core.reports.consultant import build_consultant_reminder
from ehsj_core.tracker import Tracker
from tests.factories import Actor, course, cvr, retraction

EFFECT = ["hoj", "lav", "lav", "lav", "lav", "lav", "lav"]


def referral(company: int, from_course: str, on: str) -> dict[str, object]:
    data = {
        "company_cvr": cvr(company),
        "from_course": from_course,
        "referred_to": "Eksportrådet",
        "referral_kind": "state_scheme",
    }
    return {"type": "company.referred", "occurred_on": on, "data": data}


def evaluation(company: int, course_type: str, on: str) -> dict[str, object]:
    data = {
        "course_type": course_type,
        "company_cvr": cvr(company),
        "nps": 9,
        "satisfaction": 5,
        "consultant_competence": 5,
        "effect": EFFECT,
    }
    return {"type": "evaluation.received", "occurred_on": on, "data": data}


def by(consultant: str, event: dict[str, object]) -> dict[str, object]:
    event["data"] = {**event["data"], "consultant": consultant}  # type: ignore[dict-item]
    return event


def hand_built_log(tracker: Tracker) -> None:
    events = [
        by("Karen", course("action_plan", "Lolland", "2019-03-01", company=1)),  # referred, not evaluated
        referral(1, "action_plan", "2019-03-10"),
        by("Karen", course("action_plan", "Lolland", "2019-03-05", company=2)),  # neither
        by("Karen", course("growth_plan", "Sorø", "2019-04-01", company=3)),  # evaluated, not referred
        evaluation(3, "growth_plan", "2019-04-20"),
        by("Karen", course("growth_plan", "Sorø", "2019-05-20", company=4)),  # too recent to chase an evaluation
        referral(2, "growth_plan", "2019-03-20"),  # from another course type: does not count for company 2
        by("Ole", course("action_plan", "Faxe", "2019-02-01", company=5)),
        referral(5, "action_plan", "2019-02-15"),
        evaluation(5, "action_plan", "2019-03-01"),
        by("Karen", course("short", "Lolland", "2019-03-07", company=7)),  # short courses are not chased
    ]
    tracker.append({"events": events}, by=Actor("test"))
    [mistake] = tracker.append(by("Karen", course("action_plan", "Greve", "2019-03-08", company=6)), by=Actor("test"))
    tracker.append(retraction(mistake.event_id), by=Actor("test"))


def test_the_reminder_lists_the_consultants_own_open_companies(tracker: Tracker) -> None:
    hand_built_log(tracker)
    position = tracker.log.head().position
    karen = build_consultant_reminder(tracker.facts_at(2019, position), tracker.log, "Karen", date(2019, 6, 10))
    assert [(c.company_cvr, c.course_type) for c in karen.unreferred] == [
        (cvr(2), "action_plan"),
        (cvr(3), "growth_plan"),
        (cvr(4), "growth_plan"),
    ]
    # 30 days before 10 June is 11 May: the May course is not chased yet.
    assert [(c.company_cvr, c.course_type) for c in karen.unevaluated] == [
        (cvr(1), "action_plan"),
        (cvr(2), "action_plan"),
    ]
    assert build_consultant_reminder(tracker.facts_at(2019, position), tracker.log, "Ole", date(2019, 6, 10)).is_empty


def test_only_consultants_with_open_ends_get_a_reminder_and_it_reproduces(tracker: Tracker, tmp_path: Path) -> None:
    hand_built_log(tracker)
    contract = tracker.contract(2019).contract
    add_recipient(tracker.engine, contract, "consultant", "Karen", "karen@example.org")
    add_recipient(tracker.engine, contract, "consultant", "Ole", "ole@example.org")
    tracker.settings = tracker.settings.model_copy(update={"outbox_dir": tmp_path / "outbox", "smtp_host": None})
    rows = prepare(tracker, "consultant_reminder", "2019-W24")
    assert [r.email for r in rows] == ["karen@example.org"]
    assert deliver(tracker, rows[0].id) == "sent"
    [eml] = list((tmp_path / "outbox").glob("*.eml"))
    message = email.message_from_bytes(eml.read_bytes(), policy=default)
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Karen" in str(message["To"]) and f"CVR {cvr(2)}" in text and "Ikke henvist videre endnu (3)" in text
    row = ledger.get_row(tracker.engine, rows[0].id)
    assert row is not None and row.state == "sent"
    assert reproduce(tracker, row.id).identical
