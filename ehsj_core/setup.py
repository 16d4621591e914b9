"""Bringing a database to a usable state: migrations and contracts (`ehsj init`, prestart, tests)."""

from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ehsj_core.contract.loader import LoadedContract, read_contract_folder, store_contracts
from ehsj_core.migrate import upgrade_to_head


def initialise(engine: Engine, contracts_dir: Path) -> list[LoadedContract]:
    """Migrate to the newest schema and store every contract file of the folder (idempotent)."""
    upgrade_to_head(engine)
    contracts = read_contract_folder(contracts_dir)
    store_contracts(engine, contracts)
    return contracts


def wait_for_database(engine: Engine, seconds: int) -> bool:
    """Try to connect once a second for up to `seconds` (the prestart step of a deployment)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            return True
        except sa.exc.OperationalError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(1)
