"""`make bench`: the core's speed at 1,000,000 events (BENCH_EVENTS=N for a smaller run).

Not a test: numbers are written to bench/results/latest.json and printed; nothing asserts on them.
"""

from __future__ import annotations

import json
import os
import random
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from bench.audit import BENCH_DIRECTOR, audit_figures, audit_rows
from bench.emails import quarterly_emails
from bench.forecast import backtest
from bench.ours import lookup_figures, postgres_append
from bench.peer import DEFAULT_PG_URL, EventSpool, peer_figures, peer_rows, versus_eventsourcing
from bench.web import PAGES, web_figures
from ehsj_core.demo import iter_year
from ehsj_core.events.validation import NewEvent, parse_event
from ehsj_core.projections.facts import LogFacts
from ehsj_core.projections.runner import ProjectionRunner
from ehsj_core.settings import PROJECT_ROOT, Settings
from ehsj_core.setup import initialise
from ehsj_core.tracker import Tracker
from ehsj_core.users import create_user

BATCH = 10_000
RESULTS = PROJECT_ROOT / "bench" / "results"
console = Console()


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"p50_ms": round(statistics.median(ordered) * 1000, 2), "p95_ms": round(p95 * 1000, 2)}


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def batches(tracker: Tracker, total: int) -> Iterator[tuple[list[NewEvent], Any]]:
    """The demo's mix, scaled up to `total` events, validated, in batches with their recorded_at."""
    contract = tracker.contract(2019).contract
    probe = sum(1 for _ in iter_year(contract, seed=1, scale=1.0))
    book, today = tracker.contract_book(), date(2026, 1, 1)
    batch: list[NewEvent] = []
    produced = 0
    for demo_event in iter_year(contract, seed=1, scale=max(1.0, total / probe * 1.06)):
        if produced >= total:
            break
        batch.append(parse_event(demo_event.raw, book, tracker.house, today))
        produced += 1
        if len(batch) == BATCH:
            yield batch, demo_event.recorded_at
            batch = []
    if batch:
        yield batch, demo_event.recorded_at


def main() -> None:
    total = int(os.environ.get("BENCH_EVENTS", "1000000"))
    workdir = PROJECT_ROOT / "var" / "bench"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    # One key for the bench and the server it starts, as one installation has: the server trusts the
    # snapshots the bench wrote instead of folding the million events again before its first answer.
    os.environ.setdefault("EHSJ_SECRET_KEY", secrets.token_urlsafe(48))
    settings = Settings(database_url=url, snapshot_every=20_000)
    tracker = Tracker(settings)
    initialise(tracker.engine, settings.contracts_dir)
    results: dict[str, Any] = {"events": total, "machine": f"{os.cpu_count()} cores", "date": time.strftime("%Y-%m-%d")}

    # 1. Import: validation and the append itself, timed apart.
    append_seconds, validate_seconds, appended = 0.0, 0.0, 0
    spool = EventSpool(workdir / "peer-events.jsonl")  # the same events, for the peer (bench/peer.py)
    with Progress(console=console) as progress:
        task = progress.add_task("Import", total=total)
        stream = batches(tracker, total)
        while True:
            start = time.perf_counter()
            item = next(stream, None)
            validate_seconds += time.perf_counter() - start
            if item is None:
                break
            events, recorded_at = item
            start = time.perf_counter()
            tracker.append_events(events, BENCH_DIRECTOR, recorded_at=recorded_at)
            append_seconds += time.perf_counter() - start
            appended += len(events)
            progress.advance(task, len(events))
            spool.add(events)  # outside the timed parts
    results["events"] = appended
    results["import_events_per_s"] = round(appended / append_seconds)
    results["generate_and_validate_events_per_s"] = round(appended / validate_seconds)

    # 2. Full replay of the projection, streamed from the log, without snapshots.
    runner = ProjectionRunner(tracker.log, settings.snapshot_key(), settings.snapshot_every)
    start = time.perf_counter()
    runner.fold(LogFacts(), 0, None)
    results["replay_events_per_s"] = round(appended / (time.perf_counter() - start))

    # 3. Live status (warm) and 4. as-of at random positions.
    tracker.status(2019)  # catch up once: writes the snapshots every 20,000 positions
    results["status"] = percentiles(timed(lambda: tracker.status(2019), 50))
    results["municipalities"] = percentiles(timed(lambda: tracker.municipalities(2019), 50))
    rng = random.Random(7)
    results["as_of"] = percentiles(timed(lambda: tracker.status(2019, as_of=rng.randint(1, appended)), 30))
    results.update(lookup_figures(tracker))
    results.update(quarterly_emails(tracker))
    results["forecast_backtest"] = backtest(tracker.contract(2019).contract)
    results.update(audit_figures(tracker, workdir))
    results["bench_process_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)

    # 4b. The peer `eventsourcing` and the raw drivers on the same events, in this same run; after
    # our peak RSS is taken, as their in-memory copy of the events would count in it (~0.9 GB per 1M).
    pg_url = os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL) or None  # BENCH_PG_URL= skips PostgreSQL
    spooled = spool.read()
    triples = [(kind, day, data) for _event_id, kind, day, data in spooled]
    peer = peer_figures(triples, workdir / "peer", pg_url)
    results["vs_eventsourcing"] = versus_eventsourcing(
        results["import_events_per_s"], results["replay_events_per_s"], peer
    )
    results["peer"] = peer
    if "psycopg_raw" in peer and pg_url is not None:  # the server answered the peer
        results["postgres"] = postgres_append(spooled, pg_url)
    del spooled, triples

    # 5. Single POST over HTTP against a real server process, and that server's peak RSS.
    results.update(http_figures(url, tracker))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    show(results)


def http_figures(url: str, tracker: Tracker) -> dict[str, Any]:
    token = create_user(tracker.engine, "bench", "consultant")
    port = 8765
    env = {**os.environ, "EHSJ_DATABASE_URL": url, "EHSJ_SESSION_COOKIE_SECURE": "false"}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "ehsj"), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
            for _ in range(100):
                try:
                    client.get("/api/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            client.get("/api/goals", params={"year": 2019})  # warm the server's projection
            body = {
                "type": "meeting.held",
                "occurred_on": "2019-11-05",
                "data": {"meeting_kind": "coordination", "title": "Koordineringsmøde"},
            }
            posts = timed(lambda: client.post("/api/events", json=body).raise_for_status(), 300)
            goals = timed(lambda: client.get("/api/goals", params={"year": 2019}).raise_for_status(), 50)
        pages = web_figures(base, tracker.engine)
        status_text = Path(f"/proc/{server.pid}/status").read_text()
        peak_kb = next(int(line.split()[1]) for line in status_text.splitlines() if line.startswith("VmHWM"))
    finally:
        server.terminate()
        server.wait(timeout=30)
    figures = {
        "post_event_http": percentiles(posts),
        "goals_http": percentiles(goals),
        "server_peak_rss_mb": round(peak_kb / 1024),
    }
    return {**figures, **pages}


def show(results: dict[str, Any]) -> None:
    table = Table(title=f"Benchmark at {results['events']:,} events")
    table.add_column("measure")
    table.add_column("result", justify="right")
    table.add_column("aim", justify="right")
    rows = [
        ("batch import (append)", f"{results['import_events_per_s']:,} events/s", "≥ 100,000/s"),
        ("generate + validate", f"{results['generate_and_validate_events_per_s']:,} events/s", ""),
        ("full replay (streamed)", f"{results['replay_events_per_s']:,} events/s", "≥ 200,000/s"),
        *peer_rows(results),
        ("status p50 / p95 (warm)", f"{results['status']['p50_ms']} / {results['status']['p95_ms']} ms", "p95 ≤ 20 ms"),
        (
            "municipalities p50 / p95",
            f"{results['municipalities']['p50_ms']} / {results['municipalities']['p95_ms']} ms",
            "",
        ),
        ("as-of p50 / p95", f"{results['as_of']['p50_ms']} / {results['as_of']['p95_ms']} ms", "p95 ≤ 300 ms"),
        (
            "CVR → municipality look-up p50 / p95",
            f"{results['cvr_lookup']['p50_ms']} / {results['cvr_lookup']['p95_ms']} ms",
            "p95 ≤ 20 ms",
        ),
        (
            "company-name search (history) p50 / p95",
            f"{results['name_search']['p50_ms']} / {results['name_search']['p95_ms']} ms",
            "p95 ≤ 200 ms",
        ),
        *(
            [("our append on PostgreSQL", f"{results['postgres']['append_events_per_s']:,} events/s", "≥ 50,000/s")]
            if "postgres" in results
            else []
        ),
        ("17 quarterly e-mails built + rendered", f"{results['quarterly_emails_17_s']} s", "≤ 3 s"),
        (
            "  facts at the position / build / render",
            " / ".join(f"{results['quarterly_emails_17_parts'][k]} s" for k in ("facts_s", "build_s", "render_s")),
            "",
        ),
        *audit_rows(results),
        *forecast_rows(results["forecast_backtest"]),
        (
            "POST /api/events p50 / p95",
            f"{results['post_event_http']['p50_ms']} / {results['post_event_http']['p95_ms']} ms",
            "p95 ≤ 15 ms",
        ),
        ("GET /api/goals p50 / p95", f"{results['goals_http']['p50_ms']} / {results['goals_http']['p95_ms']} ms", ""),
        *(
            (
                f"web page {page} server p50 / p95",
                f"{results[f'web_{page}']['server_p50_ms']} / {results[f'web_{page}']['server_p95_ms']} ms",
                "p95 ≤ 200 ms",
            )
            for page in PAGES
        ),
        ("server peak RSS", f"{results['server_peak_rss_mb']} MB", "≤ 400 MB"),
        ("bench process peak RSS", f"{results['bench_process_peak_rss_mb']} MB", ""),
    ]
    for row in rows:
        table.add_row(*row)
    console.print(table)


def forecast_rows(backtest: dict[str, Any]) -> list[tuple[str, str, str]]:
    late = backtest["from_june"]
    rows = [
        ("forecast error, June–November (MAPE)", f"{late['mape_pct']} %", "≤ 10 %"),
        ("year end inside the 10–90 % range", f"{late['inside_range_pct']} %", "≥ 80 %"),
    ]
    for key, figures in backtest.items():
        if key.endswith("_history"):
            rows.append(
                (f"  {key.replace('_', ' ')}", f"{figures['mape_pct']} % / {figures['inside_range_pct']} %", "")
            )
    return rows


if __name__ == "__main__":
    main()
