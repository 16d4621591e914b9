"""Schema evolution: small named upcasters turn an old stored version into the current one on read.

When a type changes, bump its entry in `schemas.SCHEMA_VERSIONS` and add its step here, e.g.
`("course.completed", 1): upcast_course_completed_v1_v2`. Stored rows are never rewritten.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


def newsletter_sent_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 had no `channel_kind`. Its form asked for the local business council's newsletter
    ("Fx det lokale erhvervsråds nyhedsbrev") and goal 5B counted every one of them, so a version-1
    newsletter reads as sent through a local business council: every figure and report of the past
    stays as it was when it was made."""
    return {**data, "channel_kind": "local_business_council"}


UPCASTERS: dict[tuple[str, int], Upcaster] = {("newsletter.sent", 1): newsletter_sent_v1_v2}


def upcast(
    event_type: str,
    version: int,
    data: dict[str, Any],
    upcasters: dict[tuple[str, int], Upcaster] = UPCASTERS,
) -> tuple[int, dict[str, Any]]:
    """Apply upcasters until no further step is registered; returns (version, data)."""
    while (step := upcasters.get((event_type, version))) is not None:
        data = step(data)
        version += 1
    return version, data
