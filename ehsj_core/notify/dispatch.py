"""Sending reports: what is due, the ledger rows for it, and one delivery attempt per row.

The scheduler and the API only say "look now"; these functions decide, from the contract calendar
and the ledger, what to send — never from the moment they were called. A late or duplicate call is
harmless, a missed one is caught up (within `catch_up_days`). The final statement is due after each
close of the year still in force, and built at the close's position (closing.py); a status KKR asks
for is one more period of the annual status (on_request.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from ehsj_core.contract.loader import ContractBook, LoadedContract
from ehsj_core.events.validation import InvalidInput, Problem
from ehsj_core.houses import House
from ehsj_core.notify import closing, ledger
from ehsj_core.notify.mail import MailError, MailFailure, compose, deliver_message, sender
from ehsj_core.notify.recipients import RecipientRow, get_recipient, list_recipients
from ehsj_core.reports import kinds
from ehsj_core.reports.data import FailedDispatch
from ehsj_core.reports.periods import Period, periods_of
from ehsj_core.reports.render import digest, render
from ehsj_core.settings import Settings

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Outcome = Literal["sent", "not_claimed", "retry", "failed"]


class SendingSource(kinds.ReportSource, Protocol):
    """What sending needs of the composition root (`ehsj_core.tracker.Tracker` is one): the
    settings, the database, the contracts, and the facts the reports are built from."""

    settings: Settings
    engine: Engine
    tz: ZoneInfo

    @property
    def house(self) -> str: ...

    @property
    def house_info(self) -> House: ...

    def contract_book(self) -> ContractBook: ...

    def contract(self, year: int | None = None) -> LoadedContract: ...


@dataclass(frozen=True)
class Attempt:
    """The outcome of one delivery attempt, and the classified SMTP problem when there was one."""

    outcome: Outcome
    failure: MailFailure | None = None


@dataclass(frozen=True)
class Due:
    kind: str
    period: str
    send_at: datetime


def _at(day: date, hhmm: str, tracker: SendingSource) -> datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=tracker.tz)


def due_reports(tracker: SendingSource, now: datetime) -> list[Due]:
    """Reports whose send moment has passed, no longer ago than the catch-up window."""
    window = timedelta(days=tracker.settings.catch_up_days)
    due: list[Due] = []
    book = tracker.contract_book()
    for year in book.years(tracker.house):
        item = book.get(tracker.house, year)
        assert item is not None
        for scheduled in item.contract.calendar.reports:
            if scheduled.after == "close":
                for statement in closing.due_statements(
                    tracker.log, tracker.house, year, scheduled, tracker.tz, now, window
                ):
                    due.append(Due(scheduled.kind, statement.period, statement.send_at))
                continue
            for period in periods_of(scheduled.every, year):
                send_at = _at(
                    period.end + timedelta(days=scheduled.send_days_after_period), scheduled.send_time, tracker
                )
                if send_at <= now <= send_at + window:
                    due.append(Due(scheduled.kind, period.key, send_at))
    return due


def due_reminder(tracker: SendingSource, now: datetime) -> Due | None:
    """This week's reminder, once its weekday and time have come (a week old at most)."""
    local = now.astimezone(tracker.tz)
    contract = tracker.contract_book().get(tracker.house, local.year)
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
    return kinds.get(kind).resolve(period)


def prepare(tracker: SendingSource, kind: str, period: str, position: int | None = None) -> list[ledger.DispatchRow]:
    """The ledger rows of one report for every active recipient of its audience (made once). A kind
    that is `only_when_open` gets rows only for the recipients whose report has something to say. A
    kind `built_at_close` is built at the position of the close its period names (refused when the
    year is not closed, or was reopened), whatever `position` says."""
    spec = kinds.get(kind)
    spec.resolve(period)  # an unknown period is the caller's error, before anything is made
    if spec.built_at_close:
        position = closing.close_for(tracker.log, tracker.house, period).position
    recipients = list_recipients(tracker.engine, spec.role)
    at = tracker.log.head().position if position is None else position
    if spec.only_when_open:
        recipients = [
            r for r in recipients if not build_for(tracker, kind, period, r.municipality, at, r.name).is_empty
        ]
    mail_from = sender(tracker.settings.mail_from, tracker.house_info)
    return ledger.ensure_rows(tracker.engine, kind, period, recipients, at, mail_from)


def failed_dispatches(tracker: SendingSource) -> list[FailedDispatch]:
    return [
        FailedDispatch(r.kind, r.period, r.email, r.last_error or "")
        for r in ledger.find_rows(tracker.engine, state="failed")
    ]


def build_row(tracker: SendingSource, row: ledger.DispatchRow, recipient: RecipientRow | None = None) -> Any:
    """The report data of one ledger row, from the row's log position (and its recipient)."""
    recipient = recipient or get_recipient(tracker.engine, row.recipient_id)
    name = recipient.name if recipient else None
    return build_for(tracker, row.kind, row.period, row.municipality, row.position, name)


def build_for(
    tracker: SendingSource,
    kind: str,
    period: str,
    municipality: str | None,
    position: int,
    recipient_name: str | None = None,
) -> Any:
    """The report data of one report, from a log position (the registry calls the builder)."""
    spec = kinds.get(kind)
    request = kinds.BuildRequest(
        spec.resolve(period),
        position,
        municipality,
        recipient_name,
        failed=lambda: failed_dispatches(tracker),
        key=period,
    )
    return spec.build(tracker, request)


def deliver(tracker: SendingSource, dispatch_id: int) -> Outcome:
    """One attempt at one row (see `attempt_delivery`): only its outcome."""
    return attempt_delivery(tracker, dispatch_id).outcome


def attempt_delivery(tracker: SendingSource, dispatch_id: int) -> Attempt:
    """One attempt at one row: claim, build at the row's position, render, send, record. Never
    sleeps: a row worth retrying goes back to `pending`, due again `ledger.next_attempt_at`."""
    settings = tracker.settings
    row = ledger.claim(tracker.engine, dispatch_id, settings.sending_timeout_seconds)
    if row is None:
        return Attempt("not_claimed")
    withdrawn = (
        closing.withdrawn(tracker.log, tracker.house, row.period) if kinds.get(row.kind).built_at_close else None
    )
    if withdrawn is not None:
        # The year was reopened before the statement of this close went out: it is not sent (the
        # next close sends its own). Given up, so that the director's reminder says so.
        ledger.mark_attempt_failed(tracker.engine, row.id, f"ikke sendt: {withdrawn}", final=True)
        return Attempt("failed")
    try:
        recipient = get_recipient(tracker.engine, row.recipient_id)
        rendered = render(build_row(tracker, row, recipient))
        name = recipient.name if recipient else row.email
        message = compose(
            rendered,
            to_name=name,
            to_email=row.email,
            mail_from=sender(settings.mail_from, tracker.house_info),
            message_id=row.message_id,
        )
        deliver_message(settings, message)
    except MailError as exc:
        final = not exc.failure.retry or row.attempts >= settings.max_attempts
        ledger.mark_attempt_failed(tracker.engine, row.id, exc.failure.text, final=final)
        return Attempt("failed" if final else "retry", exc.failure)
    except Exception as exc:
        ledger.mark_attempt_failed(tracker.engine, row.id, f"{type(exc).__name__}: {exc}", final=True)
        raise
    ledger.mark_sent(tracker.engine, row.id, digest(rendered))
    return Attempt("sent")


def retry_delay(backoff_seconds: float, attempts: int) -> float:
    """Exponential backoff: the first retry after `backoff_seconds`, then twice as long each time."""
    return ledger.retry_delay(backoff_seconds, attempts)


def preview_report(tracker: SendingSource, kind: str, period: str, municipality: str | None = None) -> tuple[Any, int]:
    """The report as it would be sent now: (rendered report, the log position it was built at)."""
    spec = kinds.get(kind)
    if spec.per_municipality:
        resolved = spec.resolve(period)
        assert isinstance(resolved, Period)
        contract = tracker.contract(resolved.year).contract
        canonical = contract.canonical_municipality(municipality or "")
        if canonical is None:
            allowed = [m.name for m in contract.municipalities]
            raise InvalidInput(
                [Problem("municipality", municipality, "kvartalsrapporten skrives til én kommune", allowed)]
            )
        municipality = canonical
    position = tracker.log.head().position
    return render(build_for(tracker, kind, period, municipality, position)), position
