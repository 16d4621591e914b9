"""Each chief's quarterly e-mail carries a workbook of its municipality's figures: taken from the
message a real SMTP server (aiosmtpd) received, it opens in openpyxl with Danish headers, real numbers
and dates and a frozen header row; its figures are the municipality's row of `/api/municipalities`
(as the chief's own token reads it), its months add up to the year, and `reproduce` rebuilds the
dispatch with the same digest. SQLite only: the backend adds nothing the render tests do not show."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from ehsj_core.audit.reproduce import reproduce
from ehsj_core.notify import ledger
from ehsj_core.notify.dispatch import build_row, prepare
from ehsj_core.reports.render import render
from ehsj_core.reports.xlsx import MIMETYPE
from ehsj_core.settings import Settings
from ehsj_core.tracker import Tracker
from ehsj_core.users import create_user
from services.api.app import create_app
from tests.conftest import auth
from tests.mailing import delivered, demo_year_mailing_to
from tests.mailsink import Sink, smtp_server


@dataclass
class Sent:
    settings: Settings
    tracker: Tracker
    sink: Sink


@pytest.fixture
def sent(tmp_path: Path) -> Iterator[Sent]:
    with smtp_server() as (sink, port), demo_year_mailing_to(tmp_path, port) as tracker:
        yield Sent(tracker.settings, tracker, sink)


def send_to(sent: Sent, period: str, municipality: str) -> tuple[ledger.DispatchRow, EmailMessage]:
    [row] = [r for r in prepare(sent.tracker, "quarterly_status", period) if r.municipality == municipality]
    message = delivered(sent.tracker, sent.sink, row)
    stored = ledger.get_row(sent.tracker.engine, row.id)
    assert stored is not None
    return stored, message


def workbook_of(message: EmailMessage) -> tuple[str, bytes]:
    [part] = list(message.iter_attachments())
    assert part.get_content_type() == MIMETYPE
    data = part.get_content()
    assert isinstance(data, bytes)
    return part.get_filename() or "", data


def plain(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert isinstance(body, EmailMessage)
    text = body.get_content()
    assert isinstance(text, str)
    return text


def rows_by_header(ws: Any) -> list[dict[str, Any]]:
    header = [c.value for c in ws[1]]
    return [dict(zip(header, row, strict=True)) for row in ws.iter_rows(min_row=2, values_only=True)]


def test_the_chiefs_quarterly_email_carries_its_municipalitys_figures_as_a_workbook(sent: Sent) -> None:
    row, message = send_to(sent, "2019Q4", "Lolland")  # the fourth quarter: its year to date is the year
    filename, data = workbook_of(message)
    assert filename == "kvartalsstatus-2019Q4-lolland.xlsx"
    assert f"vedhæftede regneark {filename}" in plain(message)

    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Kommunen", "Måneder"]
    own = workbook["Kommunen"]
    assert own.freeze_panes == "B2" and own.column_dimensions["A"].width == 18
    quarter, year = rows_by_header(own)
    assert (quarter["Periode"], year["Periode"]) == ("4. kvartal 2019", "År til dato")
    assert (year["Fra"], year["Til"]) == (datetime(2019, 1, 1), datetime(2019, 12, 31))
    assert (quarter["Fra"], quarter["Til"]) == (datetime(2019, 10, 1), datetime(2019, 12, 31))
    assert own["B2"].number_format == "dd-mm-yyyy"

    chief = create_user(sent.tracker.engine, "Lars Erhvervschef", "chief", "Lolland")
    with TestClient(create_app(sent.settings, sent.tracker)) as client:
        answer = client.get("/api/municipalities", params={"year": 2019, "as_of": row.position}, headers=auth(chief))
    assert answer.status_code == 200, answer.text
    [api] = answer.json()["municipalities"]
    assert api["name"] == "Lolland"
    names = {ct.key: ct.name for ct in sent.tracker.contract(2019).contract.course_types}
    expected = {
        "Indbyggere": api["population"],
        "Befolkningsandel (%)": api["population_share_pct"],
        **{names[key]: count for key, count in api["courses"].items()},
        "Specialiserede forløb": api["specialised_courses"],
        "Andel af specialiserede forløb (%)": api["specialised_share_pct"],
        "Afvigelse (procentpoint)": api["deviation_pp"],
        "Arrangementer": api["events_hosted"],
        "Nyhedsbreve": api["newsletters"],
        "Datoer tilbudt til byrådsoplæg": "ja" if api["council_presentation_offered"] else "nej",
    }
    assert {key: year[key] for key in expected} == expected
    assert api["specialised_courses"] > 0 and isinstance(year["Specialiserede forløb"], int)

    months = rows_by_header(workbook["Måneder"])
    assert [m["Fra"].month for m in months] == list(range(1, 13))
    assert months[0]["Periode"] == "januar 2019" and months[-1]["Til"] == datetime(2019, 12, 31)
    for key, count in api["courses"].items():  # the months add up to the year
        assert sum(m[names[key]] for m in months) == count, key
    assert sum(m["Specialiserede forløb"] for m in months[-3:]) == quarter["Specialiserede forløb"]

    # Rebuilt from the ledger: the same digest, and the very bytes the chief received.
    fresh = Tracker(sent.settings, sent.tracker.engine)
    result = reproduce(fresh, row.id)
    assert result.identical and result.rebuilt_digest == row.sha256, result.verdict
    [rebuilt] = render(build_row(fresh, row)).attachments
    assert hashlib.sha256(rebuilt.data).hexdigest() == hashlib.sha256(data).hexdigest()


def test_each_chief_gets_their_own_municipalitys_workbook(sent: Sent) -> None:
    _first, lolland = send_to(sent, "2019Q3", "Lolland")
    _second, soroe = send_to(sent, "2019Q3", "Sorø")
    (lolland_name, lolland_data), (soroe_name, soroe_data) = workbook_of(lolland), workbook_of(soroe)
    assert (lolland_name, soroe_name) == ("kvartalsstatus-2019Q3-lolland.xlsx", "kvartalsstatus-2019Q3-soroe.xlsx")
    assert lolland_data != soroe_data
    for data, name in ((lolland_data, "Lolland"), (soroe_data, "Sorø")):
        workbook = openpyxl.load_workbook(io.BytesIO(data))
        assert workbook.properties.title == f"Kvartalsstatus 3. kvartal 2019: {name} Kommune"
        assert workbook.properties.created == datetime(2019, 9, 30)
        assert len(rows_by_header(workbook["Måneder"])) == 9  # January to September
