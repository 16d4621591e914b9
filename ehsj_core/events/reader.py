"""The one reader of the log: every SELECT on the events table and its two indexes lives here.

Like eventsourcing's recorder, one module owns the table; the rule book, the projections, the audit,
the reports and the pages ask it. Readers get `RecordedEvent`s whose data is a typed view
(`views.py`), upcast to the current schema; the chain and the rule book get the stored JSON as it
is, since a hash and a retried append are judged on exactly what was stored.

"Is it retracted, as of position P?" is one look-up in the retraction index (`retractions`, written
in the same transaction as the retraction): nothing here scans the log for retractions.

Sealed personal fields (`ehsj_core/privacy/sealing.py`) are opened here, where rows become
`RecordedEvent`s, with one key query per batch of rows (`_recorded`): every page, report, export for
people and API answer reads through this module, so a field whose subject was erased reads
"slettet" on all of them. The fold (`fold_rows`) opens nothing: it reads a consultant as their
pseudonym. The chain (`chain_rows`, the audit export) gets the ciphertext, as stored and hashed.
Functions taking a `Connection` run inside a caller's transaction — the rule book's, under the
append lock; `LogReader` opens its own connections.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression

from ehsj_core.contract.model import Target
from ehsj_core.db import is_sqlite
from ehsj_core.events.chain import GENESIS_HASH, chain_payload
from ehsj_core.events.closes import Close, CloseHistory
from ehsj_core.events.records import (
    PERIOD_CLOSED,
    RETRACTED,
    CompanyHint,
    EventQuery,
    Head,
    HistoryEntry,
    HistoryPage,
    HistoryQuery,
    RecordedEvent,
    Retraction,
    RetractionRef,
    StoredSummary,
    utc,
)
from ehsj_core.events.upcasting import upcast
from ehsj_core.events.views import VIEWS, CourseCompletedView, EventView
from ehsj_core.privacy import keys as subject_keys
from ehsj_core.privacy.keys import Opened, subjects_table
from ehsj_core.privacy.sealing import (
    ERASED,
    SEALED,
    consultant_identity,
    for_fold,
    is_pseudonym,
    sealed_subjects,
    subject_of,
    unseal,
)
from ehsj_core.tables import CompanyName, RetractionIndex, StoredEvent

events_table: sa.Table = StoredEvent.__table__  # type: ignore[attr-defined]
retractions_table: sa.Table = RetractionIndex.__table__  # type: ignore[attr-defined]
company_names_table: sa.Table = CompanyName.__table__  # type: ignore[attr-defined]
LOOKUP_CHUNK = 5_000  # bound parameters a query: below SQLite's (32,766 since 3.32) and psycopg's (65,535)
READ_BATCH = 10_000
COMPANY_TYPES = ("course.completed", "company.referred")
NARROW_PERIOD_DAYS = 92  # a period this short is found fastest through the occurred_on index
RECENT_WINDOW = 20_000  # positions searched first for the newest events of a target
MANY_COMPANIES = 200  # a name search matching more companies walks the log from the top (`_named`)
_CASEFOLD = "ehsj_casefold"  # a SQLite function registered per connection: Python's str.casefold
_t, _r = events_table, retractions_table


FoldRow = tuple[int, str, str, str, EventView]
"""What the replay folds: (position, type, house, occurred_on as ISO text, typed data). A plain tuple:
the replay makes a million of them."""


def json_text(table: sa.Table, key: str, dialect: str) -> ColumnElement[str]:
    """The text of a top-level key of the data, spelled as the expression indexes of migration
    0004 spell it: a planner uses an expression index only for the very same expression."""
    literal: ColumnElement[str] = sa.literal_column(f"'$.{key}'" if dialect == "sqlite" else f"'{key}'")
    if dialect == "sqlite":
        return sa.type_coerce(sa.func.json_extract(table.c.data, literal), sa.String)
    return sa.type_coerce(table.c.data.op("->>")(literal), sa.String)


def to_recorded_event(
    row: Any, subjects: Mapping[str, Opened], keys: Mapping[str, bytes | None], memo: dict[str, Any]
) -> RecordedEvent:
    """The row as readers get it, its sealed fields opened with `keys` and its `recorded_by` named
    with `subjects` (both from `_opened`); a field of an erased subject reads "slettet"."""
    version, data = upcast(row.type, row.schema_version, unseal(row.data, keys, row.recorded_by, memo))
    return RecordedEvent(
        position=row.position,
        event_id=row.event_id,
        type=row.type,
        schema_version=version,
        house=row.house,
        occurred_on=row.occurred_on,
        recorded_at=utc(row.recorded_at),
        recorded_by=_name(row.recorded_by, subjects),
        data=VIEWS[row.type](**data),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def _name(recorded_by: str, subjects: Mapping[str, Opened]) -> str:
    """Who logged an event: the name of the pseudonym stored since sealing, or the name stored before."""
    if not is_pseudonym(recorded_by):
        return recorded_by
    found = subjects.get(recorded_by)
    return ERASED if found is None or found.label is None else found.label


def _opened(conn: Connection, rows: Sequence[Any]) -> dict[str, Opened]:
    """The subjects these rows need opened (their sealed fields, who logged them), in one query."""
    wanted = [s for row in rows for s in sealed_subjects(row.data)]
    wanted += [row.recorded_by for row in rows if is_pseudonym(row.recorded_by)]
    return subject_keys.opened(conn, wanted) if wanted else {}


def _recorded(conn: Connection, rows: Sequence[Any]) -> list[RecordedEvent]:
    """The rows as `RecordedEvent`s, with one look-up of the subjects they need."""
    subjects = _opened(conn, rows)
    keys = {subject: found.key for subject, found in subjects.items()}
    memo: dict[str, Any] = {}
    return [to_recorded_event(row, subjects, keys, memo) for row in rows]


def _chunks(values: Sequence[str]) -> Iterator[list[str]]:
    unique = list(dict.fromkeys(values))
    for start in range(0, len(unique), LOOKUP_CHUNK):
        yield unique[start : start + LOOKUP_CHUNK]


# --- under the append lock (the rule book's connection) -------------------------------------------------
def head(conn: Connection) -> Head:
    row = conn.execute(
        sa.select(_t.c.position, _t.c.hash, _t.c.recorded_at).order_by(_t.c.position.desc()).limit(1)
    ).first()
    return Head(0, GENESIS_HASH, None) if row is None else Head(row.position, row.hash, utc(row.recorded_at))


def summaries(conn: Connection, event_ids: Sequence[str]) -> dict[str, StoredSummary]:
    """The stored events among these ids, as the rule book compares and judges them."""
    found: dict[str, StoredSummary] = {}
    columns = (_t.c.event_id, _t.c.position, _t.c.type, _t.c.house, _t.c.occurred_on, _t.c.recorded_by, _t.c.data)
    for chunk in _chunks(event_ids):
        rows = conn.execute(sa.select(*columns).where(_t.c.event_id.in_(chunk))).all()
        subjects = _opened(conn, rows)
        keys = {subject: opened.key for subject, opened in subjects.items()}
        for row in rows:  # opened: a retried append is compared with the data as it was logged
            data = unseal(row.data, keys, row.recorded_by)
            found[row.event_id] = StoredSummary(*row[:-2], _name(row.recorded_by, subjects), data)
    return found


def retracted_among(conn: Connection, event_ids: Sequence[str], upto: int | None = None) -> dict[str, RetractionRef]:
    """The retraction-index rows of those of these events that were retracted (by `upto`)."""
    found: dict[str, RetractionRef] = {}
    for chunk in _chunks(event_ids):
        query = sa.select(_r).where(_r.c.target_event_id.in_(chunk))
        if upto is not None:
            query = query.where(_r.c.position <= upto)
        for row in conn.execute(query):
            found[row.target_event_id] = RetractionRef(
                row.target_event_id, row.target_position, row.event_id, row.position
            )
    return found


CourseAnswered = tuple[str, str, date]  # course type, CVR, the answer's date


def latest_courses(conn: Connection, house: str, answers: Sequence[CourseAnswered]) -> dict[CourseAnswered, date]:
    """For each answer, the day of the company's latest course of the type on or before the
    answer's date that is not retracted (absent: no such course): its year is the year an
    evaluation counts in (`rules.evaluations`). Through the CVR index: a company has few events."""
    dialect = conn.dialect.name
    found: dict[CourseAnswered, date] = {}
    for course_type, cvr, day in dict.fromkeys(answers):
        query = sa.select(sa.func.max(_t.c.occurred_on)).where(
            json_text(_t, "company_cvr", dialect) == cvr,
            _t.c.house == house,
            _t.c.type == "course.completed",
            json_text(_t, "course_type", dialect) == course_type,
            _t.c.occurred_on <= day,
            ~sa.exists().where(_r.c.target_position == _t.c.position),
        )
        latest = conn.execute(query).scalar()
        if latest is not None:
            found[(course_type, cvr, day)] = latest if isinstance(latest, date) else date.fromisoformat(latest)
    return found


def closes(conn: Connection, upto: int | None = None) -> CloseHistory:
    """The closes in the log (positions ≤ `upto`), each with the retraction that reopened it."""
    query = sa.select(_t.c.position, _t.c.event_id, _t.c.house, _t.c.data, _t.c.recorded_at, _t.c.recorded_by)
    query = query.where(_t.c.type == PERIOD_CLOSED)
    if upto is not None:
        query = query.where(_t.c.position <= upto)
    rows = conn.execute(query.order_by(_t.c.position)).all()
    if not rows:
        return CloseHistory(())
    reopened = retracted_among(conn, [r.event_id for r in rows], upto)
    subjects = _opened(conn, rows)
    return CloseHistory(
        tuple(
            Close(
                house=r.house,
                year=int(r.data["year"]),
                event_id=r.event_id,
                position=r.position,
                recorded_at=utc(r.recorded_at),
                recorded_by=_name(r.recorded_by, subjects),
                note=r.data.get("note"),
                reopened_at=reopened[r.event_id].position if r.event_id in reopened else None,
            )
            for r in rows
        )
    )


# --- the replay's hot path: raw driver values, no SQLAlchemy row processing -----------------------------
def _fold_sql(dialect: str, where: str) -> str:
    day, data = ("occurred_on", "data") if dialect == "sqlite" else ("occurred_on::text", "data::text")
    return (
        f"SELECT position, type, schema_version, house, {day}, {data} FROM events WHERE {where}"
        f" AND type NOT IN ('{RETRACTED}', '{PERIOD_CLOSED}') ORDER BY position"
    )


def _fold_rows(rows: Iterable[tuple[int, str, int, str, str, str | bytes]]) -> Iterator[FoldRow]:
    loads, views = orjson.loads, VIEWS
    for position, type_, version, house, day, raw in rows:
        data = loads(raw)
        if SEALED in data:
            data = for_fold(data)
        if version != 1:
            _version, data = upcast(type_, version, data)
        yield position, type_, house, day, views[type_](**data)


def fold_row_of(payload: Mapping[str, Any]) -> FoldRow | None:
    """A row's ten hashed fields, as the chain and the audit export carry them (`chain.chain_payload`),
    as the replay folds it; None for a retraction or a close, which fold to nothing. The national
    roll-up folds the houses' exported rows with this, so that they are read exactly as the house's
    own replay reads them (sealed fields by their pseudonyms, upcast to the current schema)."""
    type_ = str(payload["type"])
    if type_ in (RETRACTED, PERIOD_CLOSED):
        return None
    raw = orjson.dumps(payload["data"])
    row = (int(payload["position"]), type_, int(payload["schema_version"]), str(payload["house"]))
    return next(_fold_rows([(*row, str(payload["occurred_on"]), raw)]))


class LogReader:
    """Reading the log with connections of its own."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    # --- the head, positions, moments ------------------------------------------------------------------
    def head(self) -> Head:
        with self.engine.connect() as conn:
            return head(conn)

    def position_at(self, moment: datetime) -> int:
        """The last position recorded at or before `moment` (0 when none was): a binary search over
        the positions, since recorded_at never decreases along them (store.py keeps it so)."""
        moment = utc(moment)
        query = sa.select(_t.c.recorded_at).where(_t.c.position == sa.bindparam("p"))
        with self.engine.connect() as conn:
            low, high = 0, head(conn).position  # the answer lies in [low, high]
            while low < high:
                middle = (low + high + 1) // 2
                if utc(conn.execute(query, {"p": middle}).scalar_one()) <= moment:
                    low = middle
                else:
                    high = middle - 1
        return low

    def recorded_at(self, position: int) -> datetime | None:
        with self.engine.connect() as conn:
            value = conn.execute(sa.select(_t.c.recorded_at).where(_t.c.position == position)).scalar()
        return None if value is None else utc(value)

    def hash_at(self, position: int) -> str:
        with self.engine.connect() as conn:
            value = conn.execute(sa.select(_t.c.hash).where(_t.c.position == position)).scalar()
        return str(value) if value is not None else GENESIS_HASH

    def closes(self, upto: int | None = None) -> CloseHistory:
        with self.engine.connect() as conn:
            return closes(conn, upto)

    # --- events ------------------------------------------------------------------------------------------
    def get(self, event_id: str) -> RecordedEvent | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(_t).where(_t.c.event_id == event_id)).first()
            return None if row is None else _recorded(conn, [row])[0]

    def get_many(self, event_ids: Sequence[str]) -> dict[str, RecordedEvent]:
        found: dict[str, RecordedEvent] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(event_ids):
                rows = conn.execute(sa.select(_t).where(_t.c.event_id.in_(chunk))).all()
                found.update((e.event_id, e) for e in _recorded(conn, rows))
        return found

    def read_all(
        self,
        *,
        after: int = 0,
        upto: int | None = None,
        types: Sequence[str] | None = None,
        house: str | None = None,
        occurred_from: date | None = None,
        occurred_to: date | None = None,
        live_only: bool = False,
    ) -> Iterator[RecordedEvent]:
        """Events with `after < position <= upto` in log order, filtered; with `live_only`, minus
        those retracted by `upto` (or by the head)."""
        where: list[ColumnElement[bool]] = []
        if upto is not None:
            where.append(_t.c.position <= upto)
        if types is not None:
            where.append(_t.c.type.in_(list(types)))
        if house is not None:
            where.append(_t.c.house == house)
        if occurred_from is not None:
            where.append(_t.c.occurred_on >= occurred_from)
        if occurred_to is not None:
            where.append(_t.c.occurred_on <= occurred_to)
        if live_only:
            retracted = sa.select(_r.c.target_position)
            if upto is not None:
                retracted = retracted.where(_r.c.position <= upto)
            where.append(_t.c.position.not_in(retracted.scalar_subquery()))
        cursor = after
        while True:
            query = sa.select(_t).where(_t.c.position > cursor, *where).order_by(_t.c.position).limit(READ_BATCH)
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
                events = _recorded(conn, rows)
            yield from events
            if len(rows) < READ_BATCH:
                return
            cursor = rows[-1].position

    def find_events(self, q: EventQuery) -> list[RecordedEvent]:
        """Events matching `q` in log order, at most `q.limit`, starting after position `q.after`."""
        query = sa.select(_t).where(_t.c.position > q.after).order_by(_t.c.position).limit(q.limit)
        if q.type:
            query = query.where(_t.c.type == q.type)
        if q.municipality:
            query = query.where(json_text(_t, "municipality", self.dialect) == q.municipality)
        if q.company_cvr:
            query = query.where(json_text(_t, "company_cvr", self.dialect) == q.company_cvr)
        if q.occurred_from:
            query = query.where(_t.c.occurred_on >= q.occurred_from)
        if q.occurred_to:
            query = query.where(_t.c.occurred_on <= q.occurred_to)
        with self.engine.connect() as conn:
            return _recorded(conn, conn.execute(query).all())

    # --- retractions ----------------------------------------------------------------------------------------
    def retracted_ids(self, upto: int | None = None) -> set[str]:
        """The ids of every event retracted by position `upto` (by the head when None)."""
        query = sa.select(_r.c.target_event_id)
        if upto is not None:
            query = query.where(_r.c.position <= upto)
        with self.engine.connect() as conn:
            return set(conn.execute(query).scalars())

    def retractions_of(self, event_ids: Sequence[str]) -> dict[str, Retraction]:
        """The retraction of each of these events that has one (who, when, why), by the retracted id."""
        with self.engine.connect() as conn:
            return _retractions(conn, event_ids)

    def retraction_index(self) -> set[RetractionRef]:
        """Every row of the retraction index."""
        with self.engine.connect() as conn:
            return {
                RetractionRef(*row)
                for row in conn.execute(
                    sa.select(_r.c.target_event_id, _r.c.target_position, _r.c.event_id, _r.c.position)
                )
            }

    def retractions_in_log(self) -> set[RetractionRef]:
        """The retraction index as the log says it must be: every `event.retracted` and its target."""
        target = _t.alias("target")
        query = sa.select(target.c.event_id, target.c.position, _t.c.event_id, _t.c.position).join_from(
            _t, target, json_text(_t, "target_event_id", self.dialect) == target.c.event_id, isouter=True
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query.where(_t.c.type == RETRACTED)).all()
        return {RetractionRef(r[0] or "", r[1] or 0, r[2], r[3]) for r in rows}

    # --- the replay ----------------------------------------------------------------------------------------
    def fold_rows(self, after: int, upto: int) -> Iterator[FoldRow]:
        """Every foldable event with `after < position <= upto`, in log order."""
        sql = _fold_sql(self.dialect, "position > {p} AND position <= {p}").format(
            p="?" if self.dialect == "sqlite" else "%s"
        )
        sql += f" LIMIT {READ_BATCH}"
        cursor = after
        while cursor < upto:
            raw = self.engine.raw_connection()
            try:
                rows = raw.cursor().execute(sql, (cursor, upto)).fetchall()
            finally:
                raw.close()
            yield from _fold_rows(rows)
            if len(rows) < READ_BATCH:
                return
            cursor = rows[-1][0]

    def fold_rows_at(self, positions: Sequence[int]) -> list[FoldRow]:
        """The foldable events at these positions, in log order (the retracted ones a replay folds out)."""
        out: list[FoldRow] = []
        mark = "?" if self.dialect == "sqlite" else "%s"
        ordered = sorted(set(positions))
        for start in range(0, len(ordered), LOOKUP_CHUNK):
            chunk = ordered[start : start + LOOKUP_CHUNK]
            sql = _fold_sql(self.dialect, f"position IN ({', '.join([mark] * len(chunk))})")
            raw = self.engine.raw_connection()
            try:
                out.extend(_fold_rows(raw.cursor().execute(sql, tuple(chunk)).fetchall()))
            finally:
                raw.close()
        return out

    def retraction_effects(self, after: int, upto: int) -> tuple[set[int], list[int]]:
        """What the retractions mean for a fold from `after` to `upto`: the positions in (after, upto]
        to skip (retracted by `upto`), and the positions at or before `after` to fold back out
        (retracted in (after, upto])."""
        skip = sa.select(_r.c.target_position).where(_r.c.position <= upto, _r.c.target_position > after)
        undo = sa.select(_r.c.target_position).where(
            _r.c.position > after, _r.c.position <= upto, _r.c.target_position <= after
        )
        with self.engine.connect() as conn:
            return set(conn.execute(skip).scalars()), sorted(conn.execute(undo).scalars())

    # --- the chain -----------------------------------------------------------------------------------------
    def chain_rows(self, after: int = 0, upto: int | None = None) -> Iterator[tuple[dict[str, Any], str]]:
        """(the hashed payload, the stored hash) of every row in position order, as stored."""
        cursor = after
        while True:
            query = sa.select(_t).where(_t.c.position > cursor).order_by(_t.c.position).limit(READ_BATCH)
            if upto is not None:
                query = query.where(_t.c.position <= upto)
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
            for row in rows:
                payload = chain_payload(
                    position=row.position,
                    event_id=row.event_id,
                    type=row.type,
                    schema_version=row.schema_version,
                    house=row.house,
                    occurred_on=row.occurred_on,
                    recorded_at=row.recorded_at,
                    recorded_by=row.recorded_by,
                    data=row.data,
                    prev_hash=row.prev_hash,
                )
                yield payload, row.hash
            if len(rows) < READ_BATCH:
                return
            cursor = rows[-1].position

    def latest_courses(self, house: str, answers: Sequence[CourseAnswered]) -> dict[CourseAnswered, date]:
        """`latest_courses` in a connection of its own: for each (course type, CVR, answer day), the
        day of the company's latest course of the type on or before it, not retracted (absent: none)."""
        if not answers:
            return {}
        with self.engine.connect() as conn:
            return latest_courses(conn, house, answers)

    # --- look-ups for people: a company, the history, a target's newest events ------------------------------
    def company_hint(self, house: str, cvr: str) -> CompanyHint | None:
        """Where a company is known to be: the municipality of its newest course or referral that names
        one and was not retracted, with the newest company name logged for it (the CVR index)."""
        query = (
            sa.select(_t)
            .where(json_text(_t, "company_cvr", self.dialect) == cvr, _t.c.house == house, _t.c.type.in_(COMPANY_TYPES))
            .order_by(_t.c.position.desc())
            .limit(50)
        )
        with self.engine.connect() as conn:
            events = _recorded(conn, conn.execute(query).all())
            retracted = retracted_among(conn, [e.event_id for e in events])
        live = [e for e in events if e.event_id not in retracted]
        placed = next((e for e in live if getattr(e.data, "municipality", None)), None)
        if placed is None:
            return None
        name = next(
            (
                e.data.company_name
                for e in live
                if isinstance(e.data, CourseCompletedView) and e.data.company_name not in (None, ERASED)
            ),
            None,
        )
        return CompanyHint(cvr, str(getattr(placed.data, "municipality", "")), name, placed.position)

    def _connect(self) -> Connection:
        conn = self.engine.connect()
        if is_sqlite(self.engine):
            # SQLite's lower() and LIKE fold ASCII only; "Æblegården" must match "æble".
            driver: Any = conn.connection.driver_connection
            driver.create_function(_CASEFOLD, 1, lambda v: None if v is None else str(v).casefold(), deterministic=True)
        return conn

    def _unindexed(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        """The column with SQLite's unary "+", which keeps its planner off the column's index. The
        pages want the newest few events: walking the position index from the top finds them at once,
        where the (house, occurred_on) index would fetch and sort a whole year first."""
        if self.dialect != "sqlite":
            return column
        return UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)

    def _contains(self, column: ColumnElement[Any], text: str) -> ColumnElement[bool]:
        folded = getattr(sa.func, _CASEFOLD)(column) if self.dialect == "sqlite" else sa.func.lower(column)
        return folded.like(_containing(text), escape="\\")

    def _subjects_named(self, conn: Connection, kind: str, text: str) -> list[str]:
        """The living subjects of a kind whose name contains `text` (erased ones have no name)."""
        s = subjects_table
        query = sa.select(s.c.subject).where(s.c.kind == kind, self._contains(s.c.label, text))
        return list(conn.execute(query.limit(MANY_COMPANIES)).scalars())

    def _named(self, conn: Connection, text: str) -> ColumnElement[bool]:
        """Events of the companies whose logged name contains `text`: a name is written on courses;
        referrals and evaluations carry the CVR only, so a name finds every event of those CVRs.

        A few companies: their events through the CVR index, then sorted. Many (a common fragment
        such as "sen"): their events are dense in the log, so walking the positions from the top finds
        a page sooner than fetching and sorting every event of every company."""
        c = company_names_table
        matching = c.c.folded.like(_containing(text), escape="\\")
        pairs = conn.execute(sa.select(c.c.cvr, c.c.name).where(matching).limit(MANY_COMPANIES + 1)).all()
        cvr_column = json_text(_t, "company_cvr", self.dialect)
        name_column = json_text(_t, "company_name", self.dialect)
        if len(pairs) > MANY_COMPANIES:  # the database keeps the list: no round trip of thousands of CVRs
            cvrs: Any = sa.select(c.c.cvr).where(matching, c.c.cvr != "").scalar_subquery()
            names: Any = sa.select(c.c.name).where(matching, c.c.cvr == "").scalar_subquery()
            cvr_column, name_column = self._unindexed(cvr_column), self._unindexed(name_column)
        else:
            cvrs = sorted({cvr for cvr, _name in pairs if cvr})
            names = sorted({name for cvr, name in pairs if not cvr})
        # A course without CVR logged since sealing names its company by pseudonym only.
        refs = self._subjects_named(conn, "company", text)
        course = _t.c.type == "course.completed"
        return sa.or_(
            cvr_column.in_(cvrs),
            sa.and_(course, name_column.in_(names)),
            sa.and_(course, json_text(_t, "company_ref", self.dialect).in_(refs)),
        )

    def _history_conditions(self, conn: Connection, house: str, q: HistoryQuery) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [self._unindexed(_t.c.house) == house]
        if q.type:
            where.append(_t.c.type == q.type)
        if q.municipality:
            where.append(json_text(_t, "municipality", self.dialect) == q.municipality)
        if q.consultant and q.consultant.strip():
            text = q.consultant.strip()
            consultant = json_text(_t, "consultant", self.dialect)  # as logged before sealing
            refs = self._subjects_named(conn, "consultant", text)
            where.append(
                sa.or_(
                    self._contains(_t.c.recorded_by, text),  # as logged before sealing
                    self._contains(consultant, text),
                    _t.c.recorded_by.in_(refs),
                    json_text(_t, "consultant_ref", self.dialect).in_(refs),
                )
            )
        narrow = q.occurred_from and q.occurred_to and (q.occurred_to - q.occurred_from).days <= NARROW_PERIOD_DAYS
        occurred_on = _t.c.occurred_on if narrow else self._unindexed(_t.c.occurred_on)
        if q.occurred_from:
            where.append(occurred_on >= q.occurred_from)
        if q.occurred_to:
            where.append(occurred_on <= q.occurred_to)
        company = (q.company or "").strip()
        if company.isascii() and company.isdigit() and len(company) == 8:
            where.append(json_text(_t, "company_cvr", self.dialect) == company)
        elif company:
            where.append(self._named(conn, company))
        return where

    def find_history(self, house: str, q: HistoryQuery) -> HistoryPage:
        """One page of the log, newest first, each event with its retraction (who, when, why) if any."""
        with self._connect() as conn:
            where = self._history_conditions(conn, house, q)
            query = sa.select(_t).where(*where)
            if q.after is not None:
                query = query.where(_t.c.position > q.after).order_by(_t.c.position.asc())
            else:
                if q.before is not None:
                    query = query.where(_t.c.position < q.before)
                query = query.order_by(_t.c.position.desc())
            rows = list(conn.execute(query.limit(q.limit + 1)).all())
            more = len(rows) > q.limit
            rows = rows[: q.limit]
            if q.after is not None:
                rows.reverse()
            events = _recorded(conn, rows)
            if not events:
                return HistoryPage([], None, None)
            top, bottom = events[0].position, events[-1].position

            def exists(condition: ColumnElement[bool]) -> bool:
                return conn.execute(sa.select(_t.c.position).where(*where, condition).limit(1)).first() is not None

            newer = (
                top if (more if q.after is not None else q.before is not None and exists(_t.c.position > top)) else None
            )
            older = bottom if (more if q.after is None else exists(_t.c.position < bottom)) else None
            retracted = _retractions(conn, [e.event_id for e in events])
        return HistoryPage([HistoryEntry(e, retracted.get(e.event_id)) for e in events], newer, older)

    def _target_conditions(self, goal_id: str, target: Target, kind: ColumnElement[Any]) -> list[ColumnElement[bool]]:
        """What makes an event count towards a target: its type (`kind`, the type column) and the
        target's metric parameters."""
        p, d = target.params, self.dialect

        def one_of(field: str, values: Sequence[str]) -> list[ColumnElement[bool]]:
            return [json_text(_t, field, d).in_(list(values))] if values else []

        metric = target.metric
        if metric in ("courses", "geographic_deviation"):
            where = [kind == "course.completed", *one_of("course_type", p.course_types)]
            if p.topic:  # a JSON list in the data: its text holds the topic in quotes
                where.append(sa.cast(_t.c.data, sa.Text).like(f'%"{p.topic}"%'))
            return where
        if metric in ("meetings", "meeting_municipalities"):
            return [kind == "meeting.held", *one_of("meeting_kind", p.meeting_kinds)]
        if metric == "newsletters":
            return [kind == "newsletter.sent"]
        if metric == "events":
            where = [kind == "event.held", *one_of("event_kind", p.event_kinds)]
            if p.min_participants is not None:
                where.append(sa.cast(json_text(_t, "participants", d), sa.Integer) >= p.min_participants)
            return where
        if metric == "agreements":
            return [kind == "agreement.signed", *one_of("agreement_kind", p.agreement_kinds)]
        if metric == "staff":
            return [kind == "staff.designated", json_text(_t, "role", d) == (p.role or "")]
        if metric in ("evaluation_rate", "nps"):
            return [kind == "evaluation.received", *one_of("course_type", p.course_types)]
        if metric == "referral_rate":
            return [kind == "company.referred", *one_of("from_course", p.course_types)]
        return [kind == "milestone.reached", json_text(_t, "milestone", d) == f"{goal_id}.{target.key}"]

    def events_towards(
        self, house: str, year: int, goal_id: str, target: Target, upto: int, limit: int = 5
    ) -> list[RecordedEvent]:
        """The newest events that count towards a target in a year, as known at position `upto`,
        minus those retracted by then. Two steps, because a target's event type may be half the log
        or a handful of rows: first the newest `RECENT_WINDOW` positions, walked from the top (finds
        a common type at once); only if that is not enough, the older positions through the type index."""
        retracted = sa.select(_r.c.target_position).where(_r.c.position <= upto)
        common = [
            self._unindexed(_t.c.house) == house,
            self._unindexed(_t.c.occurred_on) >= date(year, 1, 1),
            self._unindexed(_t.c.occurred_on) <= date(year, 12, 31),
            _t.c.position.not_in(retracted.scalar_subquery()),
        ]
        recent = max(0, upto - RECENT_WINDOW)
        newest = sa.select(_t).where(
            _t.c.position > recent,
            _t.c.position <= upto,
            *common,
            *self._target_conditions(goal_id, target, self._unindexed(_t.c.type)),
        )
        older = sa.select(_t).where(
            _t.c.position <= recent, *common, *self._target_conditions(goal_id, target, _t.c.type)
        )
        with self.engine.connect() as conn:
            rows = list(conn.execute(newest.order_by(_t.c.position.desc()).limit(limit)))
            if len(rows) < limit and recent > 0:
                rows += conn.execute(older.order_by(_t.c.position.desc()).limit(limit - len(rows))).all()
            return _recorded(conn, rows)


def _containing(text: str) -> str:
    """A LIKE pattern (escape character backslash) for case-folded text containing `text`."""
    escaped = text.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _retractions(conn: Connection, event_ids: Sequence[str]) -> dict[str, Retraction]:
    found: dict[str, Retraction] = {}
    for chunk in _chunks(event_ids):
        query = sa.select(_r.c.target_event_id, _t).join_from(_r, _t, _t.c.position == _r.c.position)
        rows = conn.execute(query.where(_r.c.target_event_id.in_(chunk))).all()
        subjects = _opened(conn, rows)
        for row in rows:
            found[row.target_event_id] = Retraction(
                row.event_id, row.position, _name(row.recorded_by, subjects), utc(row.recorded_at), row.data["reason"]
            )
    return found


# --- for `ehsj privacy forget` (the caller's connection, under the append lock) -------------------------
def fields_of(conn: Connection, subject: str) -> list[list[str]]:
    """For each event naming `subject` since sealing, its fields that are the subject's: sealed
    under its key, or `recorded_by` (a scan of the log's text: forgetting is rare)."""
    pattern = f'%"{subject}"%'
    query = sa.select(_t.c.recorded_by, _t.c.data).where(
        sa.or_(_t.c.recorded_by == subject, sa.cast(_t.c.data, sa.Text).like(pattern))
    )
    found = []
    for row in conn.execute(query):
        sealed = row.data.get(SEALED) or {}
        fields = [f for f in sealed if subject_of(f, row.data, row.recorded_by) == subject]
        fields += ["recorded_by"] if row.recorded_by == subject else []
        if fields:
            found.append(fields)
    return found


def named_before_sealing(conn: Connection, *, cvr: str | None = None, consultant: str | None = None) -> int:
    """How many events stored before sealing name this company (a course with its CVR and a name)
    or this consultant in clear: the log is immutable, so erasure cannot reach them."""
    dialect = conn.dialect.name
    where: list[ColumnElement[bool]] = []
    if cvr is not None:
        where = [json_text(_t, "company_cvr", dialect) == cvr, json_text(_t, "company_name", dialect).is_not(None)]
    elif consultant is not None:  # as the consultant of the event, or as who logged it
        wanted = consultant_identity(consultant).identifier
        rows = conn.execute(sa.select(_t.c.recorded_by, json_text(_t, "consultant", dialect)))
        return sum(
            1
            for logged_by, named in rows
            if any(name and consultant_identity(name).identifier == wanted for name in (logged_by, named))
        )
    query = sa.select(sa.func.count()).select_from(_t).where(*where)
    return int(conn.execute(query).scalar_one())
