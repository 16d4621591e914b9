"""Per-municipality figures of one year: courses, share against population, events, newsletters."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

from ehsj_core.contract.model import COURSE_TYPE_KEYS, SPECIALISED_COURSE_TYPES, Contract
from ehsj_core.projections.facts import YearFacts
from ehsj_core.projections.metrics import deviation_pp, round_half_up


@dataclass(frozen=True)
class MunicipalityFigures:
    name: str
    population: int
    population_share_pct: float
    contribution_dkk: int
    courses: dict[str, int]
    specialised_courses: int
    specialised_share_pct: float | None
    deviation_pp: float | None
    events_hosted: int
    newsletters: int
    council_presentation_offered: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def municipality_figures(
    contract: Contract, facts: YearFacts, months: set[str] | None = None
) -> list[MunicipalityFigures]:
    """Figures per municipality; `months` ("YYYY-MM") narrows every figure to those months."""

    def in_period(month: str) -> bool:
        return months is None or month in months

    courses: dict[str, dict[str, int]] = {m.name: dict.fromkeys(COURSE_TYPE_KEYS, 0) for m in contract.municipalities}
    for (ct, name, month), n in facts.courses.items():
        if name in courses and in_period(month):
            courses[name][ct] += n
    events: Counter[str] = Counter()
    for (_kind, name, month), n in facts.events.items():
        if in_period(month):
            events[name] += n
    newsletters: Counter[str | None] = Counter()
    for (place, _channel_kind, month), n in facts.newsletters.items():
        if in_period(month):
            newsletters[place] += n
    presented = {
        place for kind, place, month in facts.meetings if kind == "council_presentation_offered" and in_period(month)
    }
    specialised = {name: sum(c[t] for t in SPECIALISED_COURSE_TYPES) for name, c in courses.items()}
    total = sum(specialised.values())
    out = []
    for m in contract.municipalities:
        share = None if total == 0 else round_half_up(Fraction(100 * specialised[m.name], total), 2)
        out.append(
            MunicipalityFigures(
                name=m.name,
                population=m.population,
                population_share_pct=m.share_pct,
                contribution_dkk=m.contribution_dkk,
                courses=courses[m.name],
                specialised_courses=specialised[m.name],
                specialised_share_pct=share,
                deviation_pp=None if total == 0 else deviation_pp(specialised[m.name], total, m.share_pct),
                events_hosted=events.get(m.name, 0),
                newsletters=newsletters.get(m.name, 0),
                council_presentation_offered=m.name in presented,
            )
        )
    return out
