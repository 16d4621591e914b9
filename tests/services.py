"""Reaching the real services the integration tests need. In CI (CI=true) a missing one fails."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import pytest
import sqlalchemy as sa

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
POSTGRES_ADMIN_URL = os.environ.get("EHSJ_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def service_missing(what: str, why: object) -> NoReturn:
    """A test that needs a service fails without it — in CI and on a developer's machine alike
    (`make test` starts PostgreSQL and Redis when they are down)."""
    where = "in CI every service must run" if IN_CI else "run `make services` (or `make test`) first"
    pytest.fail(f"{what} is not reachable ({why}); {where}", pytrace=False)


def postgres_available() -> None:
    try:
        engine = sa.create_engine(POSTGRES_ADMIN_URL)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure to connect means the service is missing
        service_missing("PostgreSQL", exc)


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty database on the local server for one test; dropped afterwards."""
    postgres_available()
    name = f"ehsj_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
