"""The quarterly e-mail figure of `make bench`: the 17 chiefs' e-mails of 2019Q3 built and rendered at
the head of the log, as one send does, with the time split into its parts. Called from bench/run.py;
alone, on a fresh log of its own: `BENCH_EVENTS=100000 .venv/bin/python -m bench.emails`."""

from __future__ import annotations

import json
import os
import shutil
import time
from typing import Any

from ehsj_core.reports import charts
from ehsj_core.reports.data import build_quarterly
from ehsj_core.reports.periods import parse_period
from ehsj_core.reports.render import render
from ehsj_core.settings import PROJECT_ROOT, Settings
from ehsj_core.setup import initialise
from ehsj_core.tracker import Tracker

PERIOD = "2019Q3"


def quarterly_emails(tracker: Tracker) -> dict[str, Any]:
    """Seconds for the 17 e-mails, from nothing cached to the last one rendered: the facts at the
    position (the newest snapshot at or before it, and the fold from there: once for the batch, as
    the sends share them), each chief's report built from them, and each rendered (its charts,
    the overall one drawn once, its workbook, the HTML and the text)."""
    period = parse_period(PERIOD, "quarter")
    tracker = Tracker(tracker.settings, tracker.engine)  # nothing cached: no facts, no position
    position = tracker.log.head().position
    names = [m.name for m in tracker.contract(period.year).contract.municipalities]
    charts.forget()
    start = time.perf_counter()
    tracker.facts_at(period.year, position)
    facts = time.perf_counter() - start
    build = draw = 0.0
    for name in names:
        began = time.perf_counter()
        report = build_quarterly(tracker.facts_at(period.year, position), period, name)
        built = time.perf_counter()
        render(report)
        build, draw = build + built - began, draw + time.perf_counter() - built
    total = time.perf_counter() - start
    return {
        "quarterly_emails_17_s": round(total, 2),
        "quarterly_emails_17_parts": {
            "facts_s": round(facts, 2),
            "build_s": round(build, 2),
            "render_s": round(draw, 2),
            "charts_drawn": charts.drawings(),
        },
    }


def main() -> None:
    from bench.audit import BENCH_DIRECTOR
    from bench.run import batches  # the bench's events: the demo's mix, scaled up

    total = int(os.environ.get("BENCH_EVENTS", "100000"))
    workdir = PROJECT_ROOT / "var" / "bench-emails"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    settings = Settings(database_url=f"sqlite:///{workdir / 'bench.sqlite3'}", snapshot_every=20_000)
    tracker = Tracker(settings)
    initialise(tracker.engine, settings.contracts_dir)
    for events, recorded_at in batches(tracker, total):
        tracker.append_events(events, BENCH_DIRECTOR, recorded_at=recorded_at)
    tracker.status(2019)  # catch up once: writes the snapshots, as in bench/run.py
    figures = quarterly_emails(tracker)
    print(json.dumps({"events": tracker.log.head().position, **figures}, indent=2))


if __name__ == "__main__":
    main()
