"""More of our own figures at the bench's volume: the indexed look-ups of the log form and the
history, and our append on PostgreSQL (the same events the peer gets, bench/peer.py)."""

from __future__ import annotations

import random
import time
from datetime import date
from typing import Any

from psycopg import sql

from bench.peer import pg_admin
from ehsj_core.demo import DemoAppender
from ehsj_core.events.records import EventQuery, HistoryQuery
from ehsj_core.events.validation import NewEvent
from ehsj_core.events.views import CourseCompletedView
from ehsj_core.settings import Settings
from ehsj_core.setup import initialise
from ehsj_core.tracker import Tracker

BATCH = 10_000
PG_DATABASE = "ehsj_bench_ours"


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": round(ordered[len(ordered) // 2] * 1000, 2), "p95_ms": round(p95 * 1000, 2)}


def _companies(tracker: Tracker, count: int) -> list[tuple[str, str]]:
    """(CVR, name) of courses found at random positions of the log."""
    rng, head = random.Random(3), tracker.log.head().position
    found: list[tuple[str, str]] = []
    while len(found) < count:
        query = EventQuery(type="course.completed", after=rng.randint(0, max(0, head - 1000)), limit=1)
        for event in tracker.log.find_events(query):
            if isinstance(event.data, CourseCompletedView) and event.data.company_cvr and event.data.company_name:
                found.append((event.data.company_cvr, event.data.company_name))
    return found


def lookup_figures(tracker: Tracker) -> dict[str, Any]:
    """The log form's CVR → municipality look-up and the history's company-name search, p50/p95."""
    companies = _companies(tracker, 40)
    rng = random.Random(5)
    cvr_samples, name_samples = [], []
    for cvr, name in companies:
        start = time.perf_counter()
        tracker.log.company_hint(tracker.house, cvr)
        cvr_samples.append(time.perf_counter() - start)
        word = max(name.split(), key=len)
        cut = rng.randint(0, max(0, len(word) - 4))
        start = time.perf_counter()
        tracker.log.find_history(tracker.house, HistoryQuery(company=word[cut : cut + 4], limit=50))
        name_samples.append(time.perf_counter() - start)
    return {"cvr_lookup": _ms(cvr_samples), "name_search": _ms(name_samples)}


def postgres_append(events: list[tuple[str, str, str, dict[str, Any]]], pg_url: str) -> dict[str, Any]:
    """Our append (the rule book, the store's COPY) of the same events into a fresh PostgreSQL database."""
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(PG_DATABASE))
    with pg_admin(pg_url) as admin:
        admin.execute(drop)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(PG_DATABASE)))
    try:
        url = pg_url.rstrip("/").replace("postgresql://", "postgresql+psycopg://", 1) + f"/{PG_DATABASE}"
        settings = Settings(database_url=url)
        tracker = Tracker(settings)
        initialise(tracker.engine, settings.contracts_dir)
        by = DemoAppender("bench", "director")
        new = [
            NewEvent(event_id, kind, date.fromisoformat(day), tracker.house, data)
            for event_id, kind, day, data in events
        ]
        start = time.perf_counter()
        for offset in range(0, len(new), BATCH):
            tracker.append_events(new[offset : offset + BATCH], by)
        seconds = time.perf_counter() - start
        tracker.engine.dispose()
        return {"append_events_per_s": round(len(new) / seconds)}
    finally:
        with pg_admin(pg_url) as admin:
            admin.execute(drop)
