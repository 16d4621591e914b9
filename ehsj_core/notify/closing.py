"""The final statement after the close: which closes of a year call for one, where it is built, when
it is due.

Seed L220–222: "Den endelige resultatopgørelse afrapporteres, når denne kan udarbejdes efter årets
afslutning". The director closes the year with `period.closed`; from then on the dispatch machinery
sends the final statement of that year to KKR once — the calendar's `final_statement` entry
(`after: close`) says how many days after the day of the close, at what time.

- **Built at the close's log position**, not at the position the dispatcher happens to run at: the
  statement KKR receives is the year exactly as the director closed it, the same whichever worker
  sends it and however late, and `ehsj statement YEAR --as-of POSITION` gives the very same
  document. Events the director logs for the year after the close are not in it (the live
  statement lists them as "registreret efter lukning").
- **Once per close still in force.** The ledger period names the close: "2019" for the year's first
  close, "2019-2" for the second … (`periods.closing_period`). A close retracted (the year reopened)
  before its statement went out is skipped, and a row still waiting for it is given up
  (`reopened_problem`). A close after a reopening sends a new statement for that close; when a
  statement of an earlier close had been sent, the new one is marked "Rettet endelig
  resultatopgørelse" and names the one it replaces (audit/statement.py, `corrected`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from ehsj_core.contract.model import ScheduledReport
from ehsj_core.events.closes import Close
from ehsj_core.events.reader import LogReader
from ehsj_core.events.validation import InvalidInput, Problem
from ehsj_core.reports.periods import closing_period, parse_closing_period


@dataclass(frozen=True)
class DueStatement:
    period: str  # "2019", "2019-2" …
    close: Close
    send_at: datetime


def closes_of(log: LogReader, house: str, year: int) -> list[Close]:
    """Every close of the year in log order (reopened ones too), as the log stands now."""
    return log.closes().for_year(house, year)


def close_for(log: LogReader, house: str, period: str) -> Close:
    """The close a final statement's period names; refused when there is no such close, or when it
    has been retracted (the year reopened)."""
    year, ordinal = parse_closing_period(period)
    closes = closes_of(log, house, year)
    if not closes:
        raise InvalidInput(
            [Problem("period", period, f"{year} er ikke lukket: den endelige resultatopgørelse sendes efter lukningen")]
        )
    if ordinal > len(closes):
        problem = f"{year} er lukket {len(closes)} gang(e); der er ingen lukning nummer {ordinal}"
        raise InvalidInput(
            [Problem("period", period, problem, [closing_period(year, n + 1) for n in range(len(closes))])]
        )
    close = closes[ordinal - 1]
    if close.reopened_at is not None:
        raise InvalidInput([Problem("period", period, reopened_problem(close))])
    return close


def reopened_problem(close: Close) -> str:
    return (
        f"{close.year} blev genåbnet ved position {close.reopened_at} (lukningen ved position {close.position} er"
        " tilbagekaldt); den endelige resultatopgørelse sendes, når året lukkes igen"
    )


def withdrawn(log: LogReader, house: str, period: str) -> str | None:
    """Why the close of a final statement's period is no longer in force (in Danish), or None when it is."""
    try:
        close_for(log, house, period)
    except InvalidInput as exc:
        return "; ".join(p.problem for p in exc.problems)
    return None


def send_moment(close: Close, scheduled: ScheduledReport, tz: ZoneInfo) -> datetime:
    """`send_days_after_period` days after the day of the close, at `send_time` — never before the close."""
    hour, minute = (int(x) for x in scheduled.send_time.split(":"))
    day = close.recorded_at.astimezone(tz).date() + timedelta(days=scheduled.send_days_after_period)
    return max(close.recorded_at, datetime.combine(day, time(hour, minute), tzinfo=tz))


def due_statements(
    log: LogReader, house: str, year: int, scheduled: ScheduledReport, tz: ZoneInfo, now: datetime, window: timedelta
) -> list[DueStatement]:
    """The final statements of the year due at `now`: one per close still in force whose send moment
    has passed, no longer ago than the catch-up window (an old year's close mails nothing by itself)."""
    due = []
    for ordinal, close in enumerate(closes_of(log, house, year), start=1):
        if close.reopened_at is not None:
            continue
        send_at = send_moment(close, scheduled, tz)
        if send_at <= now <= send_at + window:
            due.append(DueStatement(closing_period(year, ordinal), close, send_at))
    return due
