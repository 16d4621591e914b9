"""Every kind of report e-mail, as a real SMTP server received it, fits a phone: shown in Chromium at
390 × 844 it does not scroll sideways and its column fills the screen; at 1280 px its column is at
most 600 px wide and nothing in it sticks out. Screenshots land in tests/artifacts/emails/."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ViewportSize

from ehsj_core.notify.dispatch import prepare
from ehsj_core.notify.recipients import add_recipient
from ehsj_core.tracker import Tracker
from tests.e2e.conftest import ARTIFACTS, DESKTOP, PHONE
from tests.factories import Actor
from tests.mailing import delivered, demo_year_mailing_to
from tests.mailsink import Sink, smtp_server

CONSULTANT = "Anne Kjærgaard"  # a business developer of the demo year, with open courses
# kind, period, and whose e-mail is looked at (the kinds with one recipient: that one)
SENT = (
    ("quarterly_status", "2019Q3", "erhvervschef.lolland@example.org"),
    ("half_year_report", "2019H1", "k17@example.org"),
    ("annual_status", "2019", "kkr-sjaelland@example.org"),
    ("reminder", "2019-W40", "direktoer@example.org"),
    ("consultant_reminder", "2019-W40", "anne@example.org"),
    ("final_statement", "2019", "kkr-sjaelland@example.org"),
)
# The column, its widest descendant (right edge), and the widest image, in CSS pixels.
MEASURE = """() => {
  const column = document.querySelector('.ehsj-column').getBoundingClientRect();
  const right = Math.max(...[...document.querySelectorAll('.ehsj-column *')].map(e => e.getBoundingClientRect().right));
  const images = [...document.images].map(i => ({width: i.getBoundingClientRect().width, loaded: i.naturalWidth}));
  return {scroll: document.documentElement.scrollWidth, left: column.left, width: column.width,
          right: column.right, inner: right, images};
}"""


@pytest.fixture
def sent(tmp_path: Path) -> Iterator[dict[str, EmailMessage]]:
    """The demo year, closed, and one e-mail of every kind sent through a real SMTP server."""
    with smtp_server() as (sink, port), demo_year_mailing_to(tmp_path, port) as tracker:
        engine = tracker.engine
        contract = tracker.contract(2019).contract
        add_recipient(engine, contract, "consultant", CONSULTANT, "anne@example.org")
        tracker.append(
            {"type": "period.closed", "occurred_on": "2020-01-31", "data": {"year": 2019}},
            by=Actor("Dorte Direktør", "director"),
        )
        yield {kind: send_one(tracker, sink, kind, period, address) for kind, period, address in SENT}


def send_one(tracker: Tracker, sink: Sink, kind: str, period: str, address: str) -> EmailMessage:
    [row] = [r for r in prepare(tracker, kind, period) if r.email == address]
    return delivered(tracker, sink, row)


def as_shown(message: EmailMessage) -> str:
    """The HTML part as received, its inline images (cid:) given to the browser as data URIs."""
    body = message.get_body(preferencelist=("html",))
    assert isinstance(body, EmailMessage)
    html = body.get_content()
    assert isinstance(html, str)
    for part in message.walk():
        if part.get_content_type() == "image/png":
            cid = str(part["Content-ID"]).strip("<>")
            data = base64.b64encode(part.get_payload(decode=True)).decode("ascii")  # type: ignore[arg-type]
            assert f"cid:{cid}" in html
            html = html.replace(f"cid:{cid}", f"data:image/png;base64,{data}")
    return html


def test_every_report_email_fits_a_phone_and_keeps_to_600_px_on_a_wide_screen(
    browser: Browser, sent: dict[str, EmailMessage]
) -> None:
    folder = ARTIFACTS / "emails"
    folder.mkdir(parents=True, exist_ok=True)
    assert set(sent) == {kind for kind, _period, _address in SENT}
    sizes: tuple[tuple[str, ViewportSize], ...] = (("phone", PHONE), ("desktop", DESKTOP))
    for size_name, size in sizes:
        context = browser.new_context(viewport=size, locale="da-DK", java_script_enabled=True)
        tab = context.new_page()
        for kind, message in sent.items():
            tab.set_content(as_shown(message), wait_until="load")
            seen = tab.evaluate(MEASURE)
            where = f"{kind} at {size['width']} px"
            assert seen["scroll"] <= size["width"], f"{where} scrolls sideways: {seen['scroll']} px wide"
            assert seen["inner"] <= seen["right"] + 0.5, f"{where}: content sticks out of the column: {seen}"
            assert all(i["loaded"] > 0 and i["width"] <= seen["width"] for i in seen["images"]), where
            if size_name == "phone":  # full width below 600 px, less the frame's few pixels
                assert seen["width"] >= size["width"] - 10, f"{where}: the column is {seen['width']} px"
            else:
                assert seen["width"] <= 600, f"{where}: the column is {seen['width']} px"
                assert abs(seen["left"] - (size["width"] - seen["right"])) <= 1, f"{where}: not centred"
            tab.screenshot(path=str(folder / f"{kind}-{size_name}-{size['width']}.png"), full_page=True)
        context.close()
