"""Crypto-shredding: personal fields sealed with a key per data subject, erased by deleting the key.

After `privacy forget` the chain verifies, the status and the statement of 2019 are what they were
byte for byte (apart from the erased names), and the erased fields read "slettet" on every route and
are nowhere in the database in clear. Events stored before sealing read as they were stored.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from ehsj_core.audit.export import export_to, verify_file
from ehsj_core.audit.integrity import verify
from ehsj_core.audit.statement_render import statement_html
from ehsj_core.errors import NotFound
from ehsj_core.events import reader
from ehsj_core.events.chain import canonical_json, format_recorded_at, hash_row
from ehsj_core.events.records import HistoryQuery
from ehsj_core.events.validation import InvalidInput
from ehsj_core.privacy.forget import forget
from ehsj_core.privacy.sealing import ERASED
from ehsj_core.reports.consultant import build_consultant_reminder
from ehsj_core.tables import StoredEvent
from ehsj_core.tracker import Tracker
from ehsj_core.users import create_user
from tests.conftest import CONTRACTS, auth
from tests.factories import Actor, course, cvr, new_id
from tests.webclient import sign_in

ERASED_COMPANY, KEPT_COMPANY = "Hansens Tømrer ApS", "Birgits Bageri"
ERASED_CONSULTANT, KEPT_CONSULTANT = "Jonas Fjeldsø", "Mette Sørensen"
ERASED_DIRECTOR = "Jens Sletmig"  # closes 2019 and logs after the close: the statement names him
OLD_COMPANY, OLD_CONSULTANT = "Gamle Smedie", "Ole Olsen"
DIRECTOR = Actor("Dorte Direktør", "director")
EFFECT = ["hoj", "lav", "lav", "lav", "lav", "lav", "lav"]
events_table: sa.Table = StoredEvent.__table__  # type: ignore[attr-defined]
EHSJ = str(Path(sys.executable).parent / "ehsj")


def named(event: dict[str, Any], consultant: str, company: str | None = None) -> dict[str, Any]:
    extra = {"consultant": consultant} | ({"company_name": company} if company else {})
    return {**event, "data": {**event["data"], **extra}}


def staff(consultant: str, role: str) -> dict[str, Any]:
    return {"type": "staff.designated", "occurred_on": "2019-02-01", "data": {"consultant": consultant, "role": role}}


def old_shape_course(tracker: Tracker) -> str:
    """A course as the store wrote it before sealing: names in clear in the data, hashed as they are."""
    event_id = new_id()
    data = {
        "course_type": "short",
        "municipality": "Faxe",
        "company_name": OLD_COMPANY,
        "consultant": OLD_CONSULTANT,
        "company_cvr": cvr(30),
    }
    with tracker.store.locked() as conn:
        head = reader.head(conn)
        moment = format_recorded_at(tracker_now())
        position = head.position + 1
        digest = hash_row(
            canonical_json(data), event_id, tracker.house, "2019-01-10", position, head.hash, moment, "Ole Olsen", 1,
            "course.completed",
        )  # fmt: skip
        conn.execute(
            events_table.insert(),
            {
                "position": position,
                "event_id": event_id,
                "type": "course.completed",
                "schema_version": 1,
                "house": tracker.house,
                "occurred_on": date(2019, 1, 10),
                "recorded_at": tracker_now(),
                "recorded_by": "Ole Olsen",
                "data": data,
                "prev_hash": head.hash,
                "hash": digest,
            },
        )
        # … and the company-name look-up, as that store wrote it with the course
        conn.execute(
            sa.text("INSERT INTO company_names (cvr, name, folded, position) VALUES (:c, :n, :f, :p)"),
            {"c": cvr(30), "n": OLD_COMPANY, "f": OLD_COMPANY.casefold(), "p": position},
        )
    return event_id


def tracker_now() -> datetime:
    return datetime(2019, 1, 10, 12, 0, tzinfo=UTC)


def logged_year(tracker: Tracker) -> dict[str, str]:
    """A small 2019: two companies and two consultants named, one company only by name, staff, a
    milestone with evidence, a referral and an evaluation; returns a few event ids by role."""
    old = old_shape_course(tracker)
    events = [
        named(course("action_plan", "Lolland", "2019-03-04", company=1), ERASED_CONSULTANT, ERASED_COMPANY),
        named(course("growth_plan", "Lolland", "2019-04-04", company=1), KEPT_CONSULTANT, ERASED_COMPANY),
        named(course("action_plan", "Sorø", "2019-03-06", company=2), KEPT_CONSULTANT, KEPT_COMPANY),
        named(course("growth_plan", "Sorø", "2019-05-06", company=2), ERASED_CONSULTANT, KEPT_COMPANY),
        named(course("short", "Greve", "2019-06-07", company=0), ERASED_CONSULTANT, "Jonas' Frisør"),
        staff(ERASED_CONSULTANT, "digital_expert"),
        staff(KEPT_CONSULTANT, "digital_expert"),
        staff(ERASED_CONSULTANT, "cross_region"),
        {
            "type": "company.referred",
            "occurred_on": "2019-03-20",
            "data": {
                "company_cvr": cvr(1),
                "from_course": "action_plan",
                "referred_to": "Eksportrådet",
                "referral_kind": "state_scheme",
            },
        },
        {
            "type": "evaluation.received",
            "occurred_on": "2019-05-20",
            "data": {
                "course_type": "growth_plan",
                "company_cvr": cvr(2),
                "nps": 9,
                "satisfaction": 5,
                "consultant_competence": 4,
                "effect": EFFECT,
            },
        },
    ]
    results = tracker.append({"events": events}, by=DIRECTOR)
    [milestone] = tracker.append(
        {
            "type": "milestone.reached",
            "occurred_on": "2019-06-12",
            "data": {"milestone": "8.strategy_2020_draft", "evidence": "Udkast godkendt på mødet 12. juni"},
        },
        by=Actor(ERASED_CONSULTANT, "consultant"),
    )
    return {"old": old, "erased_course": results[0].event_id, "milestone": milestone.event_id}


def database_text(tracker: Tracker) -> str:
    """Every row of every table, as text (JSON of the values, non-ASCII as itself)."""
    parts = []
    metadata = sa.MetaData()
    with warnings.catch_warnings():  # SQLAlchemy cannot reflect the expression index on the CVR
        warnings.simplefilter("ignore", sa.exc.SAWarning)
        metadata.reflect(tracker.engine)
    with tracker.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                parts.append(json.dumps(list(row), ensure_ascii=False, default=str))
    return "\n".join(parts)


def test_forgetting_keeps_the_chain_the_status_and_the_statement_and_erases_the_names_everywhere(
    web: TestClient, tracker: Tracker, tmp_path: Path
) -> None:
    ids = logged_year(tracker)
    closer = Actor(ERASED_DIRECTOR, "director")
    tracker.append({"type": "period.closed", "occurred_on": "2020-01-20", "data": {"year": 2019}}, by=closer)
    tracker.append(course("short", "Faxe", "2019-12-01", company=0), by=closer)
    head = tracker.log.head().position
    token = create_user(tracker.engine, "Revisor API", "auditor")
    goals_before = web.get(f"/api/goals?year=2019&as_of={head}", headers=auth(token)).text
    municipalities_before = web.get(f"/api/municipalities?year=2019&as_of={head}", headers=auth(token)).text
    statement = tracker.statement(2019, head)
    statement_before, digest_before = statement_html(statement).decode(), statement.content_digest
    assert ERASED_DIRECTOR in statement_before
    assert ERASED_COMPANY in database_text(tracker)  # in company_names, the derived look-up, until forgotten

    company = forget(tracker.store, cvr=cvr(1))
    consultant = forget(tracker.store, consultant="  jonas   FJELDSØ ")  # as the look-up folds names
    director = forget(tracker.store, consultant=ERASED_DIRECTOR)  # any person who logged events
    assert director.fields == ("recorded_by",) and director.events == 2
    assert (company.kind, company.fields, company.events, company.company_names) == ("company", ("company_name",), 2, 1)
    assert (consultant.kind, consultant.fields, consultant.events) == (
        "consultant",
        ("consultant", "evidence", "recorded_by"),
        6,
    )
    assert company.before_sealing == consultant.before_sealing == 0
    with pytest.raises(NotFound, match="allerede slettet"):
        forget(tracker.store, cvr=cvr(1))

    # Not in the database in clear: the log holds ciphertext, the key and the look-up are gone.
    stored = database_text(tracker)
    for name in (ERASED_COMPANY, ERASED_CONSULTANT, ERASED_DIRECTOR, "Udkast godkendt"):
        assert name not in stored
    assert KEPT_COMPANY in stored and OLD_COMPANY in stored  # a living subject's look-up; the old row

    # The chain, the export and every figure are unchanged.
    assert verify(tracker.engine).ok and tracker.log.head().position == head
    export = tmp_path / "log.jsonl"
    export_to(tracker.log, tracker.house, 2019, export)
    assert verify_file(export).ok
    assert ERASED_COMPANY not in export.read_text(encoding="utf-8")
    assert web.get(f"/api/goals?year=2019&as_of={head}", headers=auth(token)).text == goals_before
    assert web.get(f"/api/municipalities?year=2019&as_of={head}", headers=auth(token)).text == municipalities_before
    statement = tracker.statement(2019, head)
    statement_after = statement_html(statement).decode()
    # The only difference: the erased names, and the content digest, which covers them.
    expected = statement_before.replace(ERASED_DIRECTOR, ERASED).replace(digest_before, statement.content_digest)
    assert statement_after == expected and statement.content_digest != digest_before
    for name in (ERASED_COMPANY, ERASED_CONSULTANT, ERASED_DIRECTOR):
        assert name not in statement_after

    # Every route reads "slettet" where the names were; the kept subjects and the old event read as logged.
    listing = web.get("/api/events?limit=100", headers=auth(token)).json()["events"]
    by_id = {e["event_id"]: e["data"] for e in listing}
    assert by_id[ids["erased_course"]]["company_name"] == ERASED == by_id[ids["erased_course"]]["consultant"]
    assert by_id[ids["milestone"]]["evidence"] == ERASED
    assert by_id[ids["old"]]["company_name"] == OLD_COMPANY and by_id[ids["old"]]["consultant"] == OLD_CONSULTANT
    assert {d.get("company_name") for d in by_id.values()} >= {KEPT_COMPANY, ERASED, OLD_COMPANY}
    pages = [json.dumps(listing, ensure_ascii=False)]
    sign_in(web, "Dorte Direktør")
    for path in (
        "/historik",
        f"/historik?company={cvr(1)}",
        "/historik?company=hansens",
        "/historik?consultant=jonas",
        f"/historik/{ids['erased_course']}/tilbagekald",
        "/kommuner/Lolland?year=2019",
        "/maal/1?year=2019",
        f"/registrer/cvr/{cvr(1)}",
        "/revision/resultatopgoerelse.html?year=2019",
        "/revision/eksport.jsonl?year=2019",
    ):
        answer = web.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
        pages.append(answer.text)
    everything = "\n".join(pages)
    for name in (ERASED_COMPANY, ERASED_CONSULTANT, ERASED_DIRECTOR, "Udkast godkendt"):
        assert name not in everything
    assert KEPT_COMPANY in everything and KEPT_CONSULTANT in everything
    reminder = build_consultant_reminder(tracker.facts_at(2019, head), tracker.log, ERASED_CONSULTANT, date(2019, 7, 1))
    assert reminder.is_empty  # the erased consultant's courses are no longer theirs by any name
    kept = build_consultant_reminder(tracker.facts_at(2019, head), tracker.log, KEPT_CONSULTANT, date(2019, 7, 1))
    assert {c.company_name for c in kept.unreferred} == {ERASED, KEPT_COMPANY}


def test_the_history_finds_sealed_names_until_they_are_forgotten(tracker: Tracker) -> None:
    logged_year(tracker)

    def found(**query: str) -> int:
        return len(tracker.log.find_history(tracker.house, HistoryQuery(**query)).entries)  # type: ignore[arg-type]

    assert (found(company="hansens"), found(company="frisør"), found(consultant="fjeldsø")) == (3, 1, 6)
    assert found(consultant="ole olsen") == 1 and found(company="smedie") == 1  # the old event, by its clear data
    forget(tracker.store, cvr=cvr(1))
    forget(tracker.store, company_name="jonas' frisør")
    forget(tracker.store, consultant=ERASED_CONSULTANT)
    assert (found(company="hansens"), found(company="frisør"), found(consultant="fjeldsø")) == (0, 0, 0)
    assert found(company=cvr(1)) == 3  # the CVR is in clear: the company's events stay countable
    assert found(company="birgit") == 3 and found(consultant="mette") == 3


def test_the_stored_data_is_sealed_and_a_retried_append_is_still_a_duplicate(tracker: Tracker) -> None:
    event = named(course("action_plan", "Lolland", "2019-03-04", company=1, event_id=new_id()), KEPT_CONSULTANT)
    event["data"]["company_name"] = KEPT_COMPANY
    [first] = tracker.append(event, by=DIRECTOR)
    [again] = tracker.append(event, by=DIRECTOR)
    assert again.duplicate and again.position == first.position
    with tracker.engine.connect() as conn:
        row = conn.execute(sa.select(events_table).where(events_table.c.event_id == first.event_id)).one()
    data = row.data
    assert row.recorded_by.startswith("s_") and DIRECTOR.name not in json.dumps(list(row), default=str)
    assert "company_name" not in data and "consultant" not in data and data["company_cvr"] == cvr(1)
    assert set(data["sealed"]) == {"company_name", "consultant"} and data["consultant_ref"] != data["company_ref"]
    assert KEPT_COMPANY not in json.dumps(data, ensure_ascii=False)
    stored = tracker.log.get(first.event_id)
    assert stored is not None and stored.data.company_name == KEPT_COMPANY  # type: ignore[union-attr]


def test_forgetting_refuses_what_it_cannot_find_and_says_so(tracker: Tracker) -> None:
    ids = logged_year(tracker)
    with pytest.raises(NotFound, match="aldrig registreret.*1 hændelse registreret før krypteringen"):
        forget(tracker.store, consultant=OLD_CONSULTANT)  # named only before sealing: no key to delete
    with pytest.raises(InvalidInput):
        forget(tracker.store, cvr="12345678")
    with pytest.raises(InvalidInput):
        forget(tracker.store, cvr=cvr(1), consultant=KEPT_CONSULTANT)
    [late] = tracker.append(
        named(course("short", "Faxe", "2019-08-01", company=30), KEPT_CONSULTANT, OLD_COMPANY), by=DIRECTOR
    )
    done = forget(tracker.store, cvr=cvr(30))
    assert done.events == 1 and done.before_sealing == 1  # the old course keeps the name it was logged with
    late_course, old_course = tracker.log.get(late.event_id), tracker.log.get(ids["old"])
    assert late_course is not None and late_course.data.company_name == ERASED  # type: ignore[union-attr]
    assert old_course is not None and old_course.data.company_name == OLD_COMPANY  # type: ignore[union-attr]


def test_the_command_erases_a_company_and_refuses_an_unknown_one(tracker: Tracker, database_url: str) -> None:
    logged_year(tracker)
    env = {**os.environ, "EHSJ_DATABASE_URL": database_url, "EHSJ_CONTRACTS_DIR": str(CONTRACTS)}
    done = subprocess.run([EHSJ, "privacy", "forget", "--cvr", cvr(1)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "1 nøgle slettet" in done.stdout and 'virksomhedsnavn læses nu som "slettet"' in done.stdout
    again = subprocess.run([EHSJ, "privacy", "forget", "--cvr", cvr(1)], env=env, capture_output=True, text=True)
    assert again.returncode == 2 and "allerede slettet" in again.stderr
    stored = tracker.log.get_many([e.event_id for e in tracker.log.read_all(types=["course.completed"])])
    assert ERASED_COMPANY not in json.dumps([e.as_dict() for e in stored.values()], ensure_ascii=False)
