"""Bringing a database to a usable state: migrations and contracts (`ehsj init`, prestart, tests)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from ehsj_core.contract.loader import LoadedContract, read_contract_folder, store_contracts
from ehsj_core.migrate import upgrade_to_head


def initialise(engine: Engine, contracts_dir: Path) -> list[LoadedContract]:
    """Migrate to the newest schema and store every contract file of the folder (idempotent)."""
    upgrade_to_head(engine)
    contracts = read_contract_folder(contracts_dir)
    store_contracts(engine, contracts)
    return contracts
