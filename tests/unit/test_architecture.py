"""The shape the design promises, checked on the source: one reader and one store own the log, and
no entry point appends except through the rule book."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import ROOT

SOURCES = [p for folder in ("ehsj_core", "services") for p in (ROOT / folder).rglob("*.py") if "migrations" not in p.parts]
LOG_TABLES = re.compile(r"\b(events_table|retractions_table|StoredEvent|RetractionIndex)\b|\b(FROM|INTO|UPDATE|JOIN)\s+(events|retractions)\b")
OWNERS = {ROOT / "ehsj_core/events/reader.py", ROOT / "ehsj_core/events/store.py", ROOT / "ehsj_core/tables.py"}


def source(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_only_the_reader_and_the_store_touch_the_log_tables() -> None:
    touching = {p.relative_to(ROOT).as_posix() for p in SOURCES if LOG_TABLES.search(source(p)) and p not in OWNERS}
    assert touching == set()


def test_only_the_rule_book_calls_the_store_to_persist() -> None:
    persisting = {p.relative_to(ROOT).as_posix() for p in SOURCES if re.search(r"\.(try_)?persist\(", source(p))}
    assert persisting == {"ehsj_core/events/rulebook.py", "ehsj_core/events/store.py"}


def test_every_append_goes_through_the_rule_books_submit() -> None:
    """The tracker's two appending methods are the rule book's `submit` and `submit_raw`, and nothing
    else in the product writes events."""
    tracker = source(ROOT / "ehsj_core/tracker.py")
    assert "rulebook.submit_raw(" in tracker and "rulebook.submit(" in tracker
    others = {
        p.relative_to(ROOT).as_posix()
        for p in SOURCES
        if re.search(r"rulebook\.submit(_raw)?\(", source(p)) and p.name != "tracker.py"
    }
    assert others == set()
