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
from ehsj_core.houses import HOUSES_FILE, SAFE_LOADER, HouseBook
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


# Parsed contracts by the SHA-256 of their source: a `Contract` is immutable, so one parse serves every
# book of the process (a process reads six houses' contracts from the database for each new Tracker).
_PARSED: dict[str, Contract] = {}


def parse_contract(source: str, filename: str = "<contract>") -> LoadedContract:
    sha256 = hashlib.sha256(source.encode()).hexdigest()
    contract = _PARSED.get(sha256)
    if contract is None:
        contract = _PARSED[sha256] = _parse(source, filename)
    return LoadedContract(contract, source, sha256, filename)


def _parse(source: str, filename: str) -> Contract:
    try:
        raw = yaml.load(source, Loader=SAFE_LOADER)  # noqa: S506  (a safe loader)
    except yaml.YAMLError as exc:
        raise ContractError(f"{filename}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ContractError(f"{filename}: expected a mapping at the top level")
    try:
        return Contract.model_validate(raw)
    except ValidationError as exc:
        lines = [f"  {'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors()]
        raise ContractError(f"{filename}: {exc.error_count()} problem(s)\n" + "\n".join(lines)) from exc


def read_contract_folder(folder: Path) -> list[LoadedContract]:
    # houses.yaml, the house file beside the contracts (ehsj_core/houses.py), is not a contract
    files = sorted(p for p in [*folder.glob("*.yaml"), *folder.glob("*.yml")] if p.name != HOUSES_FILE)
    if not files:
        raise ContractError(f"no contract files (*.yaml) in {folder}")
    return [parse_contract(p.read_text(encoding="utf-8"), p.name) for p in files]


def check_houses(items: Iterable[LoadedContract], houses: HouseBook) -> None:
    """Each contract belongs to a house of the house file and measures exactly its municipalities
    (the names as the house file spells them); ContractError naming every problem otherwise."""
    problems: list[str] = []
    for item in items:
        c = item.contract
        house = houses.get(c.house)
        if house is None:
            problems.append(f"{item.filename}: house {c.house!r} is not in {HOUSES_FILE} ({', '.join(houses.keys())})")
            continue
        ours, theirs = {m.name for m in c.municipalities}, set(house.municipality_names)
        if ours != theirs:
            missing, extra = sorted(theirs - ours), sorted(ours - theirs)
            problems.append(
                f"{item.filename}: the municipalities are not {house.name}'s in {HOUSES_FILE} "
                f"(missing: {', '.join(missing) or '-'}; not the house's: {', '.join(extra) or '-'})"
            )
    if problems:
        raise ContractError(f"{len(problems)} problem(s)\n" + "\n".join(f"  {p}" for p in problems))


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
