"""The calendar feed (issue 12): each user's secret address, renewable, RFC 5545 valid in the time zone
Europe/Copenhagen, holding the contract's deadlines and report send dates — on SQLite and PostgreSQL,
through the web app."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from icalendar import Calendar
from pydantic import SecretStr

from ehsj_core.accounts import disable_user, enable_user
from ehsj_core.reports.periods import periods_of
from ehsj_core.tracker import Tracker
from ehsj_core.users import users_table
from tests.factories import Actor, retraction
from tests.webclient import sign_in, token_of

TZ = ZoneInfo("Europe/Copenhagen")
_ADDRESS = re.compile(r'value="(https://testserver/kalender/([A-Za-z0-9_-]+)\.ics)"')


def shown(html: str) -> str | None:
    """The path of the calendar address a page shows, or None."""
    found = _ADDRESS.search(html)
    return None if found is None else found.group(1).removeprefix("https://testserver")


def address(web: TestClient, name: str) -> str:
    """Sign in as `name`, make their calendar address on the page, and return its path."""
    web.cookies.clear()
    sign_in(web, name)
    made = web.post("/kalender/adresse", data={"csrf_token": token_of(web, "/kalender")}, follow_redirects=False)
    assert made.status_code == 303
    path = shown(web.get("/kalender").text)
    assert path, "the page shows no calendar address"
    return path


def feed(web: TestClient, path: str) -> Calendar:
    answer = web.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(answer.content)


def events(cal: Calendar) -> dict[str, Any]:
    """UID → VEVENT."""
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_the_feed_parses_and_every_event_has_a_uid_a_stamp_and_a_start(web: TestClient) -> None:
    cal = feed(web, address(web, "Dorte Direktør"))
    assert str(cal["VERSION"]) == "2.0" and str(cal["CALSCALE"]) == "GREGORIAN" and str(cal["METHOD"]) == "PUBLISH"
    assert "EHSJ" in str(cal["PRODID"]) and str(cal["X-WR-TIMEZONE"]) == "Europe/Copenhagen"
    assert str(cal["X-WR-CALNAME"]) == "EHSJ målopfølgning – frister og rapporter"
    vevents = cal.walk("VEVENT")
    assert len(vevents) >= 9
    for event in vevents:
        assert event.get("UID") and event.get("DTSTAMP") and event.get("DTSTART") and event.get("SUMMARY")
        assert str(event["URL"]).startswith("https://testserver/")
    assert len({str(e["UID"]) for e in vevents}) == len(vevents)


def test_every_line_is_at_most_75_octets_and_ends_in_crlf(web: TestClient) -> None:
    body = web.get(address(web, "Dorte Direktør")).content
    assert body.endswith(b"\r\n") and b"\n" not in body.replace(b"\r\n", b"")
    lines = body.split(b"\r\n")[:-1]
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)  # the long descriptions are folded
    body.decode("utf-8")  # and every folded line is still UTF-8 as a whole


def test_the_time_zone_is_europe_copenhagen_with_its_summer_and_winter_offsets(web: TestClient) -> None:
    cal = feed(web, address(web, "Karen Konsulent"))
    [zone] = cal.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Copenhagen"
    parts = {p.name: p for p in zone.subcomponents}
    offsets = {name: (p.decoded("TZOFFSETFROM"), p.decoded("TZOFFSETTO")) for name, p in parts.items()}
    assert offsets == {
        "STANDARD": (timedelta(hours=2), timedelta(hours=1)),
        "DAYLIGHT": (timedelta(hours=1), timedelta(hours=2)),
    }
    # RFC 5545 3.6.5: DTSTART, read in the offset before the change, is the instant of the change
    onsets: list[datetime] = []
    for part in zone.subcomponents:
        rdates = part.get("RDATE")
        starts = [part.decoded("DTSTART")] + [d.dt for d in (rdates.dts if rdates is not None else [])]
        onsets += [(start - part.decoded("TZOFFSETFROM")).replace(tzinfo=UTC) for start in starts]
    assert datetime(2019, 3, 31, 1, tzinfo=UTC) in onsets and datetime(2019, 10, 27, 1, tzinfo=UTC) in onsets
    for onset in onsets:
        assert (onset - timedelta(seconds=1)).astimezone(TZ).utcoffset() != onset.astimezone(TZ).utcoffset()


def test_the_deadlines_and_report_send_dates_are_the_contracts(web: TestClient, tracker: Tracker) -> None:
    contract = tracker.contract(2019).contract
    cal = feed(web, address(web, "Anders Revisor"))
    starts = {e.decoded("DTSTART") for e in cal.walk("VEVENT")}
    deadlines = {t.deadline for g in contract.goals for t in g.targets if t.deadline}
    assert deadlines == {date(2019, 6, 30), date(2019, 9, 30)}
    sends = set()
    for scheduled in contract.calendar.reports:
        if scheduled.after == "period":
            for period in periods_of(scheduled.every, 2019):
                day = period.end + timedelta(days=scheduled.send_days_after_period)
                sends.add(datetime.combine(day, time.fromisoformat(scheduled.send_time), tzinfo=TZ))
    assert len(sends) == 7  # 4 quarters, 2 half-years, the year
    assert {s for s in starts if not isinstance(s, datetime)} == deadlines
    assert {s for s in starts if isinstance(s, datetime)} == sends
    summer = events(cal)["sjaelland-quarterly_status-2019Q2@ehsj"]
    assert summer["DTSTART"].params["TZID"] == "Europe/Copenhagen" and summer["DTSTART"].to_ical() == b"20190703T070000"
    winter = events(cal)["sjaelland-annual_status-2019@ehsj"].decoded("DTSTART")
    assert winter.utcoffset() == timedelta(hours=1) and winter.hour == 7


def test_a_deadline_says_when_its_milestone_was_reached(web: TestClient, tracker: Tracker) -> None:
    path = address(web, "Karen Konsulent")
    uid = "sjaelland-2019-frist-8-strategy_2020_draft@ehsj"
    assert "Status: ikke registreret som nået" in str(events(feed(web, path))[uid]["DESCRIPTION"])
    reached = {"type": "milestone.reached", "occurred_on": "2019-05-03", "data": {"milestone": "8.strategy_2020_draft"}}
    [stored] = tracker.append(reached, by=Actor("Karen Konsulent", "consultant"))
    assert "Status: nået 3. maj 2019" in str(events(feed(web, path))[uid]["DESCRIPTION"])
    tracker.append(retraction(stored.event_id, occurred_on="2019-05-04"), by=Actor("Karen Konsulent", "consultant"))
    assert "Status: ikke registreret som nået" in str(events(feed(web, path))[uid]["DESCRIPTION"])


def test_kkr_meetings_logged_and_the_final_statement_after_the_close_appear(web: TestClient, tracker: Tracker) -> None:
    meeting = {
        "type": "meeting.held",
        "occurred_on": "2019-06-20",
        "data": {"meeting_kind": "kkr", "title": "Strategi"},
    }
    other = {"type": "meeting.held", "occurred_on": "2019-06-21", "data": {"meeting_kind": "coordination"}}
    director = Actor("Dorte Direktør", "director")
    [held, _other] = tracker.append({"events": [meeting, other]}, by=director)
    [closed] = tracker.append(
        {"type": "period.closed", "occurred_on": "2020-01-15", "data": {"year": 2019}}, by=director
    )
    found = events(feed(web, address(web, "Dorte Direktør")))
    meeting = found[f"sjaelland-moede-{held.event_id}@ehsj"]
    assert (
        meeting.decoded("DTSTART") == date(2019, 6, 20) and str(meeting["SUMMARY"]) == "Møde i KKR Sjælland: Strategi"
    )
    assert not [e for e in found.values() if "21. juni 2019" in str(e["DESCRIPTION"])]  # not a KKR/K17 meeting
    recorded = tracker.log.recorded_at(closed.position)
    assert recorded is not None
    statement = found["sjaelland-final_statement-2019@ehsj"].decoded("DTSTART")
    assert statement == datetime.combine(recorded.astimezone(TZ).date() + timedelta(days=1), time(7), tzinfo=TZ)


def test_a_chief_sees_the_quarterly_status_mails_of_their_municipality_only(web: TestClient) -> None:
    cal = feed(web, address(web, "Lars Erhvervschef"))
    assert str(cal["X-WR-CALNAME"]) == "EHSJ målopfølgning – kvartalsstatus"
    found = events(cal)
    assert sorted(found) == [f"sjaelland-quarterly_status-2019Q{q}@ehsj" for q in range(1, 5)]
    assert all("Lolland Kommune" in str(e["DESCRIPTION"]) for e in found.values())
    assert all(str(e["URL"]) == "https://testserver/kommuner/Lolland" for e in found.values())


def test_the_role_the_user_has_when_the_feed_is_fetched_decides_what_it_holds(
    web: TestClient, tracker: Tracker
) -> None:
    path = address(web, "Lars Erhvervschef")
    assert len(events(feed(web, path))) == 4
    with tracker.engine.begin() as conn:  # as single sign-on does when the person's groups change
        conn.execute(users_table.update().where(users_table.c.name == "Lars Erhvervschef").values(role="consultant"))
    found = events(feed(web, path))
    assert (
        "sjaelland-half_year_report-2019H1@ehsj" in found
        and "sjaelland-2019-frist-8-baseline_analysis@ehsj" not in found
    )
    assert "sjaelland-2019-frist-8-strategy_2021_process@ehsj" in found


def test_renewing_makes_the_old_address_404_and_the_new_one_200(web: TestClient) -> None:
    old = address(web, "Karen Konsulent")
    assert web.post("/kalender/adresse", data={"csrf_token": token_of(web, "/kalender")}).status_code == 200
    assert shown(web.get("/kalender").text) == old  # a second click makes no second address
    renewed = web.post("/kalender/forny", data={"csrf_token": token_of(web, "/kalender")}, follow_redirects=False)
    assert renewed.status_code == 303
    page = web.get("/kalender").text
    assert "Den gamle virker ikke længere" in page
    assert "KKR Sjælland, juni 2019: kontrakten giver ingen dato" in page  # undated: listed, not invented
    new = shown(page)
    assert new is not None and new != old
    assert web.get(old).status_code == 404
    assert web.get(new).status_code == 200


def test_a_disabled_users_address_and_an_unknown_one_answer_404(web: TestClient, tracker: Tracker) -> None:
    path = address(web, "Kim Konsulent")
    web.cookies.clear()
    assert web.get(path).status_code == 200  # no session needed
    assert web.head(path).status_code == 200  # some apps ask before they fetch
    disable_user(tracker.engine, "Kim Konsulent")
    assert web.get(path).status_code == 404
    enable_user(tracker.engine, "Kim Konsulent")
    assert web.get(path).status_code == 200
    assert web.get("/kalender/ukendt-adresse.ics").status_code == 404
    assert web.get(path.replace(".ics", "x.ics")).status_code == 404


def test_the_feed_is_byte_stable_until_the_log_changes(web: TestClient, tracker: Tracker) -> None:
    path = address(web, "Dorte Direktør")
    first, second = web.get(path).content, web.get(path).content
    assert first == second
    reached = {"type": "milestone.reached", "occurred_on": "2019-05-03", "data": {"milestone": "8.strategy_2020_draft"}}
    tracker.append(reached, by=Actor("Dorte Direktør", "director"))
    third = web.get(path).content
    assert third != first and web.get(path).content == third


def test_the_page_needs_a_session_and_shows_the_address_again(web: TestClient, tracker: Tracker) -> None:
    assert web.get("/kalender", follow_redirects=False).headers["location"] == "/log-ind?next=%2Fkalender"
    sign_in(web, "Lars Erhvervschef")
    page = web.get("/kalender")
    assert page.status_code == 200 and "Lav min kalenderadresse" in page.text and shown(page.text) is None
    assert "Møder uden dato" not in page.text  # a chief's calendar has the quarterly mails only
    assert 'href="/kalender" aria-current="page"' in page.text
    path = address(web, "Lars Erhvervschef")
    assert path in web.get("/kalender").text and "Google Kalender" in web.get("/kalender").text
    # a new secret key: the address still works, but the page can no longer show it
    tracker.settings = tracker.settings.model_copy(update={"secret_key": SecretStr("en-anden-hemmelig-noegle-" * 2)})
    web.cookies.clear()
    sign_in(web, "Lars Erhvervschef")  # the session cookie was signed with the old key
    page = web.get("/kalender")
    assert shown(page.text) is None and "kan ikke vises igen" in page.text
    assert web.get(path).status_code == 200
