"""README "Deploying", backup and restore: a PostgreSQL database with the demo year and a sent
quarterly report, dumped with `pg_dump -Fc` and restored with `pg_restore` into an empty database —
where the hash chain verifies and the sent report reproduces byte for byte."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from ehsj_core.audit.integrity import verify
from ehsj_core.audit.reproduce import reproduce
from ehsj_core.db import create_db_engine
from ehsj_core.notify import ledger
from ehsj_core.notify.dispatch import deliver, prepare
from ehsj_core.notify.recipients import add_demo_recipients
from ehsj_core.settings import Settings
from ehsj_core.setup import initialise
from ehsj_core.tracker import Tracker
from tests.conftest import CONTRACTS
from tests.services import fresh_postgres_database, service_missing

pytestmark = pytest.mark.postgres
EHSJ = str(Path(sys.executable).parent / "ehsj")


def pg_program(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        service_missing(name, "not installed")
    return found


def libpq(url: str) -> str:
    """The SQLAlchemy URL as pg_dump/pg_restore take it."""
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def test_a_restored_dump_verifies_and_reproduces_the_sent_report(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    with fresh_postgres_database() as original, fresh_postgres_database() as restored:
        settings = Settings(
            database_url=original, contracts_dir=CONTRACTS, environment="test", mode="embedded", outbox_dir=outbox
        )
        engine = create_db_engine(original)
        initialise(engine, CONTRACTS)
        tracker = Tracker(settings, engine)
        tracker.load_demo()
        add_demo_recipients(engine, tracker.contract(2019).contract)
        rows = prepare(tracker, "quarterly_status", "2019Q3", tracker.log.head().position)
        lolland = next(r for r in rows if r.municipality == "Lolland")
        deliver(tracker, lolland.id)
        sent = ledger.get_row(engine, lolland.id)
        assert sent is not None and sent.state == "sent" and sent.sha256
        engine.dispose()

        dump = tmp_path / "ehsj.dump"
        subprocess.run(
            [pg_program("pg_dump"), "-Fc", "--no-owner", "-f", str(dump), libpq(original)], check=True, timeout=120
        )
        subprocess.run(
            [pg_program("pg_restore"), "--no-owner", "--exit-on-error", "-d", libpq(restored), str(dump)],
            check=True,
            timeout=120,
        )

        back = create_db_engine(restored)
        again = Tracker(settings.model_copy(update={"database_url": restored}), back)
        report = verify(back)
        assert report.ok, report
        result = reproduce(again, sent.id)
        assert result.identical and result.rebuilt_digest == sent.sha256, result.verdict
        back.dispose()

        env = {**os.environ, "EHSJ_DATABASE_URL": restored, "EHSJ_OUTBOX_DIR": str(outbox), "COLUMNS": "200"}
        for command in (["audit", "verify"], ["audit", "reproduce", str(sent.id)]):
            done = subprocess.run([EHSJ, *command], env=env, capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, (command, done.stdout, done.stderr)
