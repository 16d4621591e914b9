"""Calendar items → an iCalendar document (RFC 5545) that Outlook and Google Calendar subscribe to.

- `METHOD:PUBLISH`, a Danish `X-WR-CALNAME`, `X-WR-TIMEZONE` and a `VTIMEZONE` for the business time
  zone, so that "07:00" stays 07:00 in Copenhagen in summer and winter alike.
- The `VTIMEZONE` is computed from the zoneinfo database for the years the feed covers (every
  offset change, as RDATEs). Each observance's DTSTART is its onset in the local time *before* the
  change, as RFC 5545 3.6.5 defines it together with TZOFFSETFROM: 02:00 in March, 03:00 in October.
  (icalendar's `Timezone.from_tzinfo` writes the wall-clock time after the change for the March
  onset, 03:00, which a strict reader takes for an onset an hour late.)
- Deterministic: the same items, stamp and address give the same bytes. Every event's UID comes from
  the item, so a calendar app updates an event rather than adding a copy; DTSTAMP is the stamp the
  caller hands in (when the feed's content was last able to change), never the clock.
- All events are "free" (TRANSP:TRANSPARENT): a deadline or a report going out books nobody's time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard

from ehsj_core.calendar_feed import CalendarItem

PRODID = "-//EHSJ//EHSJ målopfølgning//DA"  # the product; the calendar's name and description name the house
TIMED_LENGTH = timedelta(minutes=30)  # a report "sent at 07:00" shows as 07:00–07:30
REFRESH = timedelta(hours=12)  # how often apps are asked to fetch the feed again


def to_ics(
    items: Sequence[CalendarItem], *, name: str, description: str, stamp: datetime, tz: ZoneInfo, base_url: str
) -> bytes:
    """The iCalendar document of `items`: CRLF line ends, lines folded at 75 octets (icalendar)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-caldesc", description)
    cal.add("x-wr-timezone", tz.key)
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT12H")
    years = [_day(item.start).year for item in items] or [stamp.astimezone(tz).year]
    cal.add_component(vtimezone(tz.key, min(years), max(years)))
    for item in items:
        cal.add_component(_event(item, stamp.astimezone(UTC), base_url.rstrip("/")))
    document: bytes = cal.to_ical()
    return document


def _event(item: CalendarItem, stamp: datetime, base_url: str) -> Event:
    event = Event()
    event.add("uid", item.uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", item.start)
    end = item.start + TIMED_LENGTH if isinstance(item.start, datetime) else item.start + timedelta(days=1)
    event.add("dtend", end)
    event.add("summary", item.summary)
    event.add("description", item.description)
    event.add("categories", [item.category])
    event.add("url", base_url + item.path)
    event.add("transp", "TRANSPARENT")
    return event


def _day(start: date | datetime) -> date:
    return start.date() if isinstance(start, datetime) else start


@lru_cache(maxsize=16)
def vtimezone(key: str, first_year: int, last_year: int) -> Timezone:
    """The VTIMEZONE of the zone `key` from a year before `first_year` to the end of the year after
    `last_year`: one STANDARD or DAYLIGHT per distinct observance, its first onset as DTSTART and the
    later ones as RDATE."""
    tz = ZoneInfo(key)
    start = datetime(first_year - 1, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 2, 1, 1, tzinfo=UTC)
    component = Timezone()
    component.add("tzid", key)
    observances: dict[tuple[bool, timedelta, timedelta, str], list[datetime]] = {}
    for moment, before, after in _transitions(tz, start, end):
        local = moment.astimezone(tz)
        kind = (bool(local.dst()), before, after, local.tzname() or key)
        observances.setdefault(kind, []).append((moment + before).replace(tzinfo=None))
    if not observances:  # a zone without changes in the span: one observance from its start
        local = start.astimezone(tz)
        offset = local.utcoffset() or timedelta(0)
        observances[(False, offset, offset, local.tzname() or key)] = [(start + offset).replace(tzinfo=None)]
    for (dst, before, after, tzname), onsets in sorted(observances.items(), key=lambda kv: kv[1][0]):
        part = TimezoneDaylight() if dst else TimezoneStandard()
        part.add("dtstart", onsets[0])
        if len(onsets) > 1:
            part.add("rdate", onsets[1:])
        part.add("tzname", tzname)
        part.add("tzoffsetfrom", before)
        part.add("tzoffsetto", after)
        component.add_component(part)
    return component


def _transitions(tz: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, timedelta, timedelta]]:
    """Every change of the zone's UTC offset in [start, end): (the instant in UTC, offset before,
    offset after). Found day by day, then to the second by bisection."""
    found: list[tuple[datetime, timedelta, timedelta]] = []

    def offset(moment: datetime) -> timedelta:
        return moment.astimezone(tz).utcoffset() or timedelta(0)

    day = start
    while day < end:
        following = day + timedelta(days=1)
        before, after = offset(day), offset(following)
        if before != after:
            low, high = day, following  # offset(low) == before, offset(high) == after
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if offset(middle) == before:
                    low = middle
                else:
                    high = middle
            found.append((high, before, after))
        day = following
    return found
