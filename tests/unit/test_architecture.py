"""The shape the design promises, checked on the source: one reader and one store own the log, and
no entry point appends except through the rule book."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.conftest import ROOT

SOURCES = [
    p for folder in ("ehsj_core", "services") for p in (ROOT / folder).rglob("*.py") if "migrations" not in p.parts
]
LOG_TABLES = re.compile(
    r"\b(events_table|retractions_table|StoredEvent|RetractionIndex)\b|\b(FROM|INTO|UPDATE|JOIN)\s+(events|retractions)\b"
)
OWNERS = {ROOT / "ehsj_core/events/reader.py", ROOT / "ehsj_core/events/store.py", ROOT / "ehsj_core/tables.py"}


def source(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_only_the_reader_and_the_store_touch_the_log_tables() -> None:
    touching = {p.relative_to(ROOT).as_posix() for p in SOURCES if LOG_TABLES.search(source(p)) and p not in OWNERS}
    assert touching == set()


def test_only_the_rule_book_calls_the_store_to_persist() -> None:
    persisting = {p.relative_to(ROOT).as_posix() for p in SOURCES if re.search(r"\.(try_)?persist\(", source(p))}
    assert persisting == {"ehsj_core/events/rulebook.py", "ehsj_core/events/store.py"}


def test_only_the_rule_book_takes_the_append_lock() -> None:
    """… and `privacy forget`, which appends nothing: it holds the lock so that no append seals
    under a subject's key while the key is being erased."""
    locking = {p.relative_to(ROOT).as_posix() for p in SOURCES if re.search(r"with [\w.]+\.locked\(\)", source(p))}
    assert locking == {"ehsj_core/events/rulebook.py", "ehsj_core/privacy/forget.py"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(source(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_no_core_module_imports_the_composition_root() -> None:
    """tracker.py is built by the API, the CLI and the worker; the core is handed what it needs."""
    core = [p for p in (ROOT / "ehsj_core").rglob("*.py") if p.name != "tracker.py"]
    importing = {
        p.relative_to(ROOT).as_posix()
        for p in core
        if any(name == "ehsj_core.tracker" or name.startswith("ehsj_core.tracker.") for name in _imports(p))
    }
    assert importing == set()


def test_the_core_imports_no_web_framework_and_no_task_queue() -> None:
    core = list((ROOT / "ehsj_core").rglob("*.py"))
    offending = {
        p.relative_to(ROOT).as_posix()
        for p in core
        if any(name.split(".")[0] in ("fastapi", "starlette", "celery", "services") for name in _imports(p))
    }
    assert offending == set()
