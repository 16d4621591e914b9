"""The Celery application, built by a factory, and its tasks, defined once at module level.

The tasks are `shared_task`s with explicit names: every app the factory builds (the API's, the
scheduler's, a worker's) registers the very same functions, so no name is ever registered twice to
different callables. Importing this module does no work; a task finds its settings in the app's
configuration (`ehsj_settings`, put there by the factory) and makes its Tracker on first use, one
per settings object per process.

Tasks take ids, kinds and periods, and are idempotent through the dispatch ledger — which is what
makes `acks_late` (redelivery after a worker dies) safe:

    reports.send(kind, period)      make the ledger rows of one report, deliver each open one
    reports.deliver(dispatch_id)    one attempt at one row
    reports.dispatch_due(now=None)  what the calendar says is due (the final statement after a close
                                    too), and every open row whose time came
    reports.send_reminders(now=None)  this week's reminders (director and consultants)
    reports.retry_open()            every open row whose next attempt has come
    ehsj.national.send_export(year=None)  this house's export to the national installation, once per
                                    head position (the upload ledger, ehsj_core/national/uploads.py)

In embedded mode the tasks run in process (eager) and never sleep: a failed attempt leaves its row
pending with a next-attempt time, which `reports.retry_open` (every minute) picks up.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any

from celery import Celery, Task, shared_task

from ehsj_core.events.validation import InvalidInput
from ehsj_core.national import schedule as national_schedule
from ehsj_core.national import sending as national_sending
from ehsj_core.notify import dispatch, ledger
from ehsj_core.reports import kinds
from ehsj_core.settings import Settings, get_settings
from ehsj_core.tracker import Tracker

log = logging.getLogger("ehsj.worker")
SETTINGS_KEY = "ehsj_settings"
TASK_OPTIONS: dict[str, Any] = {"acks_late": True, "reject_on_worker_lost": True}

_trackers: dict[int, tuple[Settings, Tracker]] = {}  # id(settings) → (settings, its tracker), per process
_trackers_lock = threading.Lock()


def create_celery(settings: Settings | None = None) -> Celery:
    settings = settings or get_settings()
    app = Celery("ehsj", broker=settings.redis_url)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_always_eager=settings.mode == "embedded",
        task_eager_propagates=True,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": settings.visibility_timeout_seconds},
        timezone=settings.timezone,
        enable_utc=True,
    )
    app.conf[SETTINGS_KEY] = settings
    return app


def settings_of(app: Celery) -> Settings:
    settings = app.conf.get(SETTINGS_KEY)
    return settings if isinstance(settings, Settings) else get_settings()


def tracker_for(settings: Settings) -> Tracker:
    """One Tracker per settings object and process (a forked worker child makes its own)."""
    with _trackers_lock:
        entry = _trackers.get(id(settings))
        if entry is None or entry[0] is not settings:
            entry = (settings, Tracker(settings))
            _trackers[id(settings)] = entry
        return entry[1]


def _tracker(task: Task) -> Tracker:
    return tracker_for(settings_of(task.app))


def _now(now: str | None) -> datetime:
    return datetime.fromisoformat(now) if now else datetime.now(UTC)


# --- the tasks -----------------------------------------------------------------------------------------
@shared_task(name="reports.deliver", bind=True, max_retries=None, **TASK_OPTIONS)
def deliver(self: Task, dispatch_id: int) -> str:
    """One attempt at one ledger row. A worker retries a failed attempt with exponential backoff;
    in process (embedded) the row is left pending for `reports.retry_open` instead of sleeping."""
    tracker = _tracker(self)
    attempt = dispatch.attempt_delivery(tracker, dispatch_id)
    if attempt.failure is not None:  # in process the caller says it (the CLI, the reports page)
        level = logging.DEBUG if self.request.is_eager else logging.WARNING
        log.log(level, "dispatch %s: %s (%s)", dispatch_id, attempt.failure.text, attempt.outcome)
    if attempt.outcome == "retry" and not self.request.is_eager:
        row = ledger.get_row(tracker.engine, dispatch_id)
        countdown = ledger.retry_delay(tracker.settings.retry_backoff_seconds, row.attempts if row else 1)
        raise self.retry(countdown=countdown)
    if attempt.failure is None:
        log.info("dispatch %s: %s", dispatch_id, attempt.outcome)
    return attempt.outcome


def _deliver_later(task: Task, dispatch_id: int) -> None:
    """`reports.deliver` on the task's own app (not Celery's "current" one)."""
    task.app.tasks["reports.deliver"].delay(dispatch_id)


def _fan_out(task: Task, tracker: Tracker, kind: str, period: str) -> int:
    rows = dispatch.prepare(tracker, kind, period)
    for row in rows:
        if row.state in ("pending", "sending"):
            _deliver_later(task, row.id)
    return len(rows)


@shared_task(name="reports.send", bind=True, **TASK_OPTIONS)
def send_report(self: Task, kind: str, period: str) -> int:
    """One report (any kind of the registry) to every recipient of its audience, once each."""
    kinds.get(kind)
    return _fan_out(self, _tracker(self), kind, period)


@shared_task(name="reports.send_reminders", bind=True, **TASK_OPTIONS)
def send_reminders(self: Task, now: str | None = None) -> int:
    """This week's reminders, once their weekday and time have come: every kind on the calendar's
    reminders entry (the director's, and the consultants' own)."""
    tracker = _tracker(self)
    due = dispatch.due_reminder(tracker, _now(now))
    if due is None:
        return 0
    return sum(_fan_out(self, tracker, spec.name, due.period) for spec in kinds.on_calendar(kinds.REMINDERS))


@shared_task(name="reports.dispatch_due", bind=True, **TASK_OPTIONS)
def dispatch_due(self: Task, now: str | None = None) -> int:
    """Everything the calendar says is due now, plus every open ledger row whose time has come."""
    tracker = _tracker(self)
    count = 0
    for due in dispatch.due_reports(tracker, _now(now)):
        try:
            count += _fan_out(self, tracker, due.kind, due.period)
        except InvalidInput as exc:  # e.g. the year reopened since it was found due: nothing to send
            log.warning("%s %s is no longer due: %s", due.kind, due.period, "; ".join(p.problem for p in exc.problems))
    _deliver_open(self, tracker)
    return count


@shared_task(name="reports.retry_open", bind=True, **TASK_OPTIONS)
def retry_open(self: Task) -> int:
    """Every open ledger row whose next attempt has come (a retry, a crash, a broker that was down)."""
    return _deliver_open(self, _tracker(self))


def _deliver_open(task: Task, tracker: Tracker) -> int:
    settings = tracker.settings
    rows = ledger.open_rows(tracker.engine, settings.sending_timeout_seconds, settings.retry_backoff_seconds)
    for row in rows:
        _deliver_later(task, row.id)
    return len(rows)


# --- issue 14: this house's export to the national installation ----------------------------------------
NATIONAL_RETRIES = 12  # with the doubling backoff from `retry_backoff_seconds`: about three days of tries


@shared_task(name="ehsj.national.send_export", bind=True, max_retries=NATIONAL_RETRIES, **TASK_OPTIONS)
def send_national_export(self: Task, year: int | None = None, now: str | None = None) -> str:
    """Send the export of `year` (without it: the year of the quarter that ended last) to the national
    installation, unless its head is sent already (the upload ledger). Not reached: a worker tries again
    with exponential backoff; in process (embedded) the row is left pending for `ehsj national send` or
    the next quarter's firing. Refused: left `failed` with the reason, for a person."""
    tracker = _tracker(self)
    settings = tracker.settings
    moment = _now(now)
    if year is None:
        year = national_schedule.year_to_send(
            moment.astimezone(tracker.tz).date(), settings.national_send_days_after_quarter
        )
    result = national_sending.send_export(
        tracker.engine, tracker.log, tracker.house, year, settings, moment, book=tracker.contract_book()
    )
    level = logging.WARNING if result.outcome in ("failed", "retry", "not_configured") else logging.INFO
    log.log(level, "national export: %s", result.message())
    if result.outcome == "retry" and not self.request.is_eager:
        countdown = ledger.retry_delay(settings.retry_backoff_seconds, self.request.retries + 1)
        raise self.retry(args=(year, None), countdown=countdown)
    return result.outcome


TASK_NAMES = (
    "reports.send",
    "reports.deliver",
    "reports.dispatch_due",
    "reports.send_reminders",
    "reports.retry_open",
    "ehsj.national.send_export",
)


def send(app: Celery, task: str, *args: Any) -> None:
    """Enqueue a task by name (the scheduler, the API and the CLI only ever do this); in embedded
    mode the task runs here and now, the very same code a worker would run."""
    if app.conf.task_always_eager:
        app.tasks[task].apply(args=args).get()
    else:
        app.send_task(task, args=args)
