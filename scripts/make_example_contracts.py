"""Write the fictitious 2019 example contracts of the five houses other than Sjælland.

Each is Sjælland's real 2019 contract (contracts/sjaelland-2019.yaml) with the house's own name, KKR,
municipalities (from contracts/houses.yaml) and a contribution per inhabitant like Sjælland's; every
goal and target is the same. They exist to show that any house can run the product, and they say
so: `fictitious: true`, "(fiktivt eksempel)" in the title. Run from the project root:

    python scripts/make_example_contracts.py
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "contracts"
SOURCE = CONTRACTS / "sjaelland-2019.yaml"
KR_PER_INHABITANT = 23_910_000 / 836_657  # Sjælland's 2019 contribution (seed L1604–1647)


def municipalities_block(municipalities: list[dict[str, object]]) -> str:
    total = sum(int(m["population"]) for m in municipalities)  # type: ignore[call-overload]
    budget = round(total * KR_PER_INHABITANT, -4)
    width = max(len(str(m["name"])) for m in municipalities) + 1
    lines = ["municipalities:"]
    for m in municipalities:
        population = int(m["population"])  # type: ignore[call-overload]
        share = population / total
        name = f"{m['name']},".ljust(width + 1)
        lines.append(
            f"  - {{name: {name} population: {population}, share_pct: {share * 100:.2f}, "
            f"contribution_dkk: {round(share * budget)}}}"
        )
    return "\n".join(lines) + "\n"


def example(source: str, house: dict[str, object]) -> str:
    name, kkr, key = str(house["name"]), str(house["kkr"]), str(house["key"])
    count = len(house["municipalities"])  # type: ignore[arg-type]
    body = source.split("\nmunicipalities:\n", 1)[1]
    body = body.split("\n\n", 1)[1]  # the municipality rows end at the first blank line
    if key == "hovedstaden":  # goal 10 is the collaboration with the other house of Greater Copenhagen
        body = body.replace("Erhvervshus Hovedstaden", "@OTHER@")
    swaps = [
        ("KKR Sjællands", f"{kkr}s"),
        ("KKR Sjælland", kkr),
        ("Erhvervshus Sjællands", f"{name}s"),
        ("Erhvervshus Sjælland", name),
        ("Region Sjælland", "husets område"),
        ("region Sjælland", "husets område"),
        ("sjællandske", "lokale"),
        ("Sjællandsmodellen", "samarbejdsmodellen"),
        ("@OTHER@", "Erhvervshus Sjælland"),
        ("de 17 kommuner", f"de {count} kommuner"),
        ("alle 17 kommuner", f"alle {count} kommuner"),
        ("hver af de 17", f"hver af de {count}"),
    ]
    for old, new in swaps:
        body = body.replace(old, new)
    body = re.sub(r"(metric: meeting_municipalities\n(?:.*\n)*?\s+target: )17", rf"\g<1>{count}", body, count=1)
    head = f"""# FIKTIVT EKSEMPEL – ikke en rigtig resultatkontrakt. (FICTITIOUS EXAMPLE, not a real contract.)
# Made by scripts/make_example_contracts.py from Sjælland's real 2019 contract (sjaelland-2019.yaml):
# the same goals and targets, {name}'s name, KKR and municipalities (houses.yaml; populations rounded
# approximations), a contribution per inhabitant like Sjælland's. "seed L…" below points at Sjælland's.

house: {key}
house_name: {name}
year: 2019
fictitious: true
title: Resultatkontrakt for 2019 mellem {kkr} og {name} (fiktivt eksempel)
parties:
  - {kkr}
  - {name}
source: "Fiktivt eksempel, afledt af resultatkontrakten 2019 mellem KKR Sjælland og Erhvervshus Sjælland"
timezone: Europe/Copenhagen

# Fictitious: populations rounded (houses.yaml), shares and contributions computed from them.
"""
    return head + municipalities_block(house["municipalities"]) + "\n" + body  # type: ignore[arg-type]


def main() -> None:
    source = SOURCE.read_text(encoding="utf-8")
    houses = yaml.safe_load((CONTRACTS / "houses.yaml").read_text(encoding="utf-8"))["houses"]
    for house in houses:
        if house["key"] == "sjaelland":
            continue
        path = CONTRACTS / f"{house['key']}-2019.yaml"
        path.write_text(example(source, house), encoding="utf-8")
        print(path.relative_to(ROOT))  # noqa: T201  (a script: what it wrote)


if __name__ == "__main__":
    main()
