"""The deadline calendar: what a user's calendar feed holds. Pure, no I/O (calendar_service.py reads
the log and serves the feed; calendar_ics.py renders it).

`feed_events`: the contracts in force, a few facts from the log and the user give the items.
What each role sees (the role the user has when the feed is fetched):
- **who browses** (consultant, director, auditor): every target deadline of the contracts (all-day;
  a milestone's says whether and when it was reached: "nået 3. maj 2019"), every report send date of
  the contract calendar (at the send time, in the business time zone), the final statement's once
  the year is closed, and the KKR/K17 meetings: those the contract gives a date, and those logged
  as held (`meeting.held` of kind `kkr` or `k17`);
- **who only reads** (a business chief): the reports sent to their role — the quarterly status
  e-mails, each naming their own municipality.

Nothing is invented. The seed names the goal-8 KKR meetings by month only ("juni 2019",
"august/september 2019"), and the contract file keeps them without a date: such a meeting is no
event; the deadlines the contract file sets for it (the goal-8 milestones, 30 June and 30 September)
are, and the "Kalender" page lists the undated meetings beside the feed. The half-yearly K17
meetings appear as the send dates of the half-year report to K17. The weekly reminders are not in
the calendar (they are mail to the director, not a date anyone plans for).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ehsj_core.contract.model import Contract, Goal, Meeting, ScheduledReport, Target
from ehsj_core.events.closes import Close
from ehsj_core.houses import House, HouseBook
from ehsj_core.notify.closing import send_moment
from ehsj_core.reports import kinds
from ehsj_core.reports.house import FICTITIOUS_SUBJECT_PREFIX, HouseWords, fictitious_note, words_for
from ehsj_core.reports.labels import long_date
from ehsj_core.reports.periods import periods_of
from ehsj_core.users import Principal

DEADLINE, REPORT, MEETING = "Frist", "Rapport", "Møde"  # the events' CATEGORIES
# meeting_kind → who met ("{kkr}": the house's KKR, from the house file)
MEETING_BODIES = {"kkr": "{kkr}", "k17": "kommunaldirektørkredsen K17"}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class CalendarItem:
    """One event of the calendar. `start` is a date for an all-day event, else an aware datetime."""

    uid: str
    category: str
    summary: str
    description: str
    start: date | datetime
    path: str  # the app's page it concerns

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)

    @property
    def day(self) -> date:
        return self.start.date() if isinstance(self.start, datetime) else self.start

    def sort_key(self) -> tuple[date, int, str, str]:
        return (self.day, 0 if self.all_day else 1, self.start.isoformat(), self.uid)


@dataclass(frozen=True)
class LoggedMeeting:
    event_id: str
    occurred_on: date
    meeting_kind: str
    title: str | None


@dataclass(frozen=True)
class FeedFacts:
    """What the log adds to the contracts: the day each milestone was first reached, by (contract year,
    "goal.target"); the KKR/K17 meetings logged; each close in force with its statement's period;
    and the stamp (DTSTAMP): when the feed's content last could change."""

    reached: Mapping[tuple[int, str], date] = field(default_factory=dict)
    meetings: tuple[LoggedMeeting, ...] = ()
    statements: tuple[tuple[str, Close], ...] = ()
    stamp: datetime = EPOCH


# --- what the calendar holds (pure) ----------------------------------------------------------------
def feed_events(
    contracts: Sequence[Contract],
    facts: FeedFacts,
    user: Principal,
    tz: ZoneInfo,
    houses: HouseBook | None = None,
) -> list[CalendarItem]:
    """The items of the user's calendar, in order of time (see the module's docstring for who sees what).
    `houses`: the installation's house file (the KKR's name; reports/house.py), else the packaged one.
    A fictitious example contract's items say so in their description."""
    if not user.may("read"):
        return []
    everything = user.may("browse")
    items: list[CalendarItem] = []
    for contract in contracts:
        words = words_for(contract, houses)
        own = _reports(contract, words, facts, user, tz, everything)
        if everything:
            own += _deadlines(contract, facts)
            own += [_contract_meeting(contract, m) for m in contract.calendar.meetings if m.date is not None]
        items += [_marked(i, contract.house_name) for i in own] if words.fictitious else own
    if everything and contracts:
        words = words_for(contracts[0], houses)
        logged = [_logged_meeting(contracts[0].house, words.kkr, m) for m in facts.meetings]
        items += [_marked(i, contracts[0].house_name) for i in logged] if words.fictitious else logged
    return sorted(items, key=CalendarItem.sort_key)


def feed_title(user: Principal, house: House, fictitious: bool = False) -> tuple[str, str]:
    """The calendar's name and description (X-WR-CALNAME, X-WR-CALDESC) for the user's role, in the
    house's words; a fictitious example's name begins "[Fiktivt eksempel]", its description says why."""
    if user.may("browse"):
        name = "EHSJ målopfølgning – frister og rapporter"
        description = (
            f"{house.name}: resultatkontraktens frister, rapporternes afsendelsesdatoer og møderne med "
            f"{house.kkr} og K17."
        )
    else:
        name = "EHSJ målopfølgning – kvartalsstatus"
        description = f"{house.name}: hvornår kvartalsstatus til erhvervscheferne sendes."
    if fictitious:
        return FICTITIOUS_SUBJECT_PREFIX + name, f"{fictitious_note(house.name)} {description}"
    return name, description


def _marked(item: CalendarItem, house_name: str) -> CalendarItem:
    """The item of a fictitious example contract: its description begins with the note."""
    return replace(item, description=f"{fictitious_note(house_name)}\n{item.description}")


def undated_meetings(contracts: Sequence[Contract]) -> list[tuple[Contract, Meeting]]:
    """The contract meetings without a date (the seed gives a month only): no event, listed on the page."""
    return [(c, m) for c in contracts for m in c.calendar.meetings if m.date is None]


def _deadlines(contract: Contract, facts: FeedFacts) -> list[CalendarItem]:
    dated = [(goal, target) for goal in contract.goals for target in goal.targets if target.deadline]
    return [_deadline(contract, goal, target, facts) for goal, target in dated]


def _deadline(contract: Contract, goal: Goal, target: Target, facts: FeedFacts) -> CalendarItem:
    assert target.deadline is not None
    key = f"{goal.id}.{target.key}"
    lines = [f"Mål {goal.id}: {goal.title}", f"Frist: {long_date(target.deadline)}"]
    if target.kind == "milestone":
        reached = facts.reached.get((contract.year, key))
        if reached is None:
            lines.append("Status: ikke registreret som nået")
        elif reached > target.deadline:
            lines.append(f"Status: nået {long_date(reached)}, efter fristen")
        else:
            lines.append(f"Status: nået {long_date(reached)}")
    if target.note:
        lines.append(target.note)
    return CalendarItem(
        uid=f"{contract.house}-{contract.year}-frist-{goal.id}-{target.key}@ehsj",
        category=DEADLINE,
        summary=f"Frist: {target.label} (mål {goal.id})",
        description="\n".join(lines),
        start=target.deadline,
        path=f"/maal/{goal.id}",
    )


def _reports(
    contract: Contract, words: HouseWords, facts: FeedFacts, user: Principal, tz: ZoneInfo, everything: bool
) -> list[CalendarItem]:
    items: list[CalendarItem] = []
    for scheduled in contract.calendar.reports:
        spec = kinds.get(scheduled.kind)
        audience = spec.audience_for(words.kkr, words.municipalities)
        if not everything and spec.role != user.role:
            continue
        if scheduled.after == "close":
            for key, close in facts.statements:
                if close.year == contract.year:
                    items.append(_statement(contract, scheduled, spec, audience, key, close, tz))
            continue
        for period in periods_of(scheduled.every, contract.year):
            send_at = _at(period.end + timedelta(days=scheduled.send_days_after_period), scheduled.send_time, tz)
            lines = [
                f"{spec.label} for {period.label} ({period.span_label}) sendes til {audience} {_when(send_at)}.",
                "Bygget af status ved periodens udgang: kun det, der er sket inden da, tæller.",
                f"Kontrakten: {scheduled.label}.",
            ]
            path = "/rapporter" if everything else "/"
            if not everything and user.municipality:
                lines.insert(1, f"Din e-mail viser status for alle mål og for {user.municipality} Kommune.")
                path = f"/kommuner/{user.municipality}"
            items.append(
                CalendarItem(
                    uid=f"{contract.house}-{scheduled.kind}-{period.key}@ehsj",
                    category=REPORT,
                    summary=f"{spec.label} til {audience} – {period.label}",
                    description="\n".join(lines),
                    start=send_at,
                    path=path,
                )
            )
    return items


def _statement(
    contract: Contract,
    scheduled: ScheduledReport,
    spec: kinds.ReportKind,
    audience: str,
    period: str,
    close: Close,
    tz: ZoneInfo,
) -> CalendarItem:
    send_at = send_moment(close, scheduled, tz)
    closed_on = close.recorded_at.astimezone(tz).date()
    lines = [
        f"{contract.year} blev lukket {long_date(closed_on)} (logposition {close.position}).",
        f"{spec.label} sendes til {audience} {_when(send_at)}, opgjort ved lukningens logposition.",
        f"Kontrakten: {scheduled.label}.",
    ]
    return CalendarItem(
        uid=f"{contract.house}-{scheduled.kind}-{period}@ehsj",
        category=REPORT,
        summary=f"{spec.label} til {audience} – {contract.year}",
        description="\n".join(lines),
        start=send_at,
        path="/rapporter",
    )


def _contract_meeting(contract: Contract, meeting: Meeting) -> CalendarItem:
    assert meeting.date is not None
    body = hashlib.sha256(meeting.body.encode()).hexdigest()[:8]
    return CalendarItem(
        uid=f"{contract.house}-{contract.year}-moede-{meeting.date.isoformat()}-{body}@ehsj",
        category=MEETING,
        summary=f"Møde i {meeting.body}",
        description=f"Fra resultatkontrakten {contract.year}: mødet {meeting.when}.",
        start=meeting.date,
        path="/",
    )


def _logged_meeting(house: str, kkr: str, meeting: LoggedMeeting) -> CalendarItem:
    body = MEETING_BODIES[meeting.meeting_kind].format(kkr=kkr)
    title = f": {meeting.title}" if meeting.title else ""
    return CalendarItem(
        uid=f"{house}-moede-{meeting.event_id}@ehsj",
        category=MEETING,
        summary=f"Møde i {body}{title}",
        description=f"Registreret som afholdt {long_date(meeting.occurred_on)}.",
        start=meeting.occurred_on,
        path="/historik?type=meeting.held",
    )


def _at(day: date, hhmm: str, tz: ZoneInfo) -> datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


def _when(moment: datetime) -> str:
    return f"{long_date(moment.date())} kl. {moment:%H.%M}"
