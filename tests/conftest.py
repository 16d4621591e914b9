"""Shared fixtures: a fresh database per test on SQLite and on PostgreSQL, a tracker, an API client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from ehsj_core.db import create_db_engine
from ehsj_core.settings import Settings
from ehsj_core.setup import initialise
from ehsj_core.tracker import Tracker
from ehsj_core.users import create_user
from services.api.app import create_app
from tests.services import fresh_postgres_database
from tests.webclient import create_people

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "contracts"
TEST_CONTRACTS = ROOT / "tests" / "data" / "contracts"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ehsj.sqlite3'}"
    else:
        with fresh_postgres_database() as url:
            yield url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, contracts_dir=CONTRACTS, environment="test", snapshot_every=100)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = create_db_engine(settings.database_url)
    initialise(engine, settings.contracts_dir)
    yield engine
    engine.dispose()


@pytest.fixture
def tracker(settings: Settings, engine: Engine) -> Tracker:
    return Tracker(settings, engine)


@pytest.fixture
def client(settings: Settings, tracker: Tracker) -> Iterator[TestClient]:
    with TestClient(create_app(settings, tracker)) as test_client:
        yield test_client


@pytest.fixture
def web(settings: Settings, tracker: Tracker) -> Iterator[TestClient]:
    """The web app over HTTPS (its session cookie is Secure), with one user of every role
    (`tests.webclient.create_people`) to sign in as."""
    create_people(tracker.engine)
    with TestClient(create_app(settings, tracker), base_url="https://testserver") as test_client:
        yield test_client


@pytest.fixture
def tokens(engine: Engine) -> dict[str, str]:
    """One API token per role (the chief belongs to Lolland)."""
    return {
        "consultant": create_user(engine, "Karen Konsulent", "consultant"),
        "director": create_user(engine, "Dorte Direktør", "director"),
        "auditor": create_user(engine, "Anders Revisor", "auditor"),
        "chief": create_user(engine, "Lars Erhvervschef", "chief", "Lolland"),
    }


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
