"""Computed once per facts: what the reports of one batch share, kept beside the facts they read.

The 17 chiefs' quarterly reports of a quarter read the same overall status and the same figures of
every municipality; only the municipality they pick out differs. Those are pure functions of the
facts at a position (read-only: `runner.at` hands one object to every reader of the position) and
of the quarter, so `once` keeps each result beside its facts object — weakly, so that it goes when
the facts go — and the batch computes it once instead of 17 times. Same facts, same key, same value:
a report built from a kept result is the report built anew.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")
PER_FACTS = 8  # results kept per facts object (quarters, contracts), oldest dropped first
_LOCK = threading.RLock()  # re-entrant: a weakref callback may run while this thread holds it
_KEPT: dict[int, tuple[weakref.ref[Any], dict[Hashable, Any]]] = {}


def once(facts: object, key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()` for this facts object and key, computed the first time and kept after."""
    ident = id(facts)
    with _LOCK:
        entry = _KEPT.get(ident)
        if entry is not None and entry[0]() is facts and key in entry[1]:
            value: T = entry[1][key]
            return value
    value = compute()  # outside the lock: two threads may both compute it, to the same value
    with _LOCK:
        entry = _KEPT.get(ident)
        if entry is None or entry[0]() is not facts:
            entry = (weakref.ref(facts, lambda _gone: _drop(ident)), {})
            _KEPT[ident] = entry
        results = entry[1]
        results[key] = value
        while len(results) > PER_FACTS:
            results.pop(next(iter(results)))
    return value


def _drop(ident: int) -> None:
    with _LOCK:
        entry = _KEPT.get(ident)
        if entry is not None and entry[0]() is None:
            del _KEPT[ident]
