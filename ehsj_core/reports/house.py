"""What reports, documents and pages say about the house beyond its contract (issue 14): the KKR it
has its contract with, how many municipalities it has, and whether the contract shown is a
fictitious example — read from the house file (contracts/houses.yaml), never written in code.

The words are presentation, not data: a report's `as_dict()` (and so a final statement's content
digest) leaves them out (`PRESENTATION`), so Sjælland's documents are the same as before the houses
became data, and a statement's digest does not change when a house file's wording does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ehsj_core.contract.model import Contract
from ehsj_core.houses import House, HouseBook, house_book_for

# dataclass field metadata: words from the house file, left out of `data.to_json`
PRESENTATION: dict[str, Any] = {"presentation": True}

FICTITIOUS_LABEL = "Fiktivt eksempel"
FICTITIOUS_SUBJECT_PREFIX = "[Fiktivt eksempel] "


@dataclass(frozen=True)
class HouseWords:
    kkr: str  # "KKR Sjælland"
    municipalities: int  # the contract's municipalities ("de 17 kommuner")
    fictitious: bool  # the contract (or the house) is a fictitious example


@lru_cache(maxsize=1)
def _packaged_houses() -> HouseBook:
    from ehsj_core.settings import PACKAGED_CONTRACTS

    return house_book_for(PACKAGED_CONTRACTS)


def is_fictitious(house: House, contracts: Iterable[Contract]) -> bool:
    """The one rule: a house marked fictitious in the house file, or any of its contracts shown, is a
    fictitious example (every page, e-mail, document and calendar of it says so)."""
    return house.fictitious or any(c.fictitious for c in contracts)


def words_for(contract: Contract, houses: HouseBook | None = None) -> HouseWords:
    """The house file's words for the contract's house: from `houses` (the installation's house
    file, `Tracker.houses`) when handed, else the packaged houses.yaml. An unknown house is refused
    (`HouseError`, naming the houses known)."""
    house = (houses if houses is not None else _packaged_houses()).require(contract.house)
    return HouseWords(house.kkr, len(contract.municipalities), is_fictitious(house, (contract,)))


def fictitious_note(house_name: str) -> str:
    """The one sentence every page, e-mail and document of a fictitious contract carries."""
    return (
        f"{FICTITIOUS_LABEL}: kontrakten og tallene her er opdigtet for at vise systemet – "
        f"ikke en rigtig resultatkontrakt for {house_name}."
    )


def subject_prefix(fictitious: bool) -> str:
    return FICTITIOUS_SUBJECT_PREFIX if fictitious else ""
