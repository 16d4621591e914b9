"""The demo year sending its reports to a test SMTP sink (tests/mailsink.py), as the e-mail tests need it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path

from ehsj_core.db import create_db_engine
from ehsj_core.notify.dispatch import deliver
from ehsj_core.notify.ledger import DispatchRow
from ehsj_core.notify.recipients import add_demo_recipients
from ehsj_core.settings import Settings
from ehsj_core.setup import initialise
from ehsj_core.tracker import Tracker
from tests.conftest import CONTRACTS
from tests.mailsink import Sink


@contextmanager
def demo_year_mailing_to(folder: Path, port: int) -> Iterator[Tracker]:
    """The demo year on a fresh SQLite database in `folder`, the demo's recipients added, e-mail
    going to the SMTP server on 127.0.0.1:`port` (plain, as a test sink)."""
    settings = Settings(
        database_url=f"sqlite:///{folder / 'mailing.sqlite3'}",
        contracts_dir=CONTRACTS,
        environment="test",
        snapshot_every=500,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_tls="none",
        smtp_timeout_seconds=5,
    )
    engine = create_db_engine(settings.database_url)
    initialise(engine, settings.contracts_dir)
    tracker = Tracker(settings, engine)
    tracker.load_demo()
    add_demo_recipients(engine, tracker.contract(2019).contract)
    try:
        yield tracker
    finally:
        engine.dispose()


def delivered(tracker: Tracker, sink: Sink, row: DispatchRow) -> EmailMessage:
    """Deliver a ledger row and return the message the SMTP sink received for it."""
    assert deliver(tracker, row.id) == "sent"  # the server has taken it
    [message] = [m for m in sink.messages if m["Message-ID"] == row.message_id]
    return message
