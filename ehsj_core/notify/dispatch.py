"""Sending reports: what is due, the ledger rows for it, and one delivery attempt per row.

The scheduler and the API only say "look now"; these functions decide, from the contract calendar
and the ledger, what to send — never from the moment they were called. A late or duplicate call is
harmless, a missed one is caught up (within `catch_up_days`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from ehsj_core.events.validation import InvalidInput, Problem
from ehsj_core.notify import ledger
from ehsj_core.notify.mail import TransientMailError, compose, deliver_message
from ehsj_core.notify.recipients import AUDIENCE_ROLE, RecipientRow, get_recipient, list_recipients
from ehsj_core.reports.consultant import build_consultant_reminder
from ehsj_core.reports.data import (
    FailedDispatch,
    build_annual,
    build_half_year,
    build_quarterly,
    build_reminder,
)
from ehsj_core.reports.periods import Period, parse_period, periods_of
from ehsj_core.reports.render import digest, render
from ehsj_core.tracker import Tracker

REPORT_KINDS: dict[str, tuple[str, str]] = {
    # kind → (period kind, audience)
    "quarterly_status": ("quarter", "business_chiefs"),
    "half_year_report": ("half_year", "k17"),
    "annual_status": ("year", "kkr"),
    "reminder": ("week", "director"),
    "consultant_reminder": ("week", "consultants"),
}
WEEKLY = ("reminder", "consultant_reminder")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Outcome = Literal["sent", "not_claimed", "retry", "failed"]


@dataclass(frozen=True)
class Due:
    kind: str
    period: str
    send_at: datetime


def _at(day: date, hhmm: str, tracker: Tracker) -> datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=tracker.tz)


def due_reports(tracker: Tracker, now: datetime) -> list[Due]:
    """Reports whose send moment has passed, no longer ago than the catch-up window."""
    window = timedelta(days=tracker.settings.catch_up_days)
    due: list[Due] = []
    for year in tracker.book.years(tracker.house):
        item = tracker.book.get(tracker.house, year)
        assert item is not None
        for scheduled in item.contract.calendar.reports:
            for period in periods_of(scheduled.every, year):
                send_at = _at(period.end + timedelta(days=scheduled.send_days_after_period), scheduled.send_time, tracker)
                if send_at <= now <= send_at + window:
                    due.append(Due(scheduled.kind, period.key, send_at))
    return due


def due_reminder(tracker: Tracker, now: datetime) -> Due | None:
    """This week's reminder, once its weekday and time have come (a week old at most)."""
    local = now.astimezone(tracker.tz)
    contract = tracker.book.get(tracker.house, local.year)
    if contract is None:
        return None
    rules = contract.contract.calendar.reminders
    day = local.date() - timedelta(days=(local.weekday() - WEEKDAYS.index(rules.weekday)) % 7)
    send_at = _at(day, rules.send_time, tracker)
    if not send_at <= now <= send_at + timedelta(days=min(7, tracker.settings.catch_up_days or 7)):
        return None
    iso = day.isocalendar()
    return Due("reminder", f"{iso.year}-W{iso.week:02d}", send_at)


def resolve_period(kind: str, period: str) -> Period | date:
    if kind not in REPORT_KINDS:
        raise InvalidInput([Problem("kind", kind, "ukendt rapporttype", list(REPORT_KINDS))])
    if kind in WEEKLY:
        try:
            year, week = period.split("-W")
            return date.fromisocalendar(int(year), int(week), 1)
        except ValueError:
            raise InvalidInput([Problem("period", period, "skal være en ISO-uge, fx 2026-W48")]) from None
    return parse_period(period, REPORT_KINDS[kind][0])


def prepare(tracker: Tracker, kind: str, period: str, position: int | None = None) -> list[ledger.DispatchRow]:
    """The ledger rows of one report for every active recipient of its audience (made once)."""
    resolved = resolve_period(kind, period)
    role = AUDIENCE_ROLE[REPORT_KINDS[kind][1]]
    recipients = list_recipients(tracker.engine, role)
    at = tracker.log.head().position if position is None else position
    if kind == "reminder":
        assert isinstance(resolved, date)
        if build_reminder(tracker, resolved, at, failed_dispatches(tracker)).is_empty:
            return []
    if kind == "consultant_reminder":  # only to the consultants who have something open
        assert isinstance(resolved, date)
        recipients = [r for r in recipients if not build_consultant_reminder(tracker, r.name, resolved, at).is_empty]
    return ledger.ensure_rows(tracker.engine, kind, period, recipients, at, tracker.settings.mail_from)


def failed_dispatches(tracker: Tracker) -> list[FailedDispatch]:
    return [
        FailedDispatch(r.kind, r.period, r.email, r.last_error or "")
        for r in ledger.find_rows(tracker.engine, state="failed")
    ]


def build_row(tracker: Tracker, row: ledger.DispatchRow, recipient: RecipientRow | None = None) -> Any:
    """The report data of one ledger row, from the row's log position (and its recipient)."""
    recipient = recipient or get_recipient(tracker.engine, row.recipient_id)
    name = recipient.name if recipient else None
    return build_for(tracker, row.kind, row.period, row.municipality, row.position, name)


def build_for(
    tracker: Tracker, kind: str, period: str, municipality: str | None, position: int, recipient_name: str | None = None
) -> Any:
    """The report data of one report, from a log position."""
    resolved = resolve_period(kind, period)
    if kind == "quarterly_status":
        assert isinstance(resolved, Period) and municipality is not None
        return build_quarterly(tracker, resolved, municipality, position)
    if kind == "half_year_report":
        assert isinstance(resolved, Period)
        return build_half_year(tracker, resolved, position)
    if kind == "annual_status":
        assert isinstance(resolved, Period)
        return build_annual(tracker, resolved.year, position)
    assert isinstance(resolved, date)
    if kind == "consultant_reminder":
        assert recipient_name is not None
        return build_consultant_reminder(tracker, recipient_name, resolved, position)
    return build_reminder(tracker, resolved, position, failed_dispatches(tracker))


def deliver(tracker: Tracker, dispatch_id: int) -> Outcome:
    """One attempt at one row: claim, build at the row's position, render, send, record."""
    settings = tracker.settings
    row = ledger.claim(tracker.engine, dispatch_id, settings.sending_timeout_seconds)
    if row is None:
        return "not_claimed"
    try:
        recipient = get_recipient(tracker.engine, row.recipient_id)
        rendered = render(build_row(tracker, row, recipient))
        name = recipient.name if recipient else row.email
        message = compose(rendered, to_name=name, to_email=row.email, mail_from=settings.mail_from, message_id=row.message_id)
        deliver_message(settings, message)
    except TransientMailError as exc:
        final = row.attempts >= settings.max_attempts
        ledger.mark_attempt_failed(tracker.engine, row.id, str(exc), final=final)
        return "failed" if final else "retry"
    except Exception as exc:
        ledger.mark_attempt_failed(tracker.engine, row.id, f"{type(exc).__name__}: {exc}", final=True)
        raise
    ledger.mark_sent(tracker.engine, row.id, digest(rendered))
    return "sent"


def retry_delay(backoff_seconds: float, attempts: int) -> float:
    """Exponential backoff: the first retry after `backoff_seconds`, then twice as long each time."""
    return float(backoff_seconds * 2 ** max(0, attempts - 1))


def preview_report(tracker: Tracker, kind: str, period: str, municipality: str | None = None) -> tuple[Any, int]:
    """The report as it would be sent now: (rendered report, the log position it was built at)."""
    if kind == "quarterly_status":
        resolved = resolve_period(kind, period)
        assert isinstance(resolved, Period)
        contract = tracker.contract(resolved.year).contract
        canonical = contract.canonical_municipality(municipality or "")
        if canonical is None:
            allowed = [m.name for m in contract.municipalities]
            raise InvalidInput([Problem("municipality", municipality, "kvartalsrapporten skrives til én kommune", allowed)])
        municipality = canonical
    position = tracker.log.head().position
    return render(build_for(tracker, kind, period, municipality, position)), position
