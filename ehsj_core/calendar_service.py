"""The calendar feed served: the facts of the log it shows, the feed behind a secret address, and the
"Kalender" page's content. Entry points call these; what the calendar holds is calendar_feed.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ehsj_core.calendar_feed import (
    EPOCH,
    MEETING_BODIES,
    CalendarItem,
    FeedFacts,
    LoggedMeeting,
    feed_events,
    feed_title,
    undated_meetings,
)
from ehsj_core.calendar_ics import to_ics
from ehsj_core.calendar_tokens import FeedAddress, current_feed, feed_key, feed_owner, feed_url_token, renew_feed
from ehsj_core.contract.loader import ContractBook, contracts_table
from ehsj_core.contract.model import Contract, Meeting
from ehsj_core.events.reader import LogReader
from ehsj_core.events.views import MeetingHeldView, MilestoneReachedView
from ehsj_core.houses import House, HouseBook
from ehsj_core.reports.house import is_fictitious
from ehsj_core.reports.periods import closing_period
from ehsj_core.settings import Settings
from ehsj_core.users import Principal


class FeedSource(Protocol):
    """What the feed needs of the composition root (a Tracker is one)."""

    settings: Settings
    engine: Engine
    log: LogReader
    tz: ZoneInfo

    @property
    def house(self) -> str: ...

    houses: HouseBook  # the house file: the KKR's name, whether the house is a fictitious example

    @property
    def house_info(self) -> House: ...

    def contract_book(self) -> ContractBook: ...


def house_contracts(source: FeedSource) -> list[Contract]:
    book = source.contract_book()
    found = [book.get(source.house, year) for year in book.years(source.house)]
    return [item.contract for item in found if item is not None]


def read_feed_facts(source: FeedSource, contracts: Sequence[Contract]) -> FeedFacts:
    """The facts of the log the calendar shows, as the log stands now (retracted events count nowhere)."""
    years = {c.year for c in contracts}
    reached: dict[tuple[int, str], date] = {}
    meetings: list[LoggedMeeting] = []
    wanted = ["milestone.reached", "meeting.held"]
    for event in source.log.read_all(types=wanted, house=source.house, live_only=True):
        data = event.data
        if isinstance(data, MilestoneReachedView) and event.occurred_on.year in years:
            key = (event.occurred_on.year, data.milestone)
            reached[key] = min(reached.get(key, event.occurred_on), event.occurred_on)
        elif isinstance(data, MeetingHeldView) and data.meeting_kind in MEETING_BODIES:
            meetings.append(LoggedMeeting(event.event_id, event.occurred_on, data.meeting_kind, data.title))
    history = source.log.closes()
    statements = tuple(
        (closing_period(year, ordinal), close)
        for year in sorted(years)
        for ordinal, close in enumerate(history.for_year(source.house, year), start=1)
        if close.reopened_at is None
    )
    return FeedFacts(reached, tuple(meetings), statements, _stamp(source))


def _stamp(source: FeedSource) -> datetime:
    """The later of the newest contract version's loading and the log's last event: the feed's bytes
    change only when one of them does (calendar_ics.py)."""
    with source.engine.connect() as conn:
        loaded = conn.execute(
            sa.select(sa.func.max(contracts_table.c.loaded_at)).where(contracts_table.c.house == source.house)
        ).scalar()
    moments = [m for m in (loaded, source.log.head().recorded_at) if m is not None]
    return max((_utc(m) for m in moments), default=EPOCH)


def calendar_for_token(source: FeedSource, token: str, base_url: str) -> bytes | None:
    """The iCalendar document behind a secret address, for its owner's current role; None (404) for
    an unknown or renewed address and for a disabled user."""
    user = feed_owner(source.engine, token)
    if user is None:
        return None
    contracts = house_contracts(source)
    facts = read_feed_facts(source, contracts)
    house = source.house_info
    fictitious = is_fictitious(house, contracts)
    name, description = feed_title(user, house, fictitious)
    items = feed_events(contracts, facts, user, source.tz, source.houses)
    return to_ics(items, name=name, description=description, stamp=facts.stamp, tz=source.tz, base_url=base_url)


@dataclass(frozen=True)
class CalendarPage:
    """What the "Kalender" page shows: the user's address (None: not made yet), the items of their
    calendar, and the contract meetings that have no date."""

    address: FeedAddress | None
    items: list[CalendarItem]
    undated: list[tuple[Contract, Meeting]]


def calendar_page(source: FeedSource, user: Principal) -> CalendarPage:
    contracts = house_contracts(source)
    items = feed_events(contracts, read_feed_facts(source, contracts), user, source.tz, source.houses)
    undated = undated_meetings(contracts) if user.may("browse") else []
    return CalendarPage(current_feed(source.engine, user.id, _key(source)), items, undated)


def make_address(source: FeedSource, user: Principal) -> FeedAddress:
    return feed_url_token(source.engine, user, _key(source))


def renew_address(source: FeedSource, user: Principal) -> FeedAddress:
    return renew_feed(source.engine, user, _key(source))


def _key(source: FeedSource) -> bytes:
    secret = source.settings.secret_key
    assert secret is not None  # Settings makes one outside production, refuses none in it
    return feed_key(secret.get_secret_value())


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
