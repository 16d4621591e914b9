"""The scheduler: APScheduler on the contract calendar; it only ever enqueues Celery tasks.

Exactly one runs in the distributed setup (`ehsj scheduler`); in embedded mode `ehsj serve` runs
one in the background. Jobs live in a persistent SQLAlchemy job store, coalesce, and have a week of
misfire grace (APScheduler's default is one second): a scheduler that was down at a quarter boundary
fires once when it is back, and the fired task then finds what is due from the calendar and ledger.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import lru_cache

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from celery import Celery

from ehsj_core.contract.loader import ContractBook
from ehsj_core.installation import house_for
from ehsj_core.settings import Settings, get_settings
from services.worker.app import create_celery, send
from services.worker.national_trigger import QuarterTrigger

log = logging.getLogger("ehsj.scheduler")
MISFIRE_GRACE_SECONDS = 7 * 24 * 3600
RETRY_EVERY_SECONDS = 60  # how often open ledger rows whose next attempt has come are tried again
CATCH_UP_JOB = "catch-up-on-start"
NATIONAL_JOB = "national-export"
JOB_TASKS = {NATIONAL_JOB: "ehsj.national.send_export"}  # a job whose id is not its task's name


@lru_cache(maxsize=1)
def _celery() -> Celery:
    return create_celery(get_settings())


def enqueue(task: str) -> None:
    """The only thing a job does. If the broker is down the failure is logged and the next firing
    catches up: due work is decided from the ledger, not from this call."""
    try:
        send(_celery(), task)
    except Exception:
        log.exception("could not enqueue %s; the next firing will catch up", task)


def calendar_triggers(book: ContractBook, house: str, timezone: str) -> dict[str, CronTrigger | IntervalTrigger]:
    """job id (the task's name, @ a time when there are several) → trigger: a daily look at the
    reports at each send time of the calendars, the weekly reminders, and every minute a retry of
    the open ledger rows whose next attempt has come. All calendar times lie outside 02:00–03:00,
    the hour daylight saving skips or repeats."""
    triggers: dict[str, CronTrigger | IntervalTrigger] = {}
    for year in book.years(house):
        item = book.get(house, year)
        assert item is not None
        calendar = item.contract.calendar
        for report in calendar.reports:
            hour, minute = (int(x) for x in report.send_time.split(":"))
            _check_hour(hour, report.kind)
            triggers[f"reports.dispatch_due@{report.send_time}"] = CronTrigger(
                hour=hour, minute=minute, timezone=timezone
            )
        hour, minute = (int(x) for x in calendar.reminders.send_time.split(":"))
        _check_hour(hour, "reminders")
        triggers["reports.send_reminders"] = CronTrigger(
            day_of_week=calendar.reminders.weekday, hour=hour, minute=minute, timezone=timezone
        )
    triggers["reports.retry_open"] = IntervalTrigger(seconds=RETRY_EVERY_SECONDS, timezone=timezone)
    return triggers


def _check_hour(hour: int, what: str) -> None:
    if hour == 2:
        raise ValueError(f"{what}: no trigger between 02:00 and 03:00 (daylight saving time)")


def build_scheduler(settings: Settings) -> BackgroundScheduler:
    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=settings.database_url, tablename="scheduler_jobs")},
        job_defaults={"coalesce": True, "misfire_grace_time": MISFIRE_GRACE_SECONDS, "max_instances": 1},
        timezone=settings.timezone,
    )


def national_triggers(settings: Settings) -> dict[str, BaseTrigger]:
    """The national export after each quarter (`national_send_days_after_quarter` days after its last
    day, at `national_send_time`, local time) — only when a national installation is configured."""
    if not settings.national_url:
        return {}
    trigger = QuarterTrigger(settings.national_send_days_after_quarter, settings.national_send_time, settings.timezone)
    return {NATIONAL_JOB: trigger}


def install_jobs(scheduler: BaseScheduler, triggers: dict[str, BaseTrigger]) -> None:
    """Add the calendar's jobs to a started (paused) scheduler. A job already in the store keeps
    its next run time, so one missed while the scheduler was down still fires (once) on resume;
    a job whose trigger changed is rescheduled; a stored job no longer wanted (a task renamed, a
    send time changed) is removed."""
    for job in scheduler.get_jobs():
        if job.id not in triggers and job.id != CATCH_UP_JOB:
            scheduler.remove_job(job.id)
    for job_id, trigger in triggers.items():
        task = JOB_TASKS.get(job_id, job_id.split("@")[0])
        job = scheduler.get_job(job_id)
        if job is None:
            scheduler.add_job(enqueue, trigger, args=[task], id=job_id)
        elif str(job.trigger) != str(trigger):
            scheduler.reschedule_job(job_id, trigger=trigger)
    # Also look once at every start, so that what fell due while no scheduler ran goes out now.
    scheduler.add_job(enqueue, args=["reports.dispatch_due"], id=CATCH_UP_JOB, replace_existing=True)


def start_scheduler(settings: Settings, book: ContractBook) -> BackgroundScheduler:
    """Start a scheduler thread with the calendar's jobs (the caller keeps the process alive)."""
    scheduler = build_scheduler(settings)
    scheduler.start(paused=True)
    # the house: EHSJ_HOUSE, else the one the database records (ehsj_core/installation.py)
    triggers = calendar_triggers(book, house_for(settings), settings.timezone) | national_triggers(settings)
    install_jobs(scheduler, triggers)
    install_heartbeat(scheduler, settings)
    scheduler.resume()
    return scheduler


def install_heartbeat(scheduler: BaseScheduler, settings: Settings) -> None:
    """Write the heartbeat row now and every `heartbeat_interval_seconds` (`ehsj health scheduler`).
    In a memory job store: nothing to keep across restarts, and the job may hold the engine."""
    from apscheduler.jobstores.memory import MemoryJobStore

    from ehsj_core.db import engine_for
    from ehsj_core.heartbeat import beat

    engine = engine_for(settings.database_url)

    def heartbeat() -> None:
        try:
            beat(engine)
        except Exception:
            log.exception("could not write the scheduler heartbeat")

    scheduler.add_jobstore(MemoryJobStore(), "heartbeat")
    scheduler.add_job(
        heartbeat,
        "interval",
        seconds=settings.heartbeat_interval_seconds,
        id="heartbeat",
        jobstore="heartbeat",
        next_run_time=datetime.now(UTC),
        misfire_grace_time=settings.heartbeat_interval_seconds,
    )
