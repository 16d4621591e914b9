"""The scheduler's configuration with a real APScheduler and job store (clock injected, not slept)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from ehsj_core.contract.loader import ContractBook, read_contract_folder
from ehsj_core.settings import Settings
from services.worker.scheduler import MISFIRE_GRACE_SECONDS, build_scheduler, calendar_triggers
from tests.conftest import CONTRACTS

FIRED: list[str] = []
CPH = ZoneInfo("Europe/Copenhagen")


def record(name: str) -> None:
    """The job under test (a module-level function, as the persistent job store requires)."""
    FIRED.append(name)


def _scheduler(tmp_path: Path) -> object:
    return build_scheduler(Settings(database_url=f"sqlite:///{tmp_path / 'jobs.sqlite3'}"))


def test_a_job_missed_while_the_scheduler_was_down_fires_once_when_it_starts(tmp_path: Path) -> None:
    FIRED.clear()
    scheduler = _scheduler(tmp_path)
    trigger = CronTrigger(hour=7, minute=0, timezone=CPH)
    # As if stored before a shutdown: due three days ago, and missed three times since.
    missed = datetime.now(CPH) - timedelta(days=3)
    scheduler.add_job(record, trigger, args=["quarterly"], id="q", next_run_time=missed)  # type: ignore[attr-defined]
    scheduler.start()  # type: ignore[attr-defined]
    try:
        deadline = time.monotonic() + 10
        while not FIRED and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
    finally:
        scheduler.shutdown()  # type: ignore[attr-defined]
    assert FIRED == ["quarterly"]  # coalesced: once, not three times


def test_a_job_missed_longer_ago_than_the_grace_does_not_fire(tmp_path: Path) -> None:
    FIRED.clear()
    scheduler = _scheduler(tmp_path)
    too_late = datetime.now(CPH) - timedelta(seconds=MISFIRE_GRACE_SECONDS + 3600)
    scheduler.add_job(record, "date", run_date=too_late, args=["stale"], id="s")  # type: ignore[attr-defined]
    scheduler.start()  # type: ignore[attr-defined]
    time.sleep(1)
    scheduler.shutdown()  # type: ignore[attr-defined]
    assert FIRED == []
    assert MISFIRE_GRACE_SECONDS >= 7 * 24 * 3600


def test_the_calendar_triggers_avoid_the_daylight_saving_hour() -> None:
    book = ContractBook(read_contract_folder(CONTRACTS))
    triggers = calendar_triggers(book, "sjaelland", "Europe/Copenhagen")
    assert set(triggers) == {"reports.dispatch_due@07:00", "reports.send_reminders", "reports.retry_open"}
    for job_id, trigger in triggers.items():
        if job_id == "reports.retry_open":
            continue
        # Across the spring and autumn changes of 2026, no firing falls between 02:00 and 03:00.
        moment = datetime(2026, 3, 20, tzinfo=CPH)
        for _ in range(30):
            fire = trigger.get_next_fire_time(None, moment)
            assert fire is not None and fire.hour != 2
            moment = fire + timedelta(minutes=1)
    monday = triggers["reports.send_reminders"].get_next_fire_time(None, datetime(2026, 11, 27, tzinfo=CPH))
    assert monday is not None and monday.weekday() == 0 and (monday.hour, monday.minute) == (7, 0)
