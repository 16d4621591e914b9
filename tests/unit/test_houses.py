"""The house file (contracts/houses.yaml): six houses, each contract measured over its own house's
municipalities, and a clear refusal of what does not fit."""

from __future__ import annotations

import pytest

from ehsj_core.contract.loader import ContractError, check_houses, parse_contract, read_contract_folder
from ehsj_core.houses import HouseError, parse_houses, read_houses
from tests.conftest import CONTRACTS

SIX = ("hovedstaden", "sjaelland", "fyn", "sydjylland", "midtjylland", "nordjylland")


def test_the_six_houses_with_their_head_offices_and_only_sjaelland_real() -> None:
    houses = read_houses(CONTRACTS)
    assert houses.keys() == SIX
    offices = {h.key: h.head_office for h in houses.houses}
    assert offices == {
        "hovedstaden": "København",
        "sjaelland": "Sorø",
        "fyn": "Odense",
        "sydjylland": "Vejle",
        "midtjylland": "Aarhus",
        "nordjylland": "Aalborg",
    }
    sjaelland = houses.require("sjaelland")
    assert (sjaelland.name, sjaelland.kkr, sjaelland.branches) == (
        "Erhvervshus Sjælland",
        "KKR Sjælland",
        ("Vordingborg",),
    )
    assert len(sjaelland.municipalities) == 17
    assert [h.key for h in houses.houses if not h.fictitious] == ["sjaelland"]


def test_every_packaged_contract_measures_its_own_houses_municipalities() -> None:
    contracts = read_contract_folder(CONTRACTS)
    check_houses(contracts, read_houses(CONTRACTS))  # raises on any mismatch
    assert sorted(c.contract.house for c in contracts) == sorted(SIX)
    assert {c.contract.house for c in contracts if not c.contract.fictitious} == {"sjaelland"}
    assert all("(fiktivt eksempel)" in c.contract.title for c in contracts if c.contract.fictitious)


def test_a_contract_of_an_unknown_house_or_with_another_houses_municipalities_is_refused() -> None:
    source = (CONTRACTS / "fyn-2019.yaml").read_text(encoding="utf-8")
    houses = read_houses(CONTRACTS)
    wrong_town = parse_contract(source.replace("{name: Ærø,", "{name: Greve,"), "fyn-2019.yaml")
    with pytest.raises(ContractError) as refused:
        check_houses([wrong_town], houses)
    assert "missing: Ærø; not the house's: Greve" in str(refused.value)
    nowhere = parse_contract(source.replace("house: fyn", "house: bornholm"), "bornholm-2019.yaml")
    with pytest.raises(ContractError, match="house 'bornholm' is not in houses.yaml"):
        check_houses([nowhere], houses)


def test_an_unknown_house_key_is_refused_in_danish_naming_the_known_ones() -> None:
    with pytest.raises(HouseError, match="ukendt erhvervshus 'bornholm'; kendte huse: hovedstaden, sjaelland"):
        read_houses(CONTRACTS).require("bornholm")


def test_a_house_file_with_a_duplicate_key_or_a_missing_field_is_refused() -> None:
    entry = (
        "  - {key: fyn, name: Erhvervshus Fyn, kkr: KKR Syddanmark, head_office: Odense, "
        "mail_from: a@b.dk, logo_text: Fyn, municipalities: [{name: Odense, population: 1}]}\n"
    )
    with pytest.raises(HouseError, match="duplicate house keys"):
        parse_houses("houses:\n" + entry + entry)
    with pytest.raises(HouseError, match=r"houses\.0\.kkr: Field required"):
        parse_houses("houses:\n" + entry.replace("kkr: KKR Syddanmark, ", ""))
