"""Raw event envelopes for the integration tests, valid unless a test spoils them on purpose."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from ehsj_core.events.schemas import CVR_WEIGHTS, is_valid_cvr


def cvr(n: int) -> str:
    """The n-th valid CVR number above 10000000 (deterministic)."""
    candidate = 10_000_000 + n * 7
    while True:
        text = str(candidate)
        if is_valid_cvr(text):
            return text
        candidate += 1


def bad_cvr() -> str:
    text = cvr(1)
    wrong = text[:-1] + str((int(text[-1]) + 1) % 10)
    assert not is_valid_cvr(wrong) and len(CVR_WEIGHTS) == 8
    return wrong


def course(
    course_type: str = "action_plan",
    municipality: str = "Lolland",
    occurred_on: str = "2019-03-04",
    company: int = 1,
    event_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = {"course_type": course_type, "municipality": municipality, "consultant": "Karen Konsulent"}
    if course_type != "short" or company:
        data["company_cvr"] = cvr(company)
    data.update(extra)
    body: dict[str, Any] = {"type": "course.completed", "occurred_on": occurred_on, "data": data}
    if event_id:
        body["event_id"] = event_id
    return body


def retraction(
    target_event_id: str, reason: str = "Forkert registreret", occurred_on: str = "2019-03-05"
) -> dict[str, Any]:
    return {
        "type": "event.retracted",
        "occurred_on": occurred_on,
        "data": {"target_event_id": target_event_id, "reason": reason},
    }


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Actor:
    """Who appends in a test, for the rule book: a name and a role (`users.ROLES`)."""

    name: str
    role: str = "director"
