"""Reading the log for people: the history with its filters and retractions, what a company is known
as, and the events that count towards a target. Read-only queries; the store stays the only writer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression

from ehsj_core.contract.model import Target
from ehsj_core.db import is_sqlite
from ehsj_core.events.store import (
    LOOKUP_CHUNK,
    RETRACTED,
    RecordedEvent,
    events_table,
    to_recorded_event,
)

COMPANY_TYPES = ("course.completed", "company.referred")
NARROW_PERIOD_DAYS = 92  # a period this short is found fastest through the occurred_on index
RECENT_WINDOW = 20_000  # positions searched first for the newest events of a target
_CASEFOLD = "ehsj_casefold"  # a SQLite function registered per connection: Python's str.casefold


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
class Retraction:
    event_id: str
    position: int
    recorded_by: str
    recorded_at: datetime
    reason: str


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


def _connect(engine: Engine) -> Connection:
    conn = engine.connect()
    if is_sqlite(engine):
        # SQLite's lower() and LIKE fold ASCII only; "Æblegården" must match "æble".
        driver: Any = conn.connection.driver_connection
        driver.create_function(_CASEFOLD, 1, lambda v: None if v is None else str(v).casefold(), deterministic=True)
    return conn


def _unindexed(engine: Engine, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """The column with SQLite's unary "+", which keeps its planner off the column's index. The
    pages want the newest few events: walking the position index from the top finds them at once,
    where the (house, occurred_on) index would fetch and sort a whole year first."""
    if not is_sqlite(engine):
        return column
    return UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)


def _folded(engine: Engine, column: ColumnElement[Any]) -> ColumnElement[Any]:
    return getattr(sa.func, _CASEFOLD)(column) if is_sqlite(engine) else sa.func.lower(column)


def _contains(engine: Engine, column: ColumnElement[Any], text: str) -> ColumnElement[bool]:
    escaped = text.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return _folded(engine, column).like(f"%{escaped}%", escape="\\")


def _history_conditions(engine: Engine, house: str, q: HistoryQuery) -> list[ColumnElement[bool]]:
    t = events_table
    data = t.c.data
    where: list[ColumnElement[bool]] = [_unindexed(engine, t.c.house) == house]
    if q.type:
        where.append(t.c.type == q.type)
    if q.municipality:
        where.append(data["municipality"].as_string() == q.municipality)
    if q.consultant and q.consultant.strip():
        text = q.consultant.strip()
        where.append(sa.or_(_contains(engine, t.c.recorded_by, text), _contains(engine, data["consultant"].as_string(), text)))
    narrow = q.occurred_from and q.occurred_to and (q.occurred_to - q.occurred_from).days <= NARROW_PERIOD_DAYS
    occurred_on = t.c.occurred_on if narrow else _unindexed(engine, t.c.occurred_on)
    if q.occurred_from:
        where.append(occurred_on >= q.occurred_from)
    if q.occurred_to:
        where.append(occurred_on <= q.occurred_to)
    company = (q.company or "").strip()
    if company.isdigit() and len(company) == 8:
        where.append(data["company_cvr"].as_string() == company)
    elif company:
        # A name is written on courses; referrals and evaluations carry the CVR only, so a name
        # also finds the events of every CVR a matching course was logged for.
        c = t.alias("named_courses")
        named = _contains(engine, c.c.data["company_name"].as_string(), company)
        cvrs = sa.select(c.c.data["company_cvr"].as_string()).where(c.c.type == "course.completed", named)
        where.append(
            sa.or_(
                _contains(engine, data["company_name"].as_string(), company),
                data["company_cvr"].as_string().in_(cvrs.scalar_subquery()),
            )
        )
    return where


def find_history(engine: Engine, house: str, q: HistoryQuery) -> HistoryPage:
    """One page of the log, newest first, each event with its retraction (who, when, why) if any."""
    t = events_table
    where = _history_conditions(engine, house, q)
    query = sa.select(t).where(*where)
    if q.after is not None:
        query = query.where(t.c.position > q.after).order_by(t.c.position.asc())
    else:
        if q.before is not None:
            query = query.where(t.c.position < q.before)
        query = query.order_by(t.c.position.desc())
    with _connect(engine) as conn:
        rows = list(conn.execute(query.limit(q.limit + 1)).all())
        more = len(rows) > q.limit
        rows = rows[: q.limit]
        if q.after is not None:
            rows.reverse()
        events = [to_recorded_event(r) for r in rows]
        if not events:
            return HistoryPage([], None, None)
        top, bottom = events[0].position, events[-1].position

        def exists(condition: ColumnElement[bool]) -> bool:
            return conn.execute(sa.select(t.c.position).where(*where, condition).limit(1)).first() is not None

        newer = top if (more if q.after is not None else q.before is not None and exists(t.c.position > top)) else None
        older = bottom if (more if q.after is None else exists(t.c.position < bottom)) else None
        retracted = _retractions(conn, [e.event_id for e in events])
    return HistoryPage([HistoryEntry(e, retracted.get(e.event_id)) for e in events], newer, older)


def retractions_of(engine: Engine, event_ids: Sequence[str]) -> dict[str, Retraction]:
    """The retraction of each of these events that has one, by the retracted event's id."""
    with engine.connect() as conn:
        return _retractions(conn, list(event_ids))


def _retractions(conn: Connection, event_ids: list[str]) -> dict[str, Retraction]:
    t = events_table
    target = t.c.data["target_event_id"].as_string()
    found: dict[str, Retraction] = {}
    for start in range(0, len(event_ids), LOOKUP_CHUNK):
        chunk = event_ids[start : start + LOOKUP_CHUNK]
        query = sa.select(t).where(t.c.type == RETRACTED, target.in_(chunk))
        for row in conn.execute(query):
            e = to_recorded_event(row)
            found[e.data["target_event_id"]] = Retraction(e.event_id, e.position, e.recorded_by, e.recorded_at, e.data["reason"])
    return found


def company_hint(engine: Engine, house: str, cvr: str) -> CompanyHint | None:
    """Where a company is known to be: the municipality of its newest course or referral that names
    one and was not retracted, with the newest company name logged for it."""
    t = events_table
    query = (
        sa.select(t)
        .where(t.c.house == house, t.c.type.in_(COMPANY_TYPES), t.c.data["company_cvr"].as_string() == cvr)
        .order_by(t.c.position.desc())
        .limit(50)
    )
    with engine.connect() as conn:
        events = [to_recorded_event(r) for r in conn.execute(query)]
        retracted = _retractions(conn, [e.event_id for e in events])
    live = [e for e in events if e.event_id not in retracted]
    placed = next((e for e in live if e.data.get("municipality")), None)
    if placed is None:
        return None
    name = next((e.data["company_name"] for e in live if e.data.get("company_name")), None)
    return CompanyHint(cvr, placed.data["municipality"], name, placed.position)


def _target_conditions(goal_id: str, target: Target, kind: ColumnElement[Any]) -> list[ColumnElement[bool]]:
    """What makes an event count towards a target: its type (`kind`, the type column) and the
    target's metric parameters."""
    t = events_table
    data, p = t.c.data, target.params

    def one_of(field: str, values: Sequence[str]) -> list[ColumnElement[bool]]:
        return [data[field].as_string().in_(list(values))] if values else []

    metric = target.metric
    if metric in ("courses", "geographic_deviation"):
        where = [kind == "course.completed", *one_of("course_type", p.course_types)]
        if p.topic:  # a JSON list in the data: its text holds the topic in quotes
            where.append(sa.cast(data, sa.Text).like(f'%"{p.topic}"%'))
        return where
    if metric in ("meetings", "meeting_municipalities"):
        return [kind == "meeting.held", *one_of("meeting_kind", p.meeting_kinds)]
    if metric == "newsletters":
        return [kind == "newsletter.sent"]
    if metric == "events":
        where = [kind == "event.held", *one_of("event_kind", p.event_kinds)]
        if p.min_participants is not None:
            where.append(data["participants"].as_integer() >= p.min_participants)
        return where
    if metric == "agreements":
        return [kind == "agreement.signed", *one_of("agreement_kind", p.agreement_kinds)]
    if metric == "staff":
        return [kind == "staff.designated", data["role"].as_string() == (p.role or "")]
    if metric in ("evaluation_rate", "nps"):
        return [kind == "evaluation.received", *one_of("course_type", p.course_types)]
    if metric == "referral_rate":
        return [kind == "company.referred", *one_of("from_course", p.course_types)]
    return [kind == "milestone.reached", data["milestone"].as_string() == f"{goal_id}.{target.key}"]


def events_towards(
    engine: Engine, house: str, year: int, goal_id: str, target: Target, upto: int, limit: int = 5
) -> list[RecordedEvent]:
    """The newest events that count towards a target in a year, as known at position `upto`.

    Two steps, because a target's event type may be half the log or a handful of rows: first the
    newest `RECENT_WINDOW` positions, walked from the top (finds a common type at once); only if
    that is not enough, the older positions through the type index (fast for a rare type)."""
    t = events_table
    r = t.alias("retractions")
    retracted = sa.select(r.c.data["target_event_id"].as_string()).where(r.c.type == RETRACTED, r.c.position <= upto)
    conditions = [
        _unindexed(engine, t.c.house) == house,
        _unindexed(engine, t.c.occurred_on) >= date(year, 1, 1),
        _unindexed(engine, t.c.occurred_on) <= date(year, 12, 31),
        t.c.event_id.not_in(retracted.scalar_subquery()),
    ]
    recent = max(0, upto - RECENT_WINDOW)
    newest = sa.select(t).where(
        t.c.position > recent, t.c.position <= upto, *conditions, *_target_conditions(goal_id, target, _unindexed(engine, t.c.type))
    )
    older = sa.select(t).where(t.c.position <= recent, *conditions, *_target_conditions(goal_id, target, t.c.type))
    with engine.connect() as conn:
        rows = list(conn.execute(newest.order_by(t.c.position.desc()).limit(limit)))
        if len(rows) < limit and recent > 0:
            rows += conn.execute(older.order_by(t.c.position.desc()).limit(limit - len(rows))).all()
    return [to_recorded_event(row) for row in rows]
