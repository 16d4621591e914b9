"""The calendar's VTIMEZONE, computed from the zoneinfo database, and its items, without I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar

from ehsj_core.calendar_feed import FeedFacts, feed_events
from ehsj_core.calendar_ics import to_ics, vtimezone
from ehsj_core.users import Principal
from tests.unit.builders import sjaelland_contract

ROOT = Path(__file__).resolve().parents[2]
STAMP = datetime(2026, 12, 1, 12, tzinfo=UTC)


def onsets(key: str, first: int, last: int) -> list[datetime]:
    """Every onset of the zone's observances as an instant: DTSTART read in TZOFFSETFROM (RFC 5545 3.6.5)."""
    found = []
    for part in vtimezone(key, first, last).subcomponents:
        rdates = part.get("RDATE")
        starts = [part.decoded("DTSTART")] + [d.dt for d in (rdates.dts if rdates is not None else [])]
        found += [(start - part.decoded("TZOFFSETFROM")).replace(tzinfo=UTC) for start in starts]
    return sorted(found)


def test_every_onset_of_copenhagen_is_an_offset_change_of_zoneinfo_and_none_is_missing() -> None:
    tz = ZoneInfo("Europe/Copenhagen")
    found = onsets("Europe/Copenhagen", 2019, 2020)
    assert len(found) == 8  # 2018 to 2021, spring and autumn
    hour, changes = datetime(2018, 1, 1, tzinfo=UTC), []
    while hour < datetime(2022, 1, 1, tzinfo=UTC):
        if (hour - timedelta(hours=1)).astimezone(tz).utcoffset() != hour.astimezone(tz).utcoffset():
            changes.append(hour)
        hour += timedelta(hours=1)
    assert found == changes


def test_a_zone_without_changes_has_one_observance() -> None:
    [part] = vtimezone("Asia/Tokyo", 2019, 2019).subcomponents
    assert part.name == "STANDARD" and part.decoded("TZOFFSETTO") == timedelta(hours=9)


def test_the_same_items_give_the_same_bytes_and_no_clock_is_read() -> None:
    contract = sjaelland_contract()
    tz = ZoneInfo("Europe/Copenhagen")
    items = feed_events([contract], FeedFacts(stamp=STAMP), Principal(1, "D", "director", None), tz)
    first = to_ics(items, name="N", description="D", stamp=STAMP, tz=tz, base_url="https://x.example/")
    assert first == to_ics(items, name="N", description="D", stamp=STAMP, tz=tz, base_url="https://x.example/")
    stamps = {e.decoded("DTSTAMP") for e in Calendar.from_ical(first).walk("VEVENT")}
    assert stamps == {STAMP}


def test_a_user_whose_role_reads_nothing_gets_an_empty_calendar() -> None:
    contract = sjaelland_contract()
    nobody = Principal(1, "X", "unknown", None)
    assert feed_events([contract], FeedFacts(), nobody, ZoneInfo("Europe/Copenhagen")) == []


def test_a_milestone_reached_after_its_deadline_says_so() -> None:
    contract = sjaelland_contract()
    facts = FeedFacts(reached={(2019, "8.strategy_2021_process"): date(2019, 10, 2)})
    director = Principal(1, "D", "director", None)
    items = feed_events([contract], facts, director, ZoneInfo("Europe/Copenhagen"))
    [late] = [i for i in items if i.uid == "sjaelland-2019-frist-8-strategy_2021_process@ehsj"]
    assert "Status: nået 2. oktober 2019, efter fristen" in late.description
