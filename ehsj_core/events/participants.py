"""An event's participants logged as short courses, in one batch with the event.

Short courses include "seminarer, eventdeltagelse" (seed L271–274): every participant of an
`event.held` may count as a short course (`course.completed` of type `short`) with `event_ref` naming
the event. This module builds that batch — the event first, then one course per participant — for
any entry point: the web form calls it, an API client may build the same batch itself and send it
to `POST /api/events` as `{"events": [...]}`. Appended as one batch it is atomic (all or nothing).

Each course's id derives from the event's (uuid5, by the participant's place in the list), so the
same event with the same participants always gives the same batch: a retried submit is a duplicate of
every event in it and stores nothing twice. The function is pure and validates nothing itself; the
rule book validates the batch as it validates every other.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

EVENT_HELD = "event.held"
COURSE = "course.completed"


@dataclass(frozen=True)
class Participant:
    """One participant of an event: a company (CVR and/or name, both optional: a short course needs
    neither) and the municipality the course counts in (None: the event's municipality)."""

    municipality: str | None = None
    company_cvr: str | None = None
    company_name: str | None = None


def participant_event_id(event_id: str, index: int) -> str:
    """The id of the short course of the `index`-th (0-based) participant of the event `event_id`."""
    return str(uuid.uuid5(uuid.UUID(event_id), f"participant/{index}"))


def participant_event_ids(event_id: str) -> Iterator[str]:
    """The ids the participants of `event_id` get, in order (endless: the caller stops)."""
    index = 0
    while True:
        yield participant_event_id(event_id, index)
        index += 1


def event_with_participants(
    event_raw: Mapping[str, Any], participants: Sequence[Participant], consultant: str
) -> list[dict[str, Any]]:
    """The raw batch of an `event.held` (an envelope as `POST /api/events` takes it, with its
    `event_id`) and one short course per participant: the event's date, `consultant`, `event_ref` =
    the event's id, the participant's municipality or else the event's. Raises ValueError for an
    envelope that is no `event.held` or has no UUID `event_id` (the courses' ids derive from it)."""
    if event_raw.get("type") != EVENT_HELD:
        raise ValueError(f"participants belong to an {EVENT_HELD}, not {event_raw.get('type')!r}")
    raw_id = event_raw.get("event_id")
    try:
        event_id = str(uuid.UUID(str(raw_id))) if isinstance(raw_id, str) else None
    except ValueError:
        event_id = None
    if event_id is None:
        raise ValueError(f"the event needs a UUID event_id, got {raw_id!r}: its participants' ids derive from it")
    event_data = event_raw.get("data")
    town = event_data.get("municipality") if isinstance(event_data, Mapping) else None
    courses: list[dict[str, Any]] = []
    for index, participant in enumerate(participants):
        data: dict[str, Any] = {"course_type": "short"}
        if participant.company_cvr:
            data["company_cvr"] = participant.company_cvr
        if participant.company_name:
            data["company_name"] = participant.company_name
        municipality = participant.municipality or town
        if municipality is not None:
            data["municipality"] = municipality
        data["consultant"] = consultant
        data["event_ref"] = event_id
        courses.append(
            {
                "event_id": participant_event_id(event_id, index),
                "type": COURSE,
                "occurred_on": event_raw.get("occurred_on"),
                "data": data,
            }
        )
    return [{**event_raw, "event_id": event_id}, *courses]
