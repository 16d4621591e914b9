"""Every API operation is described in Danish in the OpenAPI document (`services/api/descriptions.py`)."""

from __future__ import annotations

from pathlib import Path

from ehsj_core.settings import Settings
from services.api.app import create_app
from services.api.descriptions import OPERATION_DESCRIPTIONS


def test_every_operation_has_its_danish_description_and_no_entry_is_stale(tmp_path: Path) -> None:
    app = create_app(Settings(environment="test", database_url=f"sqlite:///{tmp_path / 'x.sqlite3'}"))
    operations = [op for path in app.openapi()["paths"].values() for op in path.values()]
    ids = {op["operationId"] for op in operations}
    assert len(ids) == len(operations) >= 20
    assert ids - OPERATION_DESCRIPTIONS.keys() == set(), "operations without a Danish description"
    assert OPERATION_DESCRIPTIONS.keys() - ids == set(), "descriptions of operations that no longer exist"
    for op in operations:
        assert op["description"] == OPERATION_DESCRIPTIONS[op["operationId"]]
