"""`ehsj audit verify`: the whole log checked — hash chain, gapless positions, append-only triggers —
with what is wrong said in Danish. The walk itself is `events/verify.py`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from ehsj_core.events.chain import ChainBreak
from ehsj_core.events.verify import verify_log


@dataclass(frozen=True)
class Finding:
    position: int | None  # None for a finding about the table, not a row
    problem: str  # Danish

    def as_dict(self) -> dict[str, Any]:
        return {"position": self.position, "problem": self.problem}


@dataclass(frozen=True)
class IntegrityReport:
    events: int  # rows checked before the first break (all of them when the chain holds)
    head_position: int
    head_hash: str
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first_bad_position(self) -> int | None:
        return next((f.position for f in self.findings if f.position is not None), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events": self.events,
            "head_position": self.head_position,
            "head_hash": self.head_hash,
            "first_bad_position": self.first_bad_position,
            "findings": [f.as_dict() for f in self.findings],
        }


def describe_break(found: ChainBreak) -> str:
    """A chain break (chain.py speaks English to developers) as the auditor reads it."""
    text = found.problem
    if text.startswith("position") and "missing" in text:
        return f"position {found.position} mangler: positionerne er ikke uden huller ({text})"
    if text.startswith("prev_hash"):
        return (
            "prev_hash svarer ikke til hashen af rækken før: kæden er brudt (en række er fjernet, indsat eller ændret)"
        )
    if "altered" in text:
        return "hashen svarer ikke til rækkens indhold: rækken er ændret efter den blev skrevet"
    return text


def verify(engine: Engine) -> IntegrityReport:
    """Check the log; the first bad position and what is wrong, and every missing trigger."""
    result = verify_log(engine)
    findings: list[Finding] = []
    if result.first_break is not None:
        findings.append(Finding(result.first_break.position, describe_break(result.first_break)))
    for trigger in result.missing_triggers:
        findings.append(
            Finding(
                None, f"triggeren {trigger}, der afviser UPDATE/DELETE på hændelsesloggen, mangler eller er slået fra"
            )
        )
    for ref in result.index_missing:
        findings.append(
            Finding(ref.position, f"tilbagekaldelsen på position {ref.position} mangler i tilbagekaldelsesindekset")
        )
    for ref in result.index_extra:
        problem = (
            f"tilbagekaldelsesindekset nævner hændelse {ref.target_event_id} som tilbagekaldt på position "
            f"{ref.position}, men loggen har ingen sådan tilbagekaldelse"
        )
        findings.append(Finding(ref.position, problem))
    head_position = result.events if result.first_break is None else result.first_break.position - 1
    return IntegrityReport(result.events, head_position, result.head_hash, tuple(findings))
