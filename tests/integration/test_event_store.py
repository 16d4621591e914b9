"""The event-store contract, run against every backend (the `database_url` fixture: SQLite, PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ehsj_core.db import is_sqlite
from ehsj_core.events import rulebook
from ehsj_core.events.reader import LogReader
from ehsj_core.events.records import AppendResult
from ehsj_core.events.store import EventConflict, EventStore
from ehsj_core.events.validation import InvalidInput, NewEvent
from ehsj_core.events.verify import verify_log
from ehsj_core.tracker import Tracker
from tests.factories import Actor, course, new_id, retraction

HOUSE = "sjaelland"


def append(engine: Engine, events: list[NewEvent], by: Actor | None = None) -> list[AppendResult]:
    """The one way in: the rule book's `submit`, with the store persisting what it decides."""
    return rulebook.submit(EventStore(engine), events, by or Actor("a"), HOUSE)


def new_retraction(target_id: str, event_id: str | None = None) -> NewEvent:
    return NewEvent(
        event_id or new_id(),
        "event.retracted",
        date(2019, 3, 5),
        HOUSE,
        {"target_event_id": target_id, "reason": "fejl"},
    )


def new_course(municipality: str = "Lolland", event_id: str | None = None) -> NewEvent:
    return NewEvent(
        event_id or new_id(),
        "course.completed",
        date(2019, 3, 4),
        "sjaelland",
        {"course_type": "short", "municipality": municipality, "consultant": "Karen", "topics": []},
    )


class TestEventStore:
    def test_eight_concurrent_writers_leave_a_gapless_verified_log(self, engine: Engine) -> None:
        errors: list[BaseException] = []

        def writer(n: int) -> None:
            try:
                for _ in range(500):
                    append(engine, [new_course()], Actor(f"writer-{n}", "consultant"))
            except BaseException as exc:  # surfaced below: a thread cannot fail the test itself
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        with engine.connect() as conn:
            positions = conn.execute(sa.text("SELECT position FROM events ORDER BY position")).scalars().all()
        assert positions == list(range(1, 4001))
        result = verify_log(engine)
        assert result.ok and result.events == 4000

    def test_a_retried_append_returns_the_original_position(self, engine: Engine) -> None:
        event = new_course()
        first = append(engine, [event])
        again = append(engine, [event])
        assert first[0].position == again[0].position == 1
        assert (first[0].duplicate, again[0].duplicate) == (False, True)
        assert LogReader(engine).head().position == 1

    def test_a_retried_batch_with_a_retraction_is_a_duplicate_not_a_refusal(self, engine: Engine) -> None:
        target = new_course()
        batch = [target, new_retraction(target.event_id)]
        first = append(engine, batch)
        again = append(engine, batch)  # the retraction's target is retracted by now: by this very batch
        assert [r.position for r in again] == [r.position for r in first] == [1, 2]
        assert all(r.duplicate for r in again) and LogReader(engine).head().position == 2

    def test_the_same_id_with_other_content_is_a_conflict_and_stores_nothing(self, engine: Engine) -> None:
        event_id = new_id()
        append(engine, [new_course("Lolland", event_id)])
        with pytest.raises(EventConflict):
            append(engine, [new_course(), new_course("Sorø", event_id)])
        assert LogReader(engine).head().position == 1

    def test_a_batch_is_atomic(self, tracker: Tracker) -> None:
        good = course()
        bad = retraction(new_id())  # names no stored event
        with pytest.raises(InvalidInput) as caught:
            tracker.append({"events": [good, bad]}, by=Actor("a"))
        assert caught.value.problems[0].field == "events[1].data.target_event_id"
        assert tracker.log.head().position == 0

    def test_update_and_delete_are_refused_by_the_database(self, engine: Engine) -> None:
        append(engine, [new_course()])
        with engine.connect() as conn:  # who logged it is stored as their pseudonym (privacy/sealing.py)
            stored = conn.execute(sa.text("SELECT recorded_by FROM events")).scalar_one()
        for statement in ("UPDATE events SET recorded_by = 'x'", "DELETE FROM events"):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(sa.text(statement))
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT recorded_by FROM events")).scalar_one() == stored != "x"
        assert [e.recorded_by for e in LogReader(engine).read_all()] == ["a"]

    def test_a_tampered_row_is_found_at_its_position(self, engine: Engine) -> None:
        for municipality in ("Lolland", "Sorø", "Faxe", "Greve"):
            append(engine, [new_course(municipality)])
        tamper = "UPDATE events SET data = :data WHERE position = 3"
        data = '{"consultant":"Karen","course_type":"short","municipality":"Roskilde","topics":[]}'
        with engine.begin() as conn:
            if is_sqlite(engine):
                conn.execute(sa.text("DROP TRIGGER events_no_update"))
                conn.execute(sa.text(tamper), {"data": data})
            else:
                conn.execute(sa.text("ALTER TABLE events DISABLE TRIGGER events_append_only"))
                conn.execute(sa.text(tamper.replace(":data", "CAST(:data AS jsonb)")), {"data": data})
        result = verify_log(engine)
        assert result.first_break is not None
        assert result.first_break.position == 3
        assert "altered" in result.first_break.problem
        assert result.missing_triggers  # the disabled or dropped trigger is reported too

    def test_retracting_twice_or_retracting_a_retraction_is_refused(self, tracker: Tracker) -> None:
        target = course(event_id=new_id())
        tracker.append(target, by=Actor("a"))
        first = retraction(target["event_id"])
        [result] = tracker.append(first, by=Actor("a"))
        with pytest.raises(InvalidInput, match="allerede tilbagekaldt"):
            tracker.append(retraction(target["event_id"]), by=Actor("a"))
        with pytest.raises(InvalidInput, match="kan ikke tilbagekaldes"):
            tracker.append(retraction(result.event_id), by=Actor("a"))
        assert tracker.log.head().position == 2

    def test_read_all_streams_in_log_order_within_bounds(self, engine: Engine) -> None:
        append(engine, [new_course() for _ in range(7)])
        log = LogReader(engine)
        assert [e.position for e in log.read_all(after=2, upto=6)] == [3, 4, 5, 6]
        assert [e.position for e in log.read_all()] == list(range(1, 8))

    def test_the_retraction_index_refuses_update_and_delete(self, engine: Engine) -> None:
        target = new_course()
        append(engine, [target, new_retraction(target.event_id)])
        statements = ["UPDATE retractions SET position = 7", "DELETE FROM retractions"]
        if not is_sqlite(engine):
            statements.append("TRUNCATE retractions")
        for statement in statements:
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(sa.text(statement))
        assert LogReader(engine).retracted_ids() == {target.event_id}
        assert verify_log(engine).ok

    def test_a_retraction_and_its_index_row_commit_together_or_not_at_all(self, engine: Engine) -> None:
        target = new_course()
        append(engine, [target])
        # A stray index row holds position 2, so the index row of a retraction appended at 2 cannot
        # be written: the retraction must not be stored either.
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO retractions VALUES ('00000000-0000-4000-8000-000000000000', 1, 'x', 2)"))
        with pytest.raises(sa.exc.IntegrityError):
            append(engine, [new_retraction(target.event_id)])
        log = LogReader(engine)
        assert log.head().position == 1 and target.event_id not in log.retracted_ids()
        result = verify_log(engine)
        assert not result.ok and [r.position for r in result.index_extra] == [2]

    def test_the_index_knows_a_retraction_as_of_its_own_position(self, engine: Engine) -> None:
        first, second = new_course(), new_course()
        append(engine, [first, second])
        append(engine, [new_retraction(first.event_id)])  # position 3
        append(engine, [new_retraction(second.event_id)])  # position 4
        log = LogReader(engine)
        assert log.retracted_ids(upto=2) == set()
        assert log.retracted_ids(upto=3) == {first.event_id}
        assert log.retracted_ids() == {first.event_id, second.event_id}
        assert [e.position for e in log.read_all(types=["course.completed"], live_only=True, upto=3)] == [2]
        assert verify_log(engine).ok
