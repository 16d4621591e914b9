"""The access log on the report paths (issue 11): sending a report on purpose and the status KKR asks
for (API), the ledger listed on the command line, and a sent report reproduced with its address — each
names what it showed the director, through the real parts (API, CLI, SMTP server)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from ehsj_core.access_log import AccessEntry, read_access_log, shell_user
from ehsj_core.notify import ledger
from ehsj_core.notify.recipients import list_recipients
from ehsj_core.settings import get_settings
from ehsj_core.users import issue_token
from services.cli.main import app as cli
from tests.conftest import auth
from tests.integration import test_kkr_reports
from tests.integration.test_kkr_reports import Stack, small_year

stack = test_kkr_reports.stack  # the fixture: SQLite and PostgreSQL, an SMTP server, the demo's recipients


def newest(stack: Stack) -> AccessEntry:
    return read_access_log(stack.tracker.engine)[0]


def director(stack: Stack) -> dict[str, str]:
    return auth(issue_token(stack.tracker.engine, "Dorte Direktør"))


def test_sending_a_report_on_purpose_records_the_addresses_it_answers_with(stack: Stack) -> None:
    small_year(stack.tracker)
    chiefs = list_recipients(stack.tracker.engine, "chief")
    sent = stack.client.post(
        "/api/reports/send", json={"kind": "quarterly_status", "period": "2019Q3"}, headers=director(stack)
    )
    assert sent.status_code == 202, sent.text
    entry = newest(stack)
    assert (entry.user, entry.role, entry.action, entry.channel) == (
        "Dorte Direktør",
        "director",
        "recipients.read",
        "api",
    )
    assert entry.detail == {"where": "/api/reports/send", "addresses": len({r.email for r in chiefs})}
    stack.wait_sent("quarterly_status", "2019Q3", len(chiefs))


def test_the_status_kkr_asks_for_records_the_kkr_addresses(stack: Stack) -> None:
    small_year(stack.tracker)
    asked = stack.client.post(
        "/api/reports/request", json={"request_key": str(uuid.uuid4()), "year": 2019}, headers=director(stack)
    )
    assert asked.status_code == 202, asked.text
    entry = newest(stack)
    assert (entry.action, entry.channel, entry.role) == ("recipients.read", "api", "director")
    assert entry.detail == {"where": "/api/reports/request", "addresses": len(stack.kkr())}
    stack.wait_sent("annual_status", asked.json()["period"], len(stack.kkr()))


@pytest.fixture
def shell(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The command line on the stack's own database (the CLI reads its settings from the environment)."""
    monkeypatch.setenv("EHSJ_DATABASE_URL", stack.settings.database_url)
    monkeypatch.setenv("EHSJ_CONTRACTS_DIR", str(stack.settings.contracts_dir))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_the_ledger_on_the_command_line_and_a_reproduced_report_with_its_address_are_recorded(
    stack: Stack, shell: CliRunner
) -> None:
    small_year(stack.tracker)
    rows = ledger.find_rows(stack.tracker.engine, "quarterly_status", "2019Q3")
    assert rows == []
    assert shell.invoke(cli, ["report", "list"]).exit_code == 0
    assert read_access_log(stack.tracker.engine) == []  # an empty ledger shows no address: nothing to note

    stack.client.post(
        "/api/reports/send", json={"kind": "quarterly_status", "period": "2019Q3"}, headers=director(stack)
    )
    sent = stack.wait_sent("quarterly_status", "2019Q3", len(list_recipients(stack.tracker.engine, "chief")))
    listed = shell.invoke(cli, ["report", "list", "--kind", "quarterly_status", "--json"])
    assert listed.exit_code == 0, listed.output
    entry = newest(stack)
    assert (entry.user, entry.role, entry.channel) == (shell_user(), None, "cli")
    assert entry.detail == {"where": "ehsj report list", "addresses": len({r.email for r in sent})}

    plain = shell.invoke(cli, ["audit", "reproduce", str(sent[0].id)])
    assert plain.exit_code == 0, plain.output
    assert newest(stack).detail == entry.detail  # the text shows no address: nothing new is noted
    shown = shell.invoke(cli, ["audit", "reproduce", str(sent[0].id), "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["dispatch"]["email"] == sent[0].email
    reproduced = newest(stack)
    assert (reproduced.action, reproduced.channel) == ("recipients.read", "cli")
    assert reproduced.detail == {"where": f"ehsj audit reproduce {sent[0].id} --json", "addresses": 1}
