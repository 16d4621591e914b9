"""The consultant's weekly reminder: their own open ends behind the referral and evaluation rates.

Issue 3 sends the reminder to the director "and consultants where it concerns them". What concerns
a consultant is their own companies: specialised courses they delivered this year whose company has
not been referred on from that course type (the referral rates of goal 5A), and courses older than
`EVALUATION_GRACE_DAYS` without an evaluation (the quality goals 1–4 are measured on evaluations).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from ehsj_core.contract.model import SPECIALISED_COURSE_TYPES
from ehsj_core.events.reader import LogReader
from ehsj_core.events.records import RecordedEvent
from ehsj_core.events.views import CompanyReferredView, CourseCompletedView, EvaluationReceivedView
from ehsj_core.houses import HouseBook
from ehsj_core.projections.moment import FactsAt
from ehsj_core.reports.data import Basis, basis_of, to_json

EVALUATION_GRACE_DAYS = 30
TYPES = ("course.completed", "company.referred", "evaluation.received")


@dataclass(frozen=True)
class OpenCourse:
    company_cvr: str
    company_name: str | None
    municipality: str
    course_type: str
    occurred_on: date


@dataclass(frozen=True)
class ConsultantReminder:
    basis: Basis
    consultant: str
    on_date: date
    unreferred: tuple[OpenCourse, ...]
    unevaluated: tuple[OpenCourse, ...]

    @property
    def is_empty(self) -> bool:
        return not self.unreferred and not self.unevaluated

    @property
    def attention_count(self) -> int:
        return len(self.unreferred) + len(self.unevaluated)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": "consultant_reminder",
            "consultant": self.consultant,
            "on_date": self.on_date.isoformat(),
            "basis": to_json(self.basis),  # without the house file's words (reports/house.py)
            "unreferred": [asdict(c) | {"occurred_on": c.occurred_on.isoformat()} for c in self.unreferred],
            "unevaluated": [asdict(c) | {"occurred_on": c.occurred_on.isoformat()} for c in self.unevaluated],
        }


def _year_events(log: LogReader, house: str, year: int, on_date: date, position: int) -> list[RecordedEvent]:
    """The year's courses, referrals and evaluations up to the position, minus retracted ones."""
    last = min(on_date, date(year, 12, 31))
    return list(
        log.read_all(
            upto=position, types=TYPES, house=house, occurred_from=date(year, 1, 1), occurred_to=last, live_only=True
        )
    )


def build_consultant_reminder(
    moment: FactsAt, log: LogReader, consultant: str, on_date: date, houses: HouseBook | None = None
) -> ConsultantReminder:
    """The consultant's open ends on `on_date`, from the log as it was at the moment's position (the
    facts of `on_date`'s year)."""
    status = moment.status()
    house = moment.contract.contract.house
    rows = _year_events(log, house, on_date.year, on_date, moment.at.position)
    referred = {(r.data.from_course, r.data.company_cvr) for r in rows if isinstance(r.data, CompanyReferredView)}
    evaluated = {(r.data.course_type, r.data.company_cvr) for r in rows if isinstance(r.data, EvaluationReceivedView)}
    courses: dict[tuple[str, str], OpenCourse] = {}
    for r in rows:
        d = r.data
        if (
            isinstance(d, CourseCompletedView)
            and d.consultant == consultant
            and d.company_cvr
            and d.course_type in SPECIALISED_COURSE_TYPES
        ):
            key = (d.course_type, d.company_cvr)
            courses.setdefault(
                key, OpenCourse(d.company_cvr, d.company_name, d.municipality, d.course_type, r.occurred_on)
            )
    due = on_date - timedelta(days=EVALUATION_GRACE_DAYS)
    return ConsultantReminder(
        basis=basis_of(status, houses),
        consultant=consultant,
        on_date=on_date,
        unreferred=tuple(c for key, c in courses.items() if key not in referred),
        unevaluated=tuple(c for key, c in courses.items() if key not in evaluated and c.occurred_on <= due),
    )
