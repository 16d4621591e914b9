"""Closed contract years (`period.closed`), as the log records them. Pure data, no I/O.

Once the director has closed a year, an event that counts in it — by its `occurred_on`, or for a
retraction by the `occurred_on` of the event it withdraws — needs the director role (the rule book),
and every diff and the final statement flag it "registreret efter lukning". A retraction of the
close reopens the year from that position on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Close:
    """One `period.closed` event, and the position of the retraction that reopened it, if any."""

    house: str
    year: int
    event_id: str
    position: int
    recorded_at: datetime
    recorded_by: str
    note: str | None
    reopened_at: int | None = None

    def active_at(self, position: int) -> bool:
        """Whether an event at `position` comes after this close and before any reopening."""
        return self.position < position and (self.reopened_at is None or position < self.reopened_at)

    def describe(self) -> str:
        when = self.recorded_at.date().isoformat()
        return f"{self.year} blev lukket af {self.recorded_by} den {when} (position {self.position})"


@dataclass(frozen=True)
class CloseHistory:
    """Every close in the log (up to a position), to ask whether a year was closed at a position."""

    closes: tuple[Close, ...]

    def closed_at(self, house: str, year: int, position: int) -> Close | None:
        return next((c for c in self.closes if c.house == house and c.year == year and c.active_at(position)), None)

    def for_year(self, house: str, year: int) -> list[Close]:
        return [c for c in self.closes if c.house == house and c.year == year]
