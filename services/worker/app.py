"""The Celery application and its tasks, built by a factory (nothing happens at import time).

Tasks take ids or periods, open what they need, and are idempotent through the dispatch ledger —
which is what makes `acks_late` (redelivery after a worker dies) safe.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from celery import Celery, Task

from ehsj_core.notify import dispatch, ledger
from ehsj_core.settings import Settings, get_settings
from ehsj_core.tracker import Tracker

log = logging.getLogger("ehsj.worker")
EAGER_MAX_WAIT_SECONDS = 30.0


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
    _register_tasks(app, settings)
    return app


def _register_tasks(app: Celery, settings: Settings) -> None:
    trackers: list[Tracker] = []  # one per worker process, made on first use

    def tracker() -> Tracker:
        if not trackers:
            trackers.append(Tracker(settings))
        return trackers[0]

    @app.task(name="reports.deliver", bind=True, max_retries=None)
    def deliver(self: Task, dispatch_id: int) -> str:
        outcome = dispatch.deliver(tracker(), dispatch_id)
        if outcome == "retry":
            row_attempts = _attempts(tracker(), dispatch_id)
            countdown = dispatch.retry_delay(settings.retry_backoff_seconds, row_attempts)
            log.warning("dispatch %s: SMTP refused, retry %s in %.1fs", dispatch_id, row_attempts, countdown)
            if self.request.is_eager:  # in process, Celery would retry at once: wait here instead
                time.sleep(min(countdown, EAGER_MAX_WAIT_SECONDS))
            raise self.retry(countdown=countdown)
        log.info("dispatch %s: %s", dispatch_id, outcome)
        return outcome

    def fan_out(kind: str, period: str) -> int:
        rows = dispatch.prepare(tracker(), kind, period)
        for row in rows:
            if row.state in ("pending", "sending"):
                deliver.delay(row.id)
        return len(rows)

    @app.task(name="reports.send_quarterly")
    def send_quarterly(period: str) -> int:
        return fan_out("quarterly_status", period)

    @app.task(name="reports.send_half_year")
    def send_half_year(period: str) -> int:
        return fan_out("half_year_report", period)

    @app.task(name="reports.send_annual")
    def send_annual(period: str) -> int:
        return fan_out("annual_status", period)

    @app.task(name="reminders.send")
    def send_reminders(now: str | None = None) -> int:
        moment = datetime.fromisoformat(now) if now else datetime.now(UTC)
        due = dispatch.due_reminder(tracker(), moment)
        if due is None:
            return 0
        return fan_out("reminder", due.period) + fan_out("consultant_reminder", due.period)

    @app.task(name="reports.dispatch_due")
    def dispatch_due(now: str | None = None) -> int:
        """Everything the calendar says is due now, plus every open ledger row (caught up)."""
        moment = datetime.fromisoformat(now) if now else datetime.now(UTC)
        count = 0
        for due in dispatch.due_reports(tracker(), moment):
            count += fan_out(due.kind, due.period)
        for row in ledger.open_rows(tracker().engine, settings.sending_timeout_seconds):
            deliver.delay(row.id)
        return count


def _attempts(tracker: Tracker, dispatch_id: int) -> int:
    row = ledger.get_row(tracker.engine, dispatch_id)
    return row.attempts if row else 1


def send(app: Celery, task: str, *args: Any) -> None:
    """Enqueue a task by name (the scheduler and the API only ever do this); in embedded mode the
    task runs here and now, the very same code a worker would run."""
    if app.conf.task_always_eager:
        app.tasks[task].apply(args=args).get()
    else:
        app.send_task(task, args=args)
