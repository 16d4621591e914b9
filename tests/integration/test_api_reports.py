"""Recipients are personal data (director only); the ledger and previews through the API."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ehsj_core.notify.recipients import add_demo_recipients
from ehsj_core.tracker import Tracker
from tests.conftest import auth


@pytest.mark.parametrize("role", ["consultant", "auditor", "chief"])
def test_only_the_director_reads_or_changes_recipients(role: str, client: TestClient, tokens: dict[str, str]) -> None:
    headers = auth(tokens[role])
    assert client.get("/api/recipients", headers=headers).status_code == 403
    body = {"role": "k17", "name": "K17", "email": "k17@example.org"}
    assert client.post("/api/recipients", json=body, headers=headers).status_code == 403
    assert client.delete("/api/recipients/1", headers=headers).status_code == 403
    assert client.get("/api/recipients", headers=auth(tokens["director"])).json() == {"recipients": []}


def test_the_director_manages_recipients_with_validated_addresses(client: TestClient, tokens: dict[str, str]) -> None:
    headers = auth(tokens["director"])
    bad = client.post(
        "/api/recipients",
        json={"role": "chief", "name": "X", "email": "not-an-address", "municipality": "Atlantis"},
        headers=headers,
    )
    assert bad.status_code == 422
    assert {p["field"] for p in bad.json()["errors"]} == {"email", "municipality"}
    first = client.post(
        "/api/recipients",
        json={"role": "chief", "name": "Ole", "email": "ole@example.org", "municipality": "lolland"},
        headers=headers,
    )
    assert first.status_code == 201 and first.json()["municipality"] == "Lolland"
    second = client.post(
        "/api/recipients",
        json={"role": "chief", "name": "Eva", "email": "eva@example.org", "municipality": "Lolland"},
        headers=headers,
    )
    assert second.status_code == 201
    listed = client.get("/api/recipients", headers=headers).json()["recipients"]
    assert [(r["name"], r["municipality"]) for r in listed] == [("Eva", "Lolland")]  # Eva replaced Ole
    assert client.delete(f"/api/recipients/{second.json()['id']}", headers=headers).status_code == 204
    assert client.get("/api/recipients", headers=headers).json()["recipients"] == []


def test_previews_send_nothing_and_chiefs_see_only_their_own(
    client: TestClient, tokens: dict[str, str], tracker: Tracker
) -> None:
    tracker.load_demo()
    add_demo_recipients(tracker.engine, tracker.contract(2019).contract)
    params = {"kind": "quarterly_status", "period": "2019Q3", "municipality": "Lolland"}
    own = client.get("/api/reports/preview", params=params, headers=auth(tokens["chief"]))
    assert own.status_code == 200 and "Lolland" in own.text and "cid:" not in own.text
    other = client.get("/api/reports/preview", params={**params, "municipality": "Sorø"}, headers=auth(tokens["chief"]))
    assert other.status_code == 403
    bad = client.get("/api/reports/preview", params={**params, "period": "2019Q5"}, headers=auth(tokens["director"]))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "period"
    assert client.get("/api/reports", headers=auth(tokens["director"])).json() == {"dispatches": []}


def test_one_registry_names_every_report_kind() -> None:
    from typing import get_args

    from ehsj_core.contract.model import ReportKind
    from ehsj_core.reports import kinds, labels
    from ehsj_core.reports.render import PARTS

    assert set(kinds.KINDS) == set(kinds.NAMES)
    assert set(get_args(ReportKind)) - {"final_statement"} <= {k.calendar for k in kinds.KINDS.values()}
    assert {k.template for k in kinds.KINDS.values()} == set(PARTS)
    assert [k.name for k in kinds.on_calendar(kinds.REMINDERS)] == ["reminder", "consultant_reminder"]
    assert labels.REPORT_TITLES["half_year_report"] == kinds.get("half_year_report").label
    assert labels.DISPATCH_KINDS["final_statement"] == "Endelig resultatopgørelse"
