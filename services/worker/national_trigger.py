"""The APScheduler trigger of the national export: `days_after` days after each quarter's last day,
at a local time (ehsj_core/national/schedule.py computes the moments). A cron expression cannot say
"N days after the quarter ends" for every N the setting allows (0–60 crosses month ends), hence this
small trigger; it is pickled into the persistent job store, so it keeps only plain values."""

from __future__ import annotations

from datetime import datetime, timedelta

from apscheduler.triggers.base import BaseTrigger

from ehsj_core.national.schedule import next_send_at


class QuarterTrigger(BaseTrigger):  # type: ignore[misc]  # APScheduler has no type hints
    def __init__(self, days_after: int, send_time: str, timezone: str) -> None:
        self.days_after = days_after
        self.send_time = send_time
        self.timezone = timezone

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        start = previous_fire_time + timedelta(microseconds=1) if previous_fire_time is not None else now
        return next_send_at(start, self.days_after, self.send_time, self.timezone)

    def __getstate__(self) -> dict[str, object]:
        return {"days_after": self.days_after, "send_time": self.send_time, "timezone": self.timezone}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.days_after = int(str(state["days_after"]))
        self.send_time = str(state["send_time"])
        self.timezone = str(state["timezone"])

    def __str__(self) -> str:  # install_jobs compares triggers by this
        return f"quarterly[{self.days_after} days after, at {self.send_time} {self.timezone}]"

    def __repr__(self) -> str:
        return f"<QuarterTrigger ({self})>"
