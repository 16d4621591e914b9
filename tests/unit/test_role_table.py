"""The role table in the README is the one in the code."""

from __future__ import annotations

from ehsj_core.users import PERMISSIONS, ROLES
from tests.conftest import ROOT


def readme_role_table() -> dict[str, set[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("<!-- role-table -->")[1].split("<!-- /role-table -->")[0]
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in table.strip().splitlines()]
    header, body = rows[0], rows[2:]
    roles = header[2:]
    granted: dict[str, set[str]] = {role: set() for role in roles}
    for row in body:
        permission = row[0].strip("`")
        for role, mark in zip(roles, row[2:], strict=True):
            assert mark in ("✓", "–"), row
            if mark == "✓":
                granted[role].add(permission)
    return granted


def test_the_readme_role_table_is_the_permissions_table_of_the_code() -> None:
    assert readme_role_table() == {role: set(PERMISSIONS[role]) for role in ROLES}


def test_only_the_director_administers_and_only_writers_append() -> None:
    assert [r for r in ROLES if "admin" in PERMISSIONS[r]] == ["director"]
    assert {r for r in ROLES if "append" in PERMISSIONS[r]} == {"consultant", "director"}
    assert PERMISSIONS["chief"] == frozenset({"read"})
