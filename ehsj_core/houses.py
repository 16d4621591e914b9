"""The business houses as data: `houses.yaml` beside the contract files.

Six houses were set up by the law (seed L76–82); each runs its own installation. What a page, an
e-mail, a calendar or a document says about "the house" — its name, its KKR, its head office and
branches, its municipalities, the sender address, the logo text — is read from here, never written
in code. The national roll-up (`ehsj_core/national/`) accepts exports only from a house in this file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

HOUSES_FILE = "houses.yaml"


class HouseError(ValueError):
    """A house file that cannot be used, or a house it does not know; the message says which."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HouseMunicipality(_Strict):
    name: str = Field(min_length=1)
    population: int = Field(gt=0)


class House(_Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    name: str = Field(min_length=1, description="the Danish name, e.g. Erhvervshus Fyn")
    kkr: str = Field(min_length=1, description="the KKR the house has its performance contract with")
    head_office: str = Field(min_length=1)
    branches: tuple[str, ...] = ()
    mail_from: str = Field(min_length=3, description="the sender of the house's e-mails (EHSJ_MAIL_FROM overrides)")
    logo_text: str = Field(min_length=1)
    # True: the house's contracts and demo year in this product are fictitious examples (all but Sjælland)
    fictitious: bool = False
    municipalities: tuple[HouseMunicipality, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_municipalities(self) -> House:
        names = [m.name.casefold() for m in self.municipalities]
        if len(set(names)) != len(names):
            raise ValueError(f"house {self.key}: duplicate municipality names")
        return self

    @property
    def municipality_names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.municipalities)


class _HouseFile(_Strict):
    houses: tuple[House, ...] = Field(min_length=1)


@dataclass(frozen=True)
class HouseBook:
    """The houses of the file, by key, in the file's order."""

    houses: tuple[House, ...]

    def keys(self) -> tuple[str, ...]:
        return tuple(h.key for h in self.houses)

    def get(self, key: str) -> House | None:
        return next((h for h in self.houses if h.key == key), None)

    def require(self, key: str) -> House:
        house = self.get(key)
        if house is None:
            raise HouseError(f"ukendt erhvervshus {key!r}; kendte huse: {', '.join(self.keys())}")
        return house


# libyaml's safe loader when PyYAML was built with it (some ten times faster); the contracts use it too
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PARSED: dict[str, HouseBook] = {}  # by the source: a HouseBook is immutable, one parse serves the process


def parse_houses(source: str, filename: str = HOUSES_FILE) -> HouseBook:
    book = _PARSED.get(source)
    if book is None:
        book = _PARSED[source] = _parse(source, filename)
    return book


def _parse(source: str, filename: str) -> HouseBook:
    try:
        raw = yaml.load(source, Loader=SAFE_LOADER)  # noqa: S506  (a safe loader)
    except yaml.YAMLError as exc:
        raise HouseError(f"{filename}: not valid YAML: {exc}") from exc
    try:
        parsed = _HouseFile.model_validate(raw)
    except ValidationError as exc:
        lines = [f"  {'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors()]
        raise HouseError(f"{filename}: {exc.error_count()} problem(s)\n" + "\n".join(lines)) from exc
    keys = [h.key for h in parsed.houses]
    if len(set(keys)) != len(keys):
        raise HouseError(f"{filename}: duplicate house keys")
    return HouseBook(parsed.houses)


def read_houses(folder: Path) -> HouseBook:
    """The house file in a contracts folder."""
    path = folder / HOUSES_FILE
    if not path.is_file():
        raise HouseError(f"no house file ({HOUSES_FILE}) in {folder}")
    return parse_houses(path.read_text(encoding="utf-8"), path.name)


def house_book_for(folder: Path) -> HouseBook:
    """The house file of a contracts folder, else the packaged one (a folder of test contracts)."""
    from ehsj_core.settings import PACKAGED_CONTRACTS  # here: settings imports nothing of ours

    return read_houses(folder if (folder / HOUSES_FILE).is_file() else PACKAGED_CONTRACTS)
