"""Contract files → validated `Contract`; every version kept in the database; the book in force."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
import yaml
from pydantic import ValidationError
from sqlalchemy.engine import Engine

from ehsj_core.contract.model import Contract
from ehsj_core.tables import StoredContract

contracts_table: sa.Table = StoredContract.__table__  # type: ignore[attr-defined]


class ContractError(ValueError):
    """A contract that cannot be used, with every problem spelled out."""


@dataclass(frozen=True)
class LoadedContract:
    contract: Contract
    source: str
    sha256: str
    filename: str


def parse_contract(source: str, filename: str = "<contract>") -> LoadedContract:
    try:
        raw = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        raise ContractError(f"{filename}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ContractError(f"{filename}: expected a mapping at the top level")
    try:
        contract = Contract.model_validate(raw)
    except ValidationError as exc:
        lines = [f"  {'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors()]
        raise ContractError(f"{filename}: {exc.error_count()} problem(s)\n" + "\n".join(lines)) from exc
    return LoadedContract(contract, source, hashlib.sha256(source.encode()).hexdigest(), filename)


def read_contract_folder(folder: Path) -> list[LoadedContract]:
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    if not files:
        raise ContractError(f"no contract files (*.yaml) in {folder}")
    return [parse_contract(p.read_text(encoding="utf-8"), p.name) for p in files]


def store_contracts(engine: Engine, items: Iterable[LoadedContract]) -> int:
    """Record each contract version not yet stored (all or nothing); returns how many were new."""
    new = 0
    with engine.begin() as conn:
        for item in items:
            c = item.contract
            exists = conn.execute(
                sa.select(contracts_table.c.id).where(
                    contracts_table.c.house == c.house,
                    contracts_table.c.year == c.year,
                    contracts_table.c.sha256 == item.sha256,
                )
            ).first()
            if exists is None:
                new += 1
                conn.execute(
                    contracts_table.insert().values(
                        house=c.house,
                        year=c.year,
                        filename=item.filename,
                        sha256=item.sha256,
                        source=item.source,
                        loaded_at=datetime.now(UTC),
                    )
                )
    return new


class ContractBook:
    """The contracts in force: the newest stored version per house and year."""

    def __init__(self, contracts: Iterable[LoadedContract]) -> None:
        self._by_key: dict[tuple[str, int], LoadedContract] = {}
        for item in contracts:
            self._by_key[(item.contract.house, item.contract.year)] = item
        self._years: dict[str, list[int]] = {}  # per house, sorted: validation asks once per event
        for house, year in sorted(self._by_key):
            self._years.setdefault(house, []).append(year)

    @classmethod
    def from_database(cls, engine: Engine) -> ContractBook:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(contracts_table.c.source, contracts_table.c.filename).order_by(contracts_table.c.id)
            ).all()
        return cls(parse_contract(row.source, row.filename) for row in rows)

    def __len__(self) -> int:
        return len(self._by_key)

    def years(self, house: str) -> list[int]:
        return list(self._years.get(house, ()))

    def get(self, house: str, year: int) -> LoadedContract | None:
        return self._by_key.get((house, year))

    def for_validation(self, house: str, year: int) -> Contract | None:
        """The contract an event of `year` is checked against: that year's, else the nearest
        earlier one, else the first later one (municipalities and milestone keys rarely change)."""
        years = self._years.get(house)
        if not years:
            return None
        earlier = [y for y in years if y <= year]
        chosen = earlier[-1] if earlier else years[0]
        return self._by_key[(house, chosen)].contract
