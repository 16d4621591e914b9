"""An event's participants as short courses: the batch `event_with_participants` builds, and its ids."""

from __future__ import annotations

import uuid
from itertools import islice
from typing import Any

import pytest

from ehsj_core.events.participants import (
    Participant,
    event_with_participants,
    participant_event_id,
    participant_event_ids,
)

EVENT_ID = "5a0c8a62-7c1e-4f8e-9d57-3b9a2f0b6c11"


def held(**extra: Any) -> dict[str, Any]:
    return {
        "event_id": EVENT_ID,
        "type": "event.held",
        "occurred_on": "2019-05-14",
        "data": {"event_kind": "event", "title": "Morgenmøde om eksport", "municipality": "Sorø", "participants": 40},
        **extra,
    }


def test_the_batch_is_the_event_then_one_short_course_per_participant() -> None:
    participants = [
        Participant(company_cvr="10000009", company_name="Maribo Maskinfabrik ApS"),
        Participant(municipality="Næstved", company_name="Næstved Bryg"),
        Participant(municipality="Faxe"),
    ]
    batch = event_with_participants(held(), participants, "Karen Konsulent")
    assert batch[0] == held()
    assert [c["type"] for c in batch[1:]] == ["course.completed"] * 3
    assert {c["occurred_on"] for c in batch[1:]} == {"2019-05-14"}
    assert [c["data"] for c in batch[1:]] == [
        {
            "course_type": "short",
            "company_cvr": "10000009",
            "company_name": "Maribo Maskinfabrik ApS",
            "municipality": "Sorø",  # none given: the event's
            "consultant": "Karen Konsulent",
            "event_ref": EVENT_ID,
        },
        {
            "course_type": "short",
            "company_name": "Næstved Bryg",
            "municipality": "Næstved",
            "consultant": "Karen Konsulent",
            "event_ref": EVENT_ID,
        },
        {"course_type": "short", "municipality": "Faxe", "consultant": "Karen Konsulent", "event_ref": EVENT_ID},
    ]


def test_the_courses_ids_derive_from_the_events_so_the_same_input_gives_the_same_batch() -> None:
    participants = [Participant(municipality="Faxe"), Participant(municipality="Stevns")]
    first = event_with_participants(held(), participants, "Karen Konsulent")
    assert first == event_with_participants(held(), participants, "Karen Konsulent")
    ids = [c["event_id"] for c in first[1:]]
    assert ids == [participant_event_id(EVENT_ID, 0), participant_event_id(EVENT_ID, 1)]
    assert ids == list(islice(participant_event_ids(EVENT_ID), 2))
    assert len({EVENT_ID, *ids}) == 3 and all(uuid.UUID(i).version == 5 for i in ids)
    other = str(uuid.uuid4())
    assert participant_event_id(other, 0) not in ids  # another event's participants: other ids


def test_an_upper_case_event_id_is_written_as_the_core_stores_it() -> None:
    batch = event_with_participants(held(event_id=EVENT_ID.upper()), [Participant()], "K")
    assert batch[0]["event_id"] == EVENT_ID and batch[1]["data"]["event_ref"] == EVENT_ID


def test_no_participants_is_the_event_alone_and_the_input_is_not_changed() -> None:
    raw = held()
    assert event_with_participants(raw, [], "K") == [held()]
    event_with_participants(raw, [Participant(municipality="Faxe")], "K")
    assert raw == held()


def test_an_event_without_a_municipality_leaves_it_out_for_the_core_to_refuse() -> None:
    raw = held()
    del raw["data"]["municipality"]
    [_event, course] = event_with_participants(raw, [Participant(company_name="Firma ApS")], "K")
    assert "municipality" not in course["data"]


@pytest.mark.parametrize(
    "raw",
    [
        {"type": "meeting.held", "event_id": EVENT_ID, "occurred_on": "2019-05-14", "data": {}},
        {"type": "event.held", "occurred_on": "2019-05-14", "data": {}},
        {"type": "event.held", "event_id": "not-a-uuid", "occurred_on": "2019-05-14", "data": {}},
    ],
)
def test_only_an_event_held_with_its_id_takes_participants(raw: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        event_with_participants(raw, [Participant(municipality="Faxe")], "K")
