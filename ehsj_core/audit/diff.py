"""`ehsj audit diff`: which targets changed between two moments of the log, and the events that
explain each change — new, retracted (the retraction and the event it withdraws), recorded late for
an earlier quarter, recorded after the year was closed.

Both moments are folded by the same projection as everything else (`FactsAt`, handed in); the events
between them are then matched against each changed target's metric (touches.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from ehsj_core.audit.touches import touches
from ehsj_core.contract.model import Target
from ehsj_core.events.closes import CloseHistory
from ehsj_core.events.reader import LogReader
from ehsj_core.events.records import PERIOD_CLOSED, RETRACTED, RecordedEvent
from ehsj_core.events.validation import InvalidInput, Problem
from ehsj_core.events.views import EvaluationReceivedView, EventRetractedView
from ehsj_core.events.years import counts_in_year
from ehsj_core.projections.metrics import Value
from ehsj_core.projections.moment import AsOf, FactsAt, StatusReport
from ehsj_core.projections.status import STATUS_LABELS, TargetStatus

DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class EventRef:
    position: int
    event_id: str
    type: str
    occurred_on: date
    recorded_at: datetime
    recorded_by: str

    @classmethod
    def of(cls, e: RecordedEvent) -> EventRef:
        return cls(e.position, e.event_id, e.type, e.occurred_on, e.recorded_at, e.recorded_by)

    def as_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "event_id": self.event_id,
            "type": self.type,
            "occurred_on": self.occurred_on.isoformat(),
            "recorded_at": self.recorded_at.isoformat(),
            "recorded_by": self.recorded_by,
        }


@dataclass(frozen=True)
class Explanation:
    kind: Literal["new", "retracted"]
    event: EventRef  # the new event, or the retraction
    retracted: EventRef | None  # the event the retraction withdraws
    reason: str | None  # the retraction's reason
    late: str | None  # "hændt i 2. kvartal 2019, registreret i 3. kvartal 2019"
    after_close: str | None  # "registreret efter lukning: 2019 blev lukket af … (position …)"

    @property
    def label(self) -> str:
        words = ["ny" if self.kind == "new" else "tilbagekaldt"]
        if self.late:
            words.append("registreret for sent")
        if self.after_close:
            words.append("registreret efter lukning")
        return ", ".join(words)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": self.label,
            "event": self.event.as_dict(),
            "retracted": None if self.retracted is None else self.retracted.as_dict(),
            "reason": self.reason,
            "late": self.late,
            "after_close": self.after_close,
        }


@dataclass(frozen=True)
class TargetChange:
    goal_id: str
    key: str
    label: str
    kind: str
    unit: str | None
    actual_before: Value
    actual_after: Value
    status_before: str
    status_after: str
    explanations: tuple[Explanation, ...]  # in log order, at most the limit asked for
    explained_total: int  # all the events that explain it
    note: str | None  # when no event does: why the status moved anyway
    official: str | None = None  # when Erhvervsstyrelsen's figure decides: it beside the house's own

    def as_dict(self) -> dict[str, Any]:
        return {
            "goal_id": self.goal_id,
            "key": self.key,
            "label": self.label,
            "kind": self.kind,
            "unit": self.unit,
            "actual_before": self.actual_before,
            "actual_after": self.actual_after,
            "status_before": self.status_before,
            "status_after": self.status_after,
            "status_before_label": STATUS_LABELS[self.status_before],
            "status_after_label": STATUS_LABELS[self.status_after],
            "explained_total": self.explained_total,
            "note": self.note,
            "official": self.official,
            "explanations": [e.as_dict() for e in self.explanations],
        }


@dataclass(frozen=True)
class AuditDiff:
    year: int
    before: AsOf
    after: AsOf
    events_between: int  # every event in (before, after]
    events_in_year: int  # … of them, those that count in the year
    changes: tuple[TargetChange, ...]
    after_close: tuple[EventRef, ...]  # every event between them counting in the year after it was closed

    def as_dict(self) -> dict[str, Any]:
        def moment(at: AsOf) -> dict[str, Any]:
            return {"position": at.position, "as_of": at.label, "on_date": at.on_date.isoformat()}

        return {
            "year": self.year,
            "from": moment(self.before),
            "to": moment(self.after),
            "events_between": self.events_between,
            "events_in_year": self.events_in_year,
            "changes": [c.as_dict() for c in self.changes],
            "after_close": [e.as_dict() for e in self.after_close],
        }


def quarter_label(day: date) -> str:
    return f"{(day.month - 1) // 3 + 1}. kvartal {day.year}"


def late_text(occurred_on: date, recorded_at: datetime, tz: ZoneInfo) -> str | None:
    """Set when the event occurred in an earlier quarter than the one it was recorded in."""
    recorded = recorded_at.astimezone(tz).date()
    if (occurred_on.year, (occurred_on.month - 1) // 3) >= (recorded.year, (recorded.month - 1) // 3):
        return None
    return f"hændt i {quarter_label(occurred_on)}, registreret i {quarter_label(recorded)}"


def diff(start: FactsAt, end: FactsAt, log: LogReader, tz: ZoneInfo, limit: int = DEFAULT_LIMIT) -> AuditDiff:
    """The targets that changed from `start` to `end` (two moments of the log), each explained."""
    before_at, after_at = start.at, end.at
    if before_at.position > after_at.position:
        problem = f"'fra' (position {before_at.position}) skal ligge før 'til' (position {after_at.position})"
        raise InvalidInput([Problem("from", before_at.label or str(before_at.position), problem)])
    before, after = start.status(), end.status()
    contract = after.contract.contract
    targets = {(g.id, t.key): t for g in contract.goals for t in g.targets}
    changed = [(g, t, old) for g, t, old in _pairs(before, after) if old.actual != t.actual or old.status != t.status]
    wanted = [(goal_id, targets[(goal_id, t.key)]) for goal_id, t, _old in changed]

    closes = log.closes(upto=after_at.position)
    between = list(log.read_all(after=before_at.position, upto=after_at.position))
    retracted = log.get_many([e.data.target_event_id for e in between if isinstance(e.data, EventRetractedView)])
    year_of = counting_years(log, contract.house, [*between, *retracted.values()])
    events_between, in_year, candidates = 0, 0, []
    for event in between:
        events_between += 1
        if event.type == RETRACTED:
            candidates.append(event)  # counted below, by the year of the event it withdraws
        elif event.house == contract.house and year_of(event) == contract.year:
            in_year += 1
            closed = closes.closed_at(event.house, contract.year, event.position) is not None
            if closed or any(touches(g, tg, event.data) for g, tg in wanted):
                candidates.append(event)

    found: dict[tuple[str, str], list[Explanation]] = {(g, t.key): [] for g, t in wanted}
    after_close: list[EventRef] = []
    for event in candidates:
        subject = retracted.get(event.data.target_event_id) if isinstance(event.data, EventRetractedView) else event
        if subject is None or subject.house != contract.house or year_of(subject) != contract.year:
            continue
        if event.type == RETRACTED:
            in_year += 1
        explanation = _explain(event, subject, closes, tz, year_of(subject))
        if explanation.after_close and subject.type != PERIOD_CLOSED:
            after_close.append(explanation.event)
        for goal_id, target in wanted:
            if touches(goal_id, target, subject.data):
                found[(goal_id, target.key)].append(explanation)
    changes = tuple(
        _change(goal_id, t, old, found[(goal_id, t.key)], limit, targets[(goal_id, t.key)])
        for goal_id, t, old in changed
    )
    return AuditDiff(after.year, before.as_of, after.as_of, events_between, in_year, changes, tuple(after_close))


def _pairs(before: StatusReport, after: StatusReport) -> list[tuple[str, TargetStatus, TargetStatus]]:
    old = {(g.id, t.key): t for g in before.goals for t in g.targets}
    return [(g.id, t, old[(g.id, t.key)]) for g in after.goals for t in g.targets]


def counting_years(
    log: LogReader, house: str, events: Sequence[RecordedEvent], coursed: set[tuple[str, str]] | None = None
) -> Callable[[RecordedEvent], int]:
    """The year each of `events` counts in (events/years.py), an evaluation's looked up by its course
    (only for the companies in `coursed` when given: any other answer counts in its own year or nowhere)."""
    answers = [
        (e.data.course_type, e.data.company_cvr, e.occurred_on)
        for e in events
        if isinstance(e.data, EvaluationReceivedView)
        and e.house == house
        and (coursed is None or (e.data.course_type, e.data.company_cvr) in coursed)
    ]
    latest = log.latest_courses(house, answers)

    def year_of(event: RecordedEvent) -> int:
        return counts_in_year(
            event.type, event.occurred_on, event.data, lambda ct, cvr, day: latest.get((ct, cvr, day))
        )

    return year_of


def _explain(
    event: RecordedEvent, subject: RecordedEvent, closes: CloseHistory, tz: ZoneInfo, year: int
) -> Explanation:
    close = closes.closed_at(subject.house, year, event.position)
    after_close = None if close is None else f"registreret efter lukning: {close.describe()}"
    late = late_text(subject.occurred_on, event.recorded_at, tz)
    if isinstance(event.data, EventRetractedView):
        return Explanation("retracted", EventRef.of(event), EventRef.of(subject), event.data.reason, late, after_close)
    return Explanation("new", EventRef.of(event), None, None, late, after_close)


def _change(
    goal_id: str, t: TargetStatus, old: TargetStatus, found: list[Explanation], limit: int, target: Target
) -> TargetChange:
    note = None
    if not found:
        if t.kind == "milestone":
            note = (
                "ingen hændelser påvirker milepælen i perioden; status ændret, "
                "fordi bedømmelsesdatoen er en anden (frist)"
            )
        else:
            note = (
                "ingen hændelser påvirker målet i perioden; status ændret, fordi bedømmelsesdatoen er en anden"
                f" (forventet nu: {old.expected_by_now} → {t.expected_by_now})"
            )
    return TargetChange(
        goal_id,
        t.key,
        target.label,
        t.kind,
        t.unit,
        old.actual,
        t.actual,
        old.status,
        t.status,
        tuple(found[:limit]),
        len(found),
        note,
        _official(t),
    )


def _official(t: TargetStatus) -> str | None:
    """Why the status follows another figure than `actual_after`, when it does."""
    from ehsj_core.reports.labels import long_date, number  # the reports package imports this module

    if t.official is None:
        return None
    own = "intet eget tal" if t.actual is None else f"husets eget tal er {number(t.actual)}"
    difference = "" if t.difference is None else f", forskel {number(t.difference)}"
    published = long_date(t.official.published_on)
    return (
        f"Erhvervsstyrelsens tal {number(t.official.value)} ({t.official.source}, offentliggjort {published})"
        f" afgør status og opfyldelse; {own}{difference}"
    )
