"""`ehsj report …` in embedded mode: preview to a file, send into the outbox folder, once."""

from __future__ import annotations

import email
import os
import subprocess
import sys
from email.policy import default
from pathlib import Path

import pytest

from tests.conftest import CONTRACTS

EHSJ = str(Path(sys.executable).parent / "ehsj")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "EHSJ_DATABASE_URL": f"sqlite:///{tmp_path / 'ehsj.sqlite3'}",
        "EHSJ_CONTRACTS_DIR": str(CONTRACTS),
        "EHSJ_OUTBOX_DIR": str(tmp_path / "outbox"),
        "EHSJ_MODE": "embedded",
        "COLUMNS": "200",
    }


def ehsj(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EHSJ, *args], env=env, capture_output=True, text=True, timeout=300)


def test_preview_writes_html_and_send_fills_the_outbox_once(env: dict[str, str], tmp_path: Path) -> None:
    assert ehsj(env, "init").returncode == 0
    demo = ehsj(env, "demo")
    assert demo.returncode == 0 and "20 modtagere" in demo.stdout

    preview = tmp_path / "lolland.html"
    shown = ehsj(
        env, "report", "quarterly", "--period", "2019Q3", "--municipality", "lolland", "--preview", str(preview)
    )
    assert shown.returncode == 0, shown.stderr
    html = preview.read_text(encoding="utf-8")
    assert "Lolland" in html and "data:image/png;base64," in html and "cid:" not in html
    assert not (tmp_path / "outbox").exists()  # a preview sends nothing

    sent = ehsj(env, "report", "half-year", "--period", "2019H1", "--send")
    assert sent.returncode == 0, sent.stderr
    again = ehsj(env, "report", "half-year", "--period", "2019H1", "--send")
    assert "sent" in again.stderr
    [eml] = list((tmp_path / "outbox").glob("*.eml"))
    message = email.message_from_bytes(eml.read_bytes(), policy=default)
    assert message["To"] == "Kommunaldirektørkredsen K17 <k17@example.org>"
    assert any((p.get_filename() or "").endswith(".xlsx") for p in message.walk())

    bad = ehsj(env, "report", "quarterly", "--period", "2019Q5", "--municipality", "Lolland", "--preview", str(preview))
    assert bad.returncode == 2 and "period" in bad.stderr
    listing = ehsj(env, "report", "list")
    assert "half_year_report" in listing.stdout and "k17@example.org" in listing.stdout
