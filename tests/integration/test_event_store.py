"""The event-store contract, run against every backend (the `database_url` fixture: SQLite, PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ehsj_core.db import is_sqlite
from ehsj_core.events.store import EventConflict, EventStore
from ehsj_core.events.validation import InvalidInput, NewEvent
from ehsj_core.events.verify import verify_log
from ehsj_core.tracker import Tracker
from tests.factories import course, new_id, retraction


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
        store = EventStore(engine)
        errors: list[BaseException] = []

        def writer(n: int) -> None:
            try:
                for _ in range(500):
                    store.append([new_course()], recorded_by=f"writer-{n}")
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
        store = EventStore(engine)
        event = new_course()
        first = store.append([event], recorded_by="a")
        again = store.append([event], recorded_by="a")
        assert first[0].position == again[0].position == 1
        assert (first[0].duplicate, again[0].duplicate) == (False, True)
        assert store.head().position == 1

    def test_the_same_id_with_other_content_is_a_conflict_and_stores_nothing(self, engine: Engine) -> None:
        store = EventStore(engine)
        event_id = new_id()
        store.append([new_course("Lolland", event_id)], recorded_by="a")
        with pytest.raises(EventConflict):
            store.append([new_course(), new_course("Sorø", event_id)], recorded_by="a")
        assert store.head().position == 1

    def test_a_batch_is_atomic(self, tracker: Tracker) -> None:
        good = course()
        bad = retraction(new_id())  # names no stored event
        with pytest.raises(InvalidInput) as caught:
            tracker.append({"events": [good, bad]}, recorded_by="a")
        assert caught.value.problems[0].field == "events[1].data.target_event_id"
        assert tracker.store.head().position == 0

    def test_update_and_delete_are_refused_by_the_database(self, engine: Engine) -> None:
        EventStore(engine).append([new_course()], recorded_by="a")
        for statement in ("UPDATE events SET recorded_by = 'x'", "DELETE FROM events"):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(sa.text(statement))
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT recorded_by FROM events")).scalar_one() == "a"

    def test_a_tampered_row_is_found_at_its_position(self, engine: Engine) -> None:
        store = EventStore(engine)
        for municipality in ("Lolland", "Sorø", "Faxe", "Greve"):
            store.append([new_course(municipality)], recorded_by="a")
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
        tracker.append(target, recorded_by="a")
        first = retraction(target["event_id"])
        [result] = tracker.append(first, recorded_by="a")
        with pytest.raises(InvalidInput, match="allerede tilbagekaldt"):
            tracker.append(retraction(target["event_id"]), recorded_by="a")
        with pytest.raises(InvalidInput, match="kan ikke tilbagekaldes"):
            tracker.append(retraction(result.event_id), recorded_by="a")
        assert tracker.store.head().position == 2

    def test_read_all_streams_in_log_order_within_bounds(self, engine: Engine) -> None:
        store = EventStore(engine)
        store.append([new_course() for _ in range(7)], recorded_by="a")
        positions = [e.position for e in store.read_all(after=2, upto=6, batch=2)]
        assert positions == [3, 4, 5, 6]
        assert [e.position for e in store.read_all()] == list(range(1, 8))
