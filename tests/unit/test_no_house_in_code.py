"""Issue 14: nothing Sjælland-specific is written in code or templates — what the product says about
the house comes from the house file (contracts/houses.yaml). Scanned: every string literal of the
Python sources of ehsj_core/ and services/ (docstrings and comments are not: they may cite the seed),
and the raw text of every template. Not scanned: the contracts and the house file (data), and the
demo modules (they fill Sjælland's demo year, helper modules of their own)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = (ROOT / "ehsj_core", ROOT / "services")
NOT_SCANNED = (
    ROOT / "ehsj_core" / "contracts",  # data: the contracts and houses.yaml
    ROOT / "ehsj_core" / "demo.py",  # the demo year's own names
    ROOT / "ehsj_core" / "demo_companies.py",
    ROOT / "ehsj_core" / "demo_data.py",  # keys Sjælland's own demo tables by the house's key
    ROOT / "ehsj_core" / "migrations",  # what the schema was: released, never edited
)
TEMPLATE_SUFFIXES = (".html", ".txt")
HOUSE_WORDS = re.compile(r"sj(æ|ae)lland|sorø", re.IGNORECASE)

# (file, the literal's text, whole) — a short list, each with its reason.
ALLOWED = {
    # The house an installation runs for when neither EHSJ_HOUSE nor the database names one: the one
    # house there was before houses became data (installation.py, and oidc.py, which reads settings
    # only), said in the setting's help.
    ("ehsj_core/installation.py", "sjaelland"),
    ("ehsj_core/oidc.py", "sjaelland"),
}
ALLOWED_FILES_WHERE_TEXT_EXPLAINS_THE_DEFAULT = {"ehsj_core/settings.py", "ehsj_core/installation.py"}


def _sources() -> Iterator[Path]:
    for folder in SCANNED:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not any(path.is_relative_to(skip) for skip in NOT_SCANNED):
                if path.suffix == ".py" or (path.suffix in TEMPLATE_SUFFIXES and "templates" in path.parts):
                    yield path


def _docstring_nodes(tree: ast.AST) -> set[int]:
    """The ids of the string constants that stand as statements of their own: docstrings."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
    }


def _literal_hits(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    skip = _docstring_nodes(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            if HOUSE_WORDS.search(node.value):
                yield node.lineno, node.value


def _template_hits(path: Path) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if HOUSE_WORDS.search(line):
            yield number, line.strip()


def _allowed(name: str, text: str) -> bool:
    if (name, text) in ALLOWED:
        return True
    # a Danish message or a help text that names the default house as such ("…, else sjaelland")
    return name in ALLOWED_FILES_WHERE_TEXT_EXPLAINS_THE_DEFAULT and bool(
        re.search(r"(else|ellers) (sjaelland|Sjælland)|EHSJ_HOUSE=sjaelland", text)
    )


def test_no_code_or_template_names_sjaelland() -> None:
    found = []
    for path in _sources():
        name = path.relative_to(ROOT).as_posix()
        hits = _literal_hits(path) if path.suffix == ".py" else _template_hits(path)
        found += [f"{name}:{line}: {text[:100]!r}" for line, text in hits if not _allowed(name, text)]
    assert not found, "Sjælland written in code or templates (take it from the house file):\n" + "\n".join(found)


def test_the_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    source = tmp_path / "example.py"
    source.write_text('"""Cites KKR Sjælland (seed L1)."""\n# Sorø\nX = f"til KKR Sjælland {1}"\n', encoding="utf-8")
    assert [line for line, _text in _literal_hits(source)] == [3]
