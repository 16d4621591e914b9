"""SMTP that fails clearly: real aiosmtpd servers that lack STARTTLS or refuse recipients, and a port
nobody listens on — through the CLI (one line on standard error, exit code 1 when the server refuses, 3
when it cannot be reached; no traceback) and the API (502/503)."""

from __future__ import annotations

import html
import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from ehsj_core.notify import dispatch, ledger, mail
from ehsj_core.notify.recipients import add_recipient
from ehsj_core.settings import Settings
from ehsj_core.tracker import Tracker
from services.api.app import create_app
from tests.conftest import CONTRACTS, auth
from tests.mailsink import Sink, free_port, smtp_server
from tests.webclient import create_people, sign_in

EHSJ = str(Path(sys.executable).parent / "ehsj")


class RefusingRecipients(Sink):
    async def handle_RCPT(self, _server: Any, _session: Any, _envelope: Any, address: str, _options: Any) -> str:
        return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"


@contextmanager
def refusing_server() -> Iterator[int]:
    port = free_port()
    controller = Controller(RefusingRecipients(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database with the demo year, copied for each test (the demo takes a while)."""
    folder = tmp_path_factory.mktemp("demo")
    env = {
        **os.environ,
        "EHSJ_DATABASE_URL": f"sqlite:///{folder / 'ehsj.sqlite3'}",
        "EHSJ_CONTRACTS_DIR": str(CONTRACTS),
    }
    for args in (["init"], ["demo"]):
        done = subprocess.run([EHSJ, *args], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    return folder / "ehsj.sqlite3"


def cli_env(tmp_path: Path, demo_db: Path, port: int, **extra: str) -> dict[str, str]:
    db = tmp_path / "ehsj.sqlite3"
    if not db.exists():
        db.write_bytes(demo_db.read_bytes())
    env = {k: v for k, v in os.environ.items() if not k.startswith("EHSJ_SMTP")}
    return (
        env
        | {
            "EHSJ_DATABASE_URL": f"sqlite:///{db}",
            "EHSJ_CONTRACTS_DIR": str(CONTRACTS),
            "EHSJ_OUTBOX_DIR": str(tmp_path / "outbox"),
            "EHSJ_MODE": "embedded",
            "EHSJ_SMTP_HOST": "127.0.0.1",
            "EHSJ_SMTP_PORT": str(port),
            "EHSJ_SMTP_TIMEOUT_SECONDS": "5",
            "COLUMNS": "200",
        }
        | extra
    )


def send_half_year(env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], list[ledger.DispatchRow]]:
    done = subprocess.run(
        [EHSJ, "report", "half-year", "--period", "2019H1", "--send"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    settings = Settings(database_url=env["EHSJ_DATABASE_URL"], contracts_dir=CONTRACTS)
    rows = ledger.find_rows(Tracker(settings).engine, "half_year_report", "2019H1")
    return done, rows


def error_lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]


def test_a_server_without_starttls_gives_one_line_and_the_rows_stay_pending(tmp_path: Path, demo_db: Path) -> None:
    with smtp_server() as (sink, port):  # aiosmtpd without a TLS context offers no STARTTLS
        done, rows = send_half_year(cli_env(tmp_path, demo_db, port))  # EHSJ_SMTP_TLS unset: starttls
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "Retry" not in done.stderr
    assert error_lines(done) == [
        f"SMTP-serveren 127.0.0.1:{port} tilbyder ikke STARTTLS — "
        f"sæt EHSJ_SMTP_TLS=none eller brug port 465 med EHSJ_SMTP_TLS=implicit"
    ]
    assert [(r.state, r.attempts) for r in rows] == [("pending", 0)] and sink.messages == []
    # With the setting changed as the line says, the same rows go out.
    with smtp_server() as (sink, port):
        again, rows = send_half_year(cli_env(tmp_path, demo_db, port, EHSJ_SMTP_TLS="none"))
    assert again.returncode == 0, again.stderr
    assert [r.state for r in rows] == ["sent"] and len(sink.messages) == 1


def test_a_refused_recipient_is_one_line_and_fails_that_row(tmp_path: Path, demo_db: Path) -> None:
    with refusing_server() as port:
        done, rows = send_half_year(cli_env(tmp_path, demo_db, port, EHSJ_SMTP_TLS="none"))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    lines = [line for line in error_lines(done) if "SMTP-serveren" in line]
    assert len(lines) == 1
    assert lines[0].startswith(f"SMTP-serveren 127.0.0.1:{port} afviste modtageren k17@example.org (550 5.1.1")
    assert "ehsj recipients" in lines[0]
    assert [(r.state, r.attempts) for r in rows] == [("failed", 1)] and rows[0].last_error == lines[0]


def test_an_unreachable_server_is_one_line_quickly_and_the_rows_stay_pending(tmp_path: Path, demo_db: Path) -> None:
    port = free_port()  # nobody listens here
    done, rows = send_half_year(cli_env(tmp_path, demo_db, port, EHSJ_SMTP_TLS="none"))
    assert done.returncode == 3 and "Traceback" not in done.stderr  # 3: a service does not answer
    assert error_lines(done) == [
        f"SMTP-serveren 127.0.0.1:{port} kan ikke nås (forbindelsen blev afvist) — "
        f"tjek EHSJ_SMTP_HOST og EHSJ_SMTP_PORT"
    ]
    assert [(r.state, r.attempts) for r in rows] == [("pending", 0)]


# --- the API ---------------------------------------------------------------------------------------------
def _with_smtp(tracker: Tracker, port: int, tls: str | None = None) -> None:
    tracker.settings = tracker.settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_tls": tls, "smtp_timeout_seconds": 5.0}
    )
    add_recipient(tracker.engine, tracker.contract(2019).contract, "k17", "K17", "k17@example.org")


def test_the_api_answers_502_for_a_server_without_starttls(
    client: TestClient, tokens: dict[str, str], tracker: Tracker
) -> None:
    with smtp_server() as (_sink, port):
        _with_smtp(tracker, port)
        answer = client.post(
            "/api/reports/send", json={"kind": "half_year_report", "period": "2019H1"}, headers=auth(tokens["director"])
        )
    assert answer.status_code == 502
    assert answer.json()["detail"] == (
        f"SMTP-serveren 127.0.0.1:{port} tilbyder ikke STARTTLS — "
        f"sæt EHSJ_SMTP_TLS=none eller brug port 465 med EHSJ_SMTP_TLS=implicit"
    )
    assert [(r.state, r.attempts) for r in ledger.find_rows(tracker.engine, "half_year_report")] == [("pending", 0)]


def test_the_api_answers_503_for_an_unreachable_server(
    client: TestClient, tokens: dict[str, str], tracker: Tracker
) -> None:
    port = free_port()
    _with_smtp(tracker, port, "none")
    answer = client.post(
        "/api/reports/send", json={"kind": "half_year_report", "period": "2019H1"}, headers=auth(tokens["director"])
    )
    assert answer.status_code == 503
    assert answer.json()["detail"].startswith(f"SMTP-serveren 127.0.0.1:{port} kan ikke nås")
    assert [r.state for r in ledger.find_rows(tracker.engine, "half_year_report")] == ["pending"]


def test_the_api_accepts_every_kind_of_the_registry(client: TestClient, tokens: dict[str, str]) -> None:
    from ehsj_core.reports import kinds

    schema = client.get("/openapi.json").json()["components"]["schemas"]["SendRequest"]["properties"]["kind"]
    assert set(schema["enum"]) == set(kinds.KINDS) == set(kinds.NAMES)
    bad = client.post(
        "/api/reports/send", json={"kind": "consultant_reminder", "period": "2019Q3"}, headers=auth(tokens["director"])
    )
    assert bad.status_code == 422  # a weekly kind takes an ISO week


# --- TLS is verified -------------------------------------------------------------------------------------
def test_starttls_and_implicit_tls_use_a_verifying_context(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[ssl.SSLContext] = []
    real = ssl.create_default_context

    def spy(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        context = real(*args, **kwargs)
        made.append(context)
        return context

    monkeypatch.setattr(ssl, "create_default_context", spy)
    context = mail.tls_context()
    assert made == [context]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    # A TLS server speaking to a plain port: implicit TLS fails in one line that names the setting.
    with smtp_server() as (_sink, port):
        settings = Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_tls="implicit", smtp_timeout_seconds=5)
        with pytest.raises(mail.MailError) as caught:
            mail.check_server(settings)
    assert caught.value.failure.text.startswith(f"SMTP-serveren 127.0.0.1:{port}: TLS mislykkedes")
    assert "EHSJ_SMTP_TLS=starttls" in caught.value.failure.text and caught.value.failure.http_status == 502
    assert len(made) == 2  # the implicit connection was made with a verifying context too


def test_the_older_starttls_switch_still_works_and_the_password_is_secret() -> None:
    assert Settings(smtp_starttls=False).smtp_security == "none"
    assert Settings().smtp_security == "starttls"
    assert Settings(smtp_tls="implicit", smtp_starttls=False).smtp_security == "implicit"
    settings = Settings(smtp_password="hemmelig")
    assert "hemmelig" not in repr(settings) and settings.smtp_password is not None
    assert settings.smtp_password.get_secret_value() == "hemmelig"


def test_the_reports_page_says_in_one_line_what_keeps_waiting_reports_from_going_out(
    tmp_path: Path, demo_db: Path
) -> None:
    with smtp_server() as (_sink, port):  # no STARTTLS offered, the default asks for it
        env = cli_env(tmp_path, demo_db, port)
        settings = Settings(
            database_url=env["EHSJ_DATABASE_URL"],
            contracts_dir=CONTRACTS,
            environment="test",
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_timeout_seconds=5,
            outbox_dir=tmp_path / "outbox",
        )
        tracker = Tracker(settings)
        [row, *_] = dispatch.prepare(tracker, "half_year_report", "2019H1")
        attempt = dispatch.attempt_delivery(tracker, row.id)
    assert attempt.outcome == "retry" and attempt.failure is not None
    assert "tilbyder ikke STARTTLS" in attempt.failure.text
    waiting = ledger.get_row(tracker.engine, row.id)
    assert waiting is not None and waiting.state == "pending"
    create_people(tracker.engine)
    with TestClient(create_app(settings, tracker), base_url="https://testserver") as client:
        sign_in(client, "Dorte Direktør")
        answer = client.get("/rapporter")
    page = html.unescape(answer.text)
    assert answer.status_code == 200 and "Rapporter venter på at blive sendt" in page
    assert page.count(attempt.failure.text) >= 1
