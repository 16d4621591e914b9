"""Closing a contract year (`period.closed`) and what follows from it.

Once the director has closed a year, an event that counts in it — by its `occurred_on`, or for a
retraction by the `occurred_on` of the event it withdraws — needs the director role, and every diff
and the final statement flag it "registreret efter lukning". A retraction of the close reopens the
year from that position on.

The rules are checked inside the store's append lock (`append_guard`): the closes are read under the
same lock as the head, so a close and a late event cannot race past each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ehsj_core.events.store import LOOKUP_CHUNK, RETRACTED, events_table
from ehsj_core.events.validation import InvalidInput, NewEvent, Problem

PERIOD_CLOSED = "period.closed"
DIRECTOR = "director"
Guard = Callable[[Connection, Sequence[NewEvent]], None]


class NeedsDirector(InvalidInput):
    """Refused for the caller's role: only the director may do this (HTTP 403)."""


@dataclass(frozen=True)
class Close:
    """One `period.closed` event, and the position of the retraction that reopened it, if any."""

    house: str
    year: int
    event_id: str
    position: int
    recorded_at: datetime
    recorded_by: str
    note: str | None
    reopened_at: int | None = None

    def active_at(self, position: int) -> bool:
        """Whether an event at `position` comes after this close and before any reopening."""
        return self.position < position and (self.reopened_at is None or position < self.reopened_at)

    def describe(self) -> str:
        when = self.recorded_at.date().isoformat()
        return f"{self.year} blev lukket af {self.recorded_by} den {when} (position {self.position})"


@dataclass(frozen=True)
class CloseHistory:
    """Every close in the log (up to a position), to ask whether a year was closed at a position."""

    closes: tuple[Close, ...]

    def closed_at(self, house: str, year: int, position: int) -> Close | None:
        return next((c for c in self.closes if c.house == house and c.year == year and c.active_at(position)), None)

    def for_year(self, house: str, year: int) -> list[Close]:
        return [c for c in self.closes if c.house == house and c.year == year]


def read_closes(conn: Connection, upto: int | None = None) -> CloseHistory:
    """The closes in the log (positions ≤ `upto`), each with the retraction that reopened it."""
    t = events_table
    query = sa.select(t.c.position, t.c.event_id, t.c.house, t.c.data, t.c.recorded_at, t.c.recorded_by).where(
        t.c.type == PERIOD_CLOSED
    )
    if upto is not None:
        query = query.where(t.c.position <= upto)
    rows = conn.execute(query.order_by(t.c.position)).all()
    if not rows:
        return CloseHistory(())
    reopened = _retraction_positions(conn, [r.event_id for r in rows], upto)
    closes = tuple(
        Close(
            house=r.house,
            year=int(r.data["year"]),
            event_id=r.event_id,
            position=r.position,
            recorded_at=_utc(r.recorded_at),
            recorded_by=r.recorded_by,
            note=r.data.get("note"),
            reopened_at=reopened.get(r.event_id),
        )
        for r in rows
    )
    return CloseHistory(closes)


def _retraction_positions(conn: Connection, event_ids: list[str], upto: int | None) -> dict[str, int]:
    t = events_table
    target = t.c.data["target_event_id"].as_string()
    found: dict[str, int] = {}
    for start in range(0, len(event_ids), LOOKUP_CHUNK):
        query = sa.select(target, t.c.position).where(t.c.type == RETRACTED, target.in_(event_ids[start : start + LOOKUP_CHUNK]))
        if upto is not None:
            query = query.where(t.c.position <= upto)
        for event_id, position in conn.execute(query):
            found[event_id] = position
    return found


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# --- the rules of the append path ----------------------------------------------------------------------
@dataclass(frozen=True)
class TargetInfo:
    """What the rules need of an event a retraction names."""

    type: str
    house: str
    occurred_on: date


def restricted(role: str | None) -> bool:
    """None is a trusted caller on the server itself (the CLI, the demo); the director may do all."""
    return role is not None and role != DIRECTOR


def check_batch(
    events: Sequence[NewEvent],
    role: str | None,
    history: CloseHistory,
    head: int,
    targets: dict[str, TargetInfo],
) -> tuple[list[tuple[int, Problem]], list[tuple[int, Problem]]]:
    """The closing rules for a batch appended after position `head`. Pure.

    Returns (problems of the role, other problems), each with the index of its event in the batch.
    `targets` holds the stored events the batch's retractions name.
    """
    closes = list(history.closes)
    by_id = {e.event_id: e for e in events}
    denied: list[tuple[int, Problem]] = []
    invalid: list[tuple[int, Problem]] = []
    for index, event in enumerate(events):
        position = head + index + 1
        prefix = f"events[{index}]." if len(events) > 1 else ""
        active = CloseHistory(tuple(closes))
        if event.type == PERIOD_CLOSED:
            year = int(event.data["year"])
            if restricted(role):
                denied.append((index, Problem(f"{prefix}type", event.type, "kun direktøren kan lukke et år")))
            if event.occurred_on.year <= year:
                problem = f"et år kan først lukkes, når det er slut: datoen skal ligge efter 31. december {year}"
                invalid.append((index, Problem(f"{prefix}occurred_on", event.occurred_on.isoformat(), problem)))
            already = active.closed_at(event.house, year, position)
            if already is not None:
                invalid.append((index, Problem(f"{prefix}data.year", year, f"året er allerede lukket: {already.describe()}")))
            closes.append(Close(event.house, year, event.event_id, position, datetime.min.replace(tzinfo=UTC), "", None))
            continue
        field, value = f"{prefix}occurred_on", event.occurred_on.isoformat()
        house, year = event.house, event.occurred_on.year
        if event.type == RETRACTED:
            target_id = event.data["target_event_id"]
            earlier = by_id.get(target_id)
            info = targets.get(target_id) or (None if earlier is None else TargetInfo(earlier.type, earlier.house, earlier.occurred_on))
            if info is None:
                continue  # the store reports a retraction of nothing
            if info.type == PERIOD_CLOSED:
                if restricted(role):
                    problem = "kun direktøren kan genåbne et lukket år"
                    denied.append((index, Problem(f"{prefix}data.target_event_id", target_id, problem)))
                closes = [replace(c, reopened_at=position) if c.event_id == target_id else c for c in closes]
                continue
            field, value = f"{prefix}data.target_event_id", target_id
            house, year = info.house, info.occurred_on.year
        close = active.closed_at(house, year, position)
        if close is not None and restricted(role):
            problem = f"{close.describe()}; kun direktøren kan registrere eller tilbagekalde hændelser for et lukket år"
            denied.append((index, Problem(field, value, problem)))
    return denied, invalid


def append_guard(role: str | None) -> Guard:
    """The check the store runs under its append lock (see the module docstring)."""

    def guard(conn: Connection, events: Sequence[NewEvent]) -> None:
        closing = any(e.type == PERIOD_CLOSED for e in events)
        if not closing and not restricted(role):
            return  # the director and trusted callers need nothing read: no cost on bulk appends
        history = read_closes(conn)
        if not history.closes and not closing:
            return
        head = conn.execute(sa.select(sa.func.max(events_table.c.position))).scalar() or 0
        targets = _targets(conn, [e.data["target_event_id"] for e in events if e.type == RETRACTED])
        denied, invalid = check_batch(events, role, history, int(head), targets)
        if denied or invalid:
            known = _stored_ids(conn, [events[i].event_id for i, _p in denied + invalid])
            denied = [(i, p) for i, p in denied if events[i].event_id not in known]  # a retried append
            invalid = [(i, p) for i, p in invalid if events[i].event_id not in known]
        if denied:
            raise NeedsDirector([p for _i, p in denied])
        if invalid:
            raise InvalidInput([p for _i, p in invalid])

    return guard


def _targets(conn: Connection, event_ids: Iterable[str]) -> dict[str, TargetInfo]:
    t = events_table
    ids = list(dict.fromkeys(event_ids))
    found: dict[str, TargetInfo] = {}
    for start in range(0, len(ids), LOOKUP_CHUNK):
        query = sa.select(t.c.event_id, t.c.type, t.c.house, t.c.occurred_on).where(t.c.event_id.in_(ids[start : start + LOOKUP_CHUNK]))
        for row in conn.execute(query):
            found[row.event_id] = TargetInfo(row.type, row.house, row.occurred_on)
    return found


def _stored_ids(conn: Connection, event_ids: list[str]) -> set[str]:
    t = events_table
    found: set[str] = set()
    for start in range(0, len(event_ids), LOOKUP_CHUNK):
        found.update(conn.execute(sa.select(t.c.event_id).where(t.c.event_id.in_(event_ids[start : start + LOOKUP_CHUNK]))).scalars())
    return found
