"""The contract year an event counts in. Pure.

Most events count in the year of their `occurred_on`. Erhvervsstyrelsen's figures name the year they
measure (`data.year`). An evaluation counts in the year of the company's latest course of its type on
or before the answer date (contract rule `evaluations`, per_company_in_course_year; see
projections/facts.py); without such a course it counts nowhere and is listed in its own year. The
rule book (closed years), the audit diff and the statement (events after a close) all ask here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from ehsj_core.events.schemas import YEAR_IN_DATA

EVALUATION = "evaluation.received"
CourseBefore = Callable[[str, str, date], date | None]  # (course type, CVR, answer day) → course day


def counts_in_year(event_type: str, occurred_on: date, data: Any, course_before: CourseBefore | None = None) -> int:
    """The year; `data` is the stored JSON object or a typed view; `course_before` finds the company's
    latest course of the type on or before a day (without it, an evaluation's own year is given)."""
    if event_type in YEAR_IN_DATA:
        return int(data["year"] if isinstance(data, dict) else data.year)
    if event_type == EVALUATION and course_before is not None:
        course_type = data["course_type"] if isinstance(data, dict) else data.course_type
        cvr = data["company_cvr"] if isinstance(data, dict) else data.company_cvr
        course = course_before(course_type, cvr, occurred_on)
        return occurred_on.year if course is None else course.year
    return occurred_on.year
