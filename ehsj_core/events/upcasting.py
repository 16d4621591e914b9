"""Schema evolution: small named upcasters turn an old stored version into the current one on read.

Every event type is at version 1 today, so the chain is empty. When a type changes, bump its entry in
`schemas.SCHEMA_VERSIONS` and add e.g. `("course.completed", 1): upcast_course_completed_v1_v2`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

UPCASTERS: dict[tuple[str, int], Upcaster] = {}


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
