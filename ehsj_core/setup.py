"""Bringing a database to a usable state: migrations and contracts (`ehsj init`, prestart, tests)."""

from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ehsj_core.contract.loader import LoadedContract, check_houses, read_contract_folder, store_contracts
from ehsj_core.houses import HouseBook, house_book_for
from ehsj_core.installation import record_house
from ehsj_core.migrate import upgrade_to_head


def initialise(
    engine: Engine, contracts_dir: Path, house: str | None = None, houses: HouseBook | None = None
) -> list[LoadedContract]:
    """Migrate to the newest schema and store every contract file of the folder (idempotent). With
    `house` (EHSJ_HOUSE set), record it as the database's house (HouseError if it is another's)."""
    upgrade_to_head(engine)
    contracts = read_contract_folder(contracts_dir)
    book = houses if houses is not None else house_book_for(contracts_dir)
    check_houses(contracts, book)
    if house is not None:
        record_house(engine, house, book)
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
