"""Issue 14: what the product says about "the house" comes from the house file. An installation of
Erhvervshus Fyn (EHSJ_HOUSE=fyn, its fictitious example contract) names Erhvervshus Fyn and KKR
Syddanmark on its pages, in its e-mails, its PDF statement, its downloads and its calendar — never
Sjælland — and every one of them says that the contract is a fictitious example; Sjælland's
installation (its real 2019 contract) says nothing of the kind."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from ehsj_core.db import create_db_engine
from ehsj_core.notify.dispatch import prepare
from ehsj_core.notify.recipients import add_demo_recipients
from ehsj_core.reports import kinds, render
from ehsj_core.reports.kinds import BuildRequest
from ehsj_core.reports.pdf import statement_pdf
from ehsj_core.settings import Settings
from ehsj_core.setup import initialise
from ehsj_core.tracker import Tracker
from ehsj_core.users import create_user
from services.api.app import create_app
from tests.conftest import CONTRACTS
from tests.factories import Actor, course
from tests.mailing import delivered
from tests.mailsink import smtp_server
from tests.pdf_reading import page_texts
from tests.webclient import PASSWORD, sign_in, token_of

MARK = "Fiktivt eksempel"
SUBJECT_MARK = "[Fiktivt eksempel] "
FORBIDDEN = re.compile(r"sj(æ|ae)lland|sorø", re.IGNORECASE)
FYN_PEOPLE = {"Dorte Direktør": ("director", None), "Ole Erhvervschef": ("chief", "Odense")}
PAGES = ("/", "/maal/1", "/kommuner", "/kommuner/Odense", "/historik", "/rapporter", "/kalender", "/tilgaengelighed")
CONSULTANT = Actor("Karen Konsulent", "consultant")


def fyn_year(tracker: Tracker) -> int:
    """A few events of Fyn's fictitious 2019 (Odense, Svendborg, a KKR meeting); returns the head."""
    events = [course("action_plan", "Odense", f"2019-0{m}-04", company=m) for m in (2, 3, 4)]
    events += [
        course("growth_plan", "Svendborg", "2019-05-06", company=9),
        course("short", "Nyborg", "2019-02-07", company=0),
        {"type": "meeting.held", "occurred_on": "2019-06-20", "data": {"meeting_kind": "kkr", "title": "Strategi"}},
    ]
    return tracker.append({"events": events}, by=CONSULTANT)[-1].position


def fyn_settings(database_url: str, **more: object) -> Settings:
    return Settings(
        database_url=database_url,
        contracts_dir=CONTRACTS,
        environment="test",
        snapshot_every=100,
        house="fyn",
        **more,  # type: ignore[arg-type]
    )


@pytest.fixture
def fyn(database_url: str) -> Iterator[Tracker]:
    settings = fyn_settings(database_url)
    engine = create_db_engine(settings.database_url)
    initialise(engine, settings.contracts_dir)
    tracker = Tracker(settings, engine)
    fyn_year(tracker)
    yield tracker
    engine.dispose()


@pytest.fixture
def fyn_web(fyn: Tracker) -> Iterator[TestClient]:
    for name, (role, municipality) in FYN_PEOPLE.items():
        create_user(fyn.engine, name, role, municipality, password=PASSWORD)
    with TestClient(create_app(fyn.settings, fyn), base_url="https://testserver") as client:
        yield client


def assert_fictitious_fyn(text: str, where: str) -> None:
    assert MARK in text, f"{where}: no fictitious marker"
    found = FORBIDDEN.search(text)
    assert found is None, f"{where}: says {found.group(0)!r}: …{text[max(0, found.start() - 80) : found.end() + 80]}…"


def xlsx_text(data: bytes) -> str:
    """Every XML part of a workbook, as text (shared strings, sheets, properties)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "\n".join(archive.read(n).decode("utf-8") for n in archive.namelist() if n.endswith(".xml"))


def mail_text(message: EmailMessage) -> str:
    parts = [str(message["Subject"]), str(message["From"])]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            parts.append(str(part.get_content()))
    return "\n".join(parts)


# --- the pages ---------------------------------------------------------------------------------------
def test_every_page_of_fyn_names_fyn_and_its_kkr_and_says_the_contract_is_fictitious(fyn_web: TestClient) -> None:
    sign_in(fyn_web, "Dorte Direktør")
    for path in PAGES:
        answer = fyn_web.get(path)
        assert answer.status_code == 200, (path, answer.text[:300])
        assert_fictitious_fyn(answer.text, path)
        assert re.search(r'role="note"[^>]*><strong>Fiktivt eksempel: ', answer.text), path  # the banner, on top
        assert "Erhvervshus Fyn · resultatkontrakten med KKR Syddanmark" in answer.text, path  # the footer
    assert "Status til KKR Syddanmark på anmodning" in fyn_web.get("/rapporter").text
    assert "De 10 kommuner 2019" in fyn_web.get("/kommuner").text
    preview = fyn_web.get("/rapporter/forhaandsvisning", params={"period": "2019Q2", "municipality": "Odense"})
    assert preview.status_code == 200, preview.text[:300]
    assert_fictitious_fyn(preview.text, "the preview of the quarterly status")
    assert "resultatkontrakten mellem KKR Syddanmark og Erhvervshus Fyn" in preview.text


def test_the_signed_out_pages_and_the_chiefs_carry_the_marker_too(fyn_web: TestClient) -> None:
    for path in ("/log-ind", "/tilgaengelighed"):
        assert_fictitious_fyn(fyn_web.get(path).text, path)
    sign_in(fyn_web, "Ole Erhvervschef")
    assert_fictitious_fyn(fyn_web.get("/").text, "the chief's overview")
    assert_fictitious_fyn(fyn_web.get("/kommuner/Odense").text, "the chief's municipality")


# --- e-mails -----------------------------------------------------------------------------------------
def test_fyns_emails_have_the_marker_in_subject_html_and_text_and_name_kkr_syddanmark(fyn: Tracker) -> None:
    head = fyn.log.head().position
    for kind, period, municipality in (
        ("quarterly_status", "2019Q2", "Odense"),
        ("half_year_report", "2019H1", None),
        ("annual_status", "2019", None),
        ("reminder", "2019-W24", None),
    ):
        spec = kinds.get(kind)
        report = spec.build(fyn, BuildRequest(spec.resolve(period), head, municipality=municipality, key=period))
        rendered = render(report)
        assert rendered.subject.startswith(SUBJECT_MARK), rendered.subject
        assert rendered.text.startswith("Fiktivt eksempel: "), rendered.text[:200]
        for where, text in (("subject", rendered.subject), ("html", rendered.html), ("text", rendered.text)):
            assert_fictitious_fyn(text, f"{kind} {where}")
        for attachment in rendered.attachments:
            assert not FORBIDDEN.search(xlsx_text(attachment.data)), attachment.filename
    annual = render(
        kinds.get("annual_status").build(fyn, BuildRequest(kinds.get("annual_status").resolve("2019"), head))
    )
    assert "til KKR Syddanmark – Erhvervshus Fyn" in annual.subject
    assert "Til KKR Syddanmark" in annual.html and "mellem KKR Syddanmark og Erhvervshus Fyn" in annual.text
    quarterly = kinds.get("quarterly_status")
    chief = render(quarterly.build(fyn, BuildRequest(quarterly.resolve("2019Q2"), head, municipality="Odense")))
    assert "Til erhvervscheferne i de 10 kommuner" in chief.html


def test_a_delivered_email_of_fyn_is_from_the_house_files_sender_and_marked(database_url: str) -> None:
    with smtp_server() as (sink, port):
        settings = fyn_settings(
            database_url, smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none", smtp_timeout_seconds=5
        )
        assert settings.mail_from is None  # EHSJ_MAIL_FROM unset: the house file's sender
        engine = create_db_engine(settings.database_url)
        try:
            initialise(engine, settings.contracts_dir)
            tracker = Tracker(settings, engine)
            fyn_year(tracker)
            add_demo_recipients(engine, tracker.contract(2019).contract, tracker.houses)
            rows = prepare(tracker, "quarterly_status", "2019Q2")
            [odense] = [r for r in rows if r.municipality == "Odense"]
            message = delivered(tracker, sink, odense)
        finally:
            engine.dispose()
    assert message["From"] == "Erhvervshus Fyn <rapporter@erhvervshusfyn.dk>"
    assert str(message["Subject"]).startswith(SUBJECT_MARK)
    assert message["Message-ID"].endswith("@erhvervshusfyn.dk>")
    assert_fictitious_fyn(mail_text(message), "the delivered e-mail")


def test_ehsj_mail_from_still_overrides_the_house_files_sender(database_url: str) -> None:
    from ehsj_core.notify.mail import sender

    settings = fyn_settings(database_url, mail_from="Fyn Test <test@example.org>")
    tracker = Tracker(settings)
    try:
        assert sender(settings.mail_from, tracker.house_info) == "Fyn Test <test@example.org>"
        assert sender(None, tracker.house_info) == "Erhvervshus Fyn <rapporter@erhvervshusfyn.dk>"
    finally:
        tracker.engine.dispose()


# --- documents ---------------------------------------------------------------------------------------
def test_fyns_statement_pdf_and_workbook_say_fictitious_on_every_page(fyn: Tracker) -> None:
    from ehsj_core.audit.statement_render import statement_html, statement_xlsx

    statement = fyn.statement(2019, fyn.log.head().position)
    texts = page_texts(statement_pdf(statement, fyn.log))
    assert texts and all("FIKTIVT EKSEMPEL" in t for t in texts)  # the running header of every page
    assert_fictitious_fyn(" ".join(texts), "the statement PDF")
    html = statement_html(statement).decode()
    assert_fictitious_fyn(html, "the statement page")
    assert '<p class="fictitious" role="note">Fiktivt eksempel: ' in html
    assert_fictitious_fyn(xlsx_text(statement_xlsx(statement)), "the statement workbook")
    assert "Fiktivt eksempel" not in statement.as_dict().__repr__()  # words, not data: the digest is the data's


def test_fyns_downloads_say_fictitious_in_om_udtraekket_and_after_the_rows(fyn_web: TestClient) -> None:
    sign_in(fyn_web, "Dorte Direktør")
    for path in (
        "/eksport/overblik",
        "/eksport/kommuner",
        "/eksport/kommuner/Odense",
        "/eksport/historik",
        "/eksport/udsendelser",
    ):
        workbook = fyn_web.get(f"{path}.xlsx")
        assert workbook.status_code == 200, (path, workbook.text[:300])
        text = xlsx_text(workbook.content)
        assert_fictitious_fyn(text, f"{path}.xlsx")
        assert "Om udtrækket" in text
        csv = fyn_web.get(f"{path}.csv")
        assert_fictitious_fyn(csv.content.decode("utf-8-sig"), f"{path}.csv")


def test_fyns_calendar_is_named_fictitious_and_names_kkr_syddanmark(fyn_web: TestClient) -> None:
    sign_in(fyn_web, "Dorte Direktør")
    made = fyn_web.post(
        "/kalender/adresse", data={"csrf_token": token_of(fyn_web, "/kalender")}, follow_redirects=False
    )
    assert made.status_code == 303
    found = re.search(r'value="https://testserver(/kalender/[A-Za-z0-9_-]+\.ics)"', fyn_web.get("/kalender").text)
    assert found
    answer = fyn_web.get(found.group(1))
    assert answer.status_code == 200
    cal = Calendar.from_ical(answer.content)
    assert str(cal["X-WR-CALNAME"]).startswith(SUBJECT_MARK)
    description = str(cal["X-WR-CALDESC"])
    assert "Erhvervshus Fyn" in description and "KKR Syddanmark" in description
    events = list(cal.walk("VEVENT"))
    assert events and all(str(e["DESCRIPTION"]).startswith("Fiktivt eksempel: ") for e in events)
    summaries = {str(e["SUMMARY"]) for e in events}
    assert "Møde i KKR Syddanmark: Strategi" in summaries
    assert any(s.startswith("Årsstatus til KKR Syddanmark") for s in summaries), summaries
    unfolded = answer.content.decode("utf-8").replace("\r\n ", "")
    assert_fictitious_fyn(unfolded, "the calendar feed")


# --- Sjælland: real, unmarked ------------------------------------------------------------------------
def test_sjaellands_pages_emails_and_documents_carry_no_marker(web: TestClient, tracker: Tracker) -> None:
    tracker.append(course("action_plan", "Lolland", "2019-03-04", company=2), by=CONSULTANT)
    sign_in(web, "Dorte Direktør")
    for path in ("/", "/kommuner", "/rapporter", "/kalender", "/tilgaengelighed"):
        page = web.get(path).text
        assert MARK not in page, path
        assert "Erhvervshus Sjælland · resultatkontrakten med KKR Sjælland" in page, path
    workbook = web.get("/eksport/overblik.xlsx")
    assert MARK not in xlsx_text(workbook.content)
    head = tracker.log.head().position
    spec = kinds.get("annual_status")
    rendered = render(spec.build(tracker, BuildRequest(spec.resolve("2019"), head)))
    assert not rendered.subject.startswith("[") and MARK not in rendered.html and MARK not in rendered.text
    assert "mellem KKR Sjælland og Erhvervshus Sjælland" in rendered.text
    statement = tracker.statement(2019, head)
    assert all("FIKTIVT" not in t for t in page_texts(statement_pdf(statement, tracker.log)))
