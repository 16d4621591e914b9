"""When a house sends its export to the national installation: `days_after` days after each quarter's
last day (31 March, 30 June, 30 September, 31 December), at a local time; and which year that sending
is for — the year of the quarter that ended last (so the sending in early January is the past year's
final export)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

QUARTER_ENDS = ((3, 31), (6, 30), (9, 30), (12, 31))


def quarter_ends(first_year: int, last_year: int) -> list[date]:
    return [date(year, month, day) for year in range(first_year, last_year + 1) for month, day in QUARTER_ENDS]


def send_moment(quarter_end: date, days_after: int, send_time: str, timezone: str) -> datetime:
    """The local moment the export of the quarter ending on `quarter_end` is sent."""
    hour, minute = (int(part) for part in send_time.split(":"))
    return datetime.combine(quarter_end + timedelta(days=days_after), time(hour, minute), ZoneInfo(timezone))


def next_send_at(start: datetime, days_after: int, send_time: str, timezone: str) -> datetime:
    """The first sending moment at or after `start` (an aware datetime)."""
    for end in quarter_ends(start.year - 1, start.year + 1):
        moment = send_moment(end, days_after, send_time, timezone)
        if moment >= start:
            return moment
    raise AssertionError("a quarter ends every three months")  # pragma: no cover


def year_to_send(today: date, days_after: int) -> int:
    """The year of the quarter whose sending day came last on or before `today`."""
    ended = [end for end in quarter_ends(today.year - 2, today.year) if end + timedelta(days=days_after) <= today]
    return ended[-1].year
