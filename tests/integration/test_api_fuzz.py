"""Schemathesis against the OpenAPI schema: whatever it sends, the API never answers with a 5xx."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from ehsj_core.db import create_db_engine
from ehsj_core.settings import Settings
from ehsj_core.setup import initialise
from ehsj_core.tracker import Tracker
from ehsj_core.users import create_user
from services.api.app import create_app
from tests.conftest import CONTRACTS
from tests.factories import Actor, course

TOKEN: dict[str, str] = {}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path: Path = tmp_path_factory.mktemp("fuzz") / "ehsj.sqlite3"
    config = Settings(database_url=f"sqlite:///{path}", contracts_dir=CONTRACTS, environment="test")
    engine = create_db_engine(config.database_url)
    initialise(engine, CONTRACTS)
    TOKEN["director"] = create_user(engine, "Fuzz Direktør", "director")
    tracker = Tracker(config, engine)
    tracker.append({"events": [course(company=n) for n in range(1, 6)]}, by=Actor("seed"))
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(config, tracker))


def test_no_input_makes_the_api_fail_with_a_server_error(api_schema: Any) -> None:
    headers = {"Authorization": f"Bearer {TOKEN['director']}"}
    checked = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def never_a_server_error(case: Any) -> None:
            response = case.call(headers=headers)
            assert response.status_code < 500, (case.method, case.path, case.body, response.text)

        never_a_server_error()
        checked.append(f"{operation.method.upper()} {operation.path}")
    assert "POST /api/events" in checked and "POST /api/reports/send" in checked
    assert len(checked) == sum(len(methods) for methods in api_schema.raw_schema["paths"].values())
