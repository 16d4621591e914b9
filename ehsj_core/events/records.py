"""The vocabulary of the log's readers and writers: what a read gives back, what a query asks for.

`RecordedEvent` is a stored event as readers get it: envelope columns plus the typed view of its
data (`views.py`). The query objects (`EventQuery`, `HistoryQuery`) are plain filters; `reader.py`
turns them into SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from ehsj_core.events.views import EventView, view_data

RETRACTED = "event.retracted"
PERIOD_CLOSED = "period.closed"


def utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; the log only ever stores UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class AppendResult(NamedTuple):
    """What became of one appended event (a NamedTuple: a bulk append makes one per event)."""

    event_id: str
    position: int
    duplicate: bool


@dataclass(frozen=True, slots=True)
class Head:
    position: int
    hash: str
    recorded_at: datetime | None


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    position: int
    event_id: str
    type: str
    schema_version: int
    house: str
    occurred_on: date
    recorded_at: datetime
    recorded_by: str
    data: EventView
    prev_hash: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "event_id": self.event_id,
            "type": self.type,
            "schema_version": self.schema_version,
            "house": self.house,
            "occurred_on": self.occurred_on.isoformat(),
            "recorded_at": utc(self.recorded_at).isoformat(),
            "recorded_by": self.recorded_by,
            "data": view_data(self.data),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class StoredSummary:
    """What the rule book needs of a stored event: to compare a retried append with it, and to
    judge a retraction of it (its type, house, year and who logged it)."""

    event_id: str
    position: int
    type: str
    house: str
    occurred_on: date
    recorded_by: str
    data: dict[str, Any]  # as stored: a retried append is compared with it byte for byte


@dataclass(frozen=True, slots=True)
class RetractionRef:
    """One row of the retraction index: `target_event_id` was withdrawn at `position`."""

    target_event_id: str
    target_position: int
    event_id: str
    position: int


@dataclass(frozen=True)
class Retraction:
    """A retraction as the history shows it: who withdrew the event, when and why."""

    event_id: str
    position: int
    recorded_by: str
    recorded_at: datetime
    reason: str


@dataclass(frozen=True)
class EventQuery:
    """Filters of the API's event listing; every one optional. Municipality must be canonical."""

    type: str | None = None
    municipality: str | None = None
    company_cvr: str | None = None
    occurred_from: date | None = None
    occurred_to: date | None = None
    after: int = 0
    limit: int = 100


@dataclass(frozen=True)
class HistoryQuery:
    """Filters of the history, every one optional, and the page wanted (newest first)."""

    type: str | None = None
    municipality: str | None = None  # canonical spelling
    consultant: str | None = None  # part of who logged it or of the course's consultant
    occurred_from: date | None = None
    occurred_to: date | None = None
    company: str | None = None  # 8 digits: a CVR number; otherwise part of a company name
    before: int | None = None  # the page of events logged before this position
    after: int | None = None  # the page of events logged after this position
    limit: int = 50


@dataclass(frozen=True)
class HistoryEntry:
    event: RecordedEvent
    retraction: Retraction | None


@dataclass(frozen=True)
class HistoryPage:
    entries: list[HistoryEntry]
    newer: int | None  # `after` cursor of the page of newer events, None when there is none
    older: int | None  # `before` cursor of the page of older events, None when there is none


@dataclass(frozen=True)
class CompanyHint:
    cvr: str
    municipality: str
    company_name: str | None
    position: int
