"""The audit and import figures of `make bench`: replay as of a random moment, the final statement,
and importing a 100,000-row CRM export. Called from bench/run.py."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ehsj_core.audit.statement_render import statement_html, statement_xlsx
from ehsj_core.demo import DemoAppender
from ehsj_core.events.schemas import is_valid_cvr
from ehsj_core.imports.run import import_file
from ehsj_core.settings import Settings
from ehsj_core.setup import initialise
from ehsj_core.tracker import Tracker

CRM_ROWS = 100_000
TYPES = ("Korte forløb", "Handlingsplan", "Vækstplan", "Udviklingsplan")
TOPICS = ("Eksport", "Strategi", "Finansiering", "Innovation, Digital forretningsmodel", "")


def audit_figures(tracker: Tracker, workdir: Path) -> dict[str, Any]:
    """Measured on the bench's log (replay, statement) and on a fresh log (the import)."""
    from bench.run import percentiles, timed

    first = tracker.log.recorded_at(1)
    last = tracker.log.head().recorded_at
    assert first is not None and last is not None
    rng = random.Random(11)

    def replay() -> None:
        moment = datetime.fromtimestamp(rng.uniform(first.timestamp(), last.timestamp()), UTC)
        status = tracker.status(2019, as_of=moment)
        tracker.municipalities(2019, as_of=status.as_of.position)

    results: dict[str, Any] = {"audit_replay": percentiles(timed(replay, 20))}
    start = time.perf_counter()
    statement = tracker.statement(2019)
    statement_xlsx(statement), statement_html(statement)
    results["final_statement_s"] = round(time.perf_counter() - start, 2)
    results["crm_import_rows_per_s"] = crm_import(workdir)
    return results


def crm_export(rows: int, municipalities: list[str], seed: int = 5) -> bytes:
    """A CRM export as the importer gets it: `;`, Danish dates and names, UTF-8 with BOM."""
    rng = random.Random(seed)
    cvrs = [c for c in map(str, range(20_000_000, 20_400_000)) if is_valid_cvr(c)]
    lines = ["Dato;Forløbstype;CVR;Virksomhed;Kommune;Konsulent;Emner"]
    for n in range(rows):
        day = f"{rng.randint(1, 28):02d}-{rng.randint(1, 12):02d}-2019"
        lines.append(
            f"{day};{rng.choice(TYPES)};{rng.choice(cvrs)};Virksomhed {n} ApS;{rng.choice(municipalities)};"
            f"Konsulent {n % 40};{rng.choice(TOPICS)}"
        )
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


BENCH_DIRECTOR = DemoAppender("bench", "director")


def crm_import(workdir: Path) -> int:
    """Rows per second for a 100,000-row CRM file into a fresh log, read to stored."""
    settings = Settings(database_url=f"sqlite:///{workdir / 'import.sqlite3'}")
    tracker = Tracker(settings)
    initialise(tracker.engine, settings.contracts_dir)
    path = workdir / "crm-100k.csv"
    path.write_bytes(crm_export(CRM_ROWS, [m.name for m in tracker.contract(2019).contract.municipalities]))
    start = time.perf_counter()
    report = import_file(tracker.import_destination(), "crm", path.read_bytes(), path.name, by=BENCH_DIRECTOR)
    seconds = time.perf_counter() - start
    assert report.stored == CRM_ROWS and not report.problems, report.as_dict()
    return round(CRM_ROWS / seconds)


def audit_rows(results: dict[str, Any]) -> list[tuple[str, str, str]]:
    replay = results["audit_replay"]
    return [
        (
            "audit replay (status + municipalities) p50 / p95",
            f"{replay['p50_ms']} / {replay['p95_ms']} ms",
            "≤ 2,000 ms",
        ),
        ("final statement (data + XLSX + HTML)", f"{results['final_statement_s']} s", "≤ 10 s"),
        ("CRM import, 100,000 rows (fresh log)", f"{results['crm_import_rows_per_s']:,} rows/s", "≥ 30,000/s"),
    ]
