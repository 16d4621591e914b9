"""The national roll-up: the houses' stored exports folded into their goals, and the national goals
computed across the houses. Pure of any clock: the same set of exports gives the same bytes.

Per house, the stored rows up to the chosen export's head are folded with the house's own fold
(`projections.facts.apply`, every retraction recorded by the head honoured, as the runner does) and
judged with `FactsAt.status` against the national installation's copy of the house's contract, on the
local date of the head row's `recorded_at` — exactly what the house's own `/api/goals?as_of=<head>`
answers. Across houses, the national goals (`category: national`) are computed once over everyone's
answers: the houses' evaluation tallies for the year are summed and the same metric functions run on
the sum; a milestone is reached across houses when every house reached it. If the houses' contracts
differ in the national goals' rules or targets, nothing is summed and the document says why.

The document is canonical JSON (sorted keys); `digest` is the SHA-256 of the document's bytes
without the `digest` key (`RollUp.body`).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ehsj_core.contract.loader import ContractBook, LoadedContract
from ehsj_core.contract.model import Contract, Goal, Target
from ehsj_core.errors import NotFound
from ehsj_core.events.chain import format_recorded_at
from ehsj_core.events.reader import fold_row_of
from ehsj_core.events.records import RETRACTED
from ehsj_core.events.validation import InvalidInput, Problem
from ehsj_core.houses import HouseBook
from ehsj_core.national.intake import exports_table, rows_table
from ehsj_core.projections.facts import LogFacts, YearFacts, apply
from ehsj_core.projections.metrics import answers, effect_answers
from ehsj_core.projections.moment import AsOf, FactsAt, contract_summary
from ehsj_core.projections.status import STATUS_LABELS, GoalStatus, Status, TargetStatus, target_status

FORMAT = "ehsj-national-rollup"
VERSION = 1
# The tallies the national evaluation figures (goals 3 and 4) are computed from: summed across the
# houses. Official figures and the growth measurements are a house's own and are not summed.
EVALUATION_TALLIES = (
    "evaluation_scores",
    "evaluation_effects",
    "counted_scores",
    "counted_effects",
    "latest_scores",
    "latest_effects",
    "unmatched",
)
SUMMED_METRICS = ("nps", "evaluation_rate")
READ_BATCH = 10_000


@dataclass(frozen=True)
class ExportRef:
    """An export the national installation stored: what every figure names as its source."""

    export_id: int
    house: str
    year: int
    head_position: int
    head_hash: str
    exported_at: str
    file_sha256: str
    contract_sha256: str | None
    received_at: str
    received_via: str

    def source(self) -> dict[str, Any]:
        """How a figure names the export it came from."""
        return {
            "export_id": self.export_id,
            "house": self.house,
            "head_position": self.head_position,
            "head_hash": self.head_hash,
        }

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def in_rollup(self) -> dict[str, Any]:
        """The export as the roll-up lists it: what the file said, not when or how it arrived (which
        would make the same exports give other bytes)."""
        out = self.as_dict()
        del out["received_at"], out["received_via"]
        return out


@dataclass(frozen=True)
class RollUp:
    document: dict[str, Any]  # without the digest
    body: bytes  # the canonical bytes of `document`
    digest: str  # SHA-256 (hex) of `body`

    def as_dict(self) -> dict[str, Any]:
        return {**self.document, "digest": self.digest}

    def canonical(self) -> bytes:
        """The document with its digest, as canonical JSON: what `--json` and the API return."""
        return canonical_json(self.as_dict())


def canonical_json(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


# --- the stored exports -------------------------------------------------------------------------------
def stored_exports(engine: Engine) -> list[ExportRef]:
    """Every stored export, by house and head position."""
    e = exports_table
    with engine.connect() as conn:
        rows = conn.execute(sa.select(e).order_by(e.c.house, e.c.head_position, e.c.id)).all()
    return [
        ExportRef(
            export_id=int(r.id),
            house=r.house,
            year=int(r.year),
            head_position=int(r.head_position),
            head_hash=r.head_hash,
            exported_at=r.exported_at,
            file_sha256=r.file_sha256,
            contract_sha256=r.contract_sha256,
            received_at=_utc_text(r.received_at),
            received_via=r.received_via,
        )
        for r in rows
    ]


def _utc_text(value: datetime) -> str:
    return format_recorded_at(value)


def exports_overview(engine: Engine, houses: HouseBook) -> dict[str, Any]:
    """What is stored, per house: its exports and the newest head (for `ehsj national exports`)."""
    found = stored_exports(engine)
    by_house: dict[str, list[ExportRef]] = {}
    for ref in found:
        by_house.setdefault(ref.house, []).append(ref)
    out = []
    for key in houses.keys():
        refs = by_house.get(key, [])
        house = houses.require(key)
        newest = max(refs, key=lambda r: (r.head_position, r.export_id)) if refs else None
        out.append(
            {
                "house": key,
                "name": house.name,
                "exports": [r.as_dict() for r in refs],
                "newest": None if newest is None else newest.source(),
            }
        )
    return {"houses": out, "exports": len(found)}


def choose_exports(engine: Engine, export_ids: Sequence[int] | None = None) -> list[ExportRef]:
    """The exports a roll-up is made of: the given ids (at most one per house), or by default the
    newest export (highest head position) of every house that has one. Sorted by house."""
    found = stored_exports(engine)
    if not export_ids:
        newest: dict[str, ExportRef] = {}
        for ref in found:
            if ref.house not in newest or (ref.head_position, ref.export_id) > (
                newest[ref.house].head_position,
                newest[ref.house].export_id,
            ):
                newest[ref.house] = ref
        return [newest[h] for h in sorted(newest)]
    by_id = {ref.export_id: ref for ref in found}
    missing = sorted({i for i in export_ids if i not in by_id})
    if missing:
        raise NotFound(
            f"eksport {', '.join(map(str, missing))} findes ikke; gemte eksporter: "
            f"{', '.join(str(r.export_id) for r in found) or 'ingen'}"
        )
    chosen: dict[str, ExportRef] = {}
    for export_id in dict.fromkeys(export_ids):
        ref = by_id[export_id]
        if ref.house in chosen:
            raise InvalidInput(
                [
                    Problem(
                        "export",
                        export_id,
                        f"højst én eksport pr. hus; {ref.house} er allerede valgt med eksport "
                        f"{chosen[ref.house].export_id}",
                    )
                ]
            )
        chosen[ref.house] = ref
    return [chosen[h] for h in sorted(chosen)]


# --- one house: the fold of its rows up to the export's head ------------------------------------------
def _payloads(engine: Engine, house: str, upto: int) -> Iterator[dict[str, Any]]:
    r = rows_table
    cursor = 0
    while True:
        query = (
            sa.select(r.c.position, r.c.payload)
            .where(r.c.house == house, r.c.position > cursor, r.c.position <= upto)
            .order_by(r.c.position)
            .limit(READ_BATCH)
        )
        with engine.connect() as conn:
            rows = conn.execute(query).all()
        for row in rows:
            yield orjson.loads(row.payload)
        if len(rows) < READ_BATCH:
            return
        cursor = int(rows[-1].position)


# Folded exports by (house, head position, head hash): the stored rows are read-only and the head hash
# covers every row before it, so a fold is valid for ever; a roll-up page asked again folds nothing.
FOLD_CACHE_SIZE = 12
_folded: dict[tuple[str, int, str], tuple[LogFacts, str | None]] = {}
_folded_lock = threading.Lock()


def fold_export(engine: Engine, ref: ExportRef) -> tuple[LogFacts, str | None]:
    """The facts of the house's log at the export's head, and the head row's recorded_at (None: an
    empty log). Read-only: the facts are shared with every later roll-up of the same export."""
    key = (ref.house, ref.head_position, ref.head_hash)
    with _folded_lock:
        found = _folded.get(key)
    if found is None:
        found = _fold_export(engine, ref)
        with _folded_lock:
            _folded[key] = found
            while len(_folded) > FOLD_CACHE_SIZE:
                _folded.pop(next(iter(_folded)))
    return found


def _fold_export(engine: Engine, ref: ExportRef) -> tuple[LogFacts, str | None]:
    """Retracted events are left out, as the runner leaves out an event retracted by the position
    folded to; retractions and closes fold to nothing."""
    retracted: set[str] = set()
    last: str | None = None
    for payload in _payloads(engine, ref.house, ref.head_position):
        if payload["type"] == RETRACTED:
            retracted.add(str(payload["data"].get("target_event_id")))
        last = str(payload["recorded_at"])
    facts = LogFacts()
    for payload in _payloads(engine, ref.house, ref.head_position):
        if payload["event_id"] in retracted:
            continue
        row = fold_row_of(payload)
        if row is not None:
            position, event_type, house, day, data = row
            apply(facts, event_type, house, day, data, 1, position)
    return facts, last


def _on_date(recorded_at: str | None, tz: ZoneInfo) -> date | None:
    if recorded_at is None:
        return None
    return datetime.fromisoformat(recorded_at.replace("Z", "+00:00")).astimezone(tz).date()


@dataclass(frozen=True)
class HouseFigures:
    ref: ExportRef
    contract: LoadedContract
    facts: YearFacts
    on_date: date
    goals: list[GoalStatus]


def house_figures(
    engine: Engine, ref: ExportRef, contract: LoadedContract, tz: ZoneInfo, empty_day: date
) -> HouseFigures:
    """The house's status of the year as its own `/api/goals?as_of=<head>` computes it. `empty_day`:
    the date an export of an empty log is judged on (the house's own answer uses its today)."""
    facts, recorded_at = fold_export(engine, ref)
    on_date = _on_date(recorded_at, tz) or empty_day
    at = AsOf(ref.head_position, on_date, str(ref.head_position))
    report = FactsAt(contract, facts, at).status()
    c = contract.contract
    return HouseFigures(ref, contract, facts.year(c.house, c.year), on_date, report.goals)


# --- across houses ---------------------------------------------------------------------------------
def _goal_rules(goal: Goal) -> dict[str, Any]:
    """What must agree for a national goal to be summed: its targets' rules and values (not their
    wording) and how the goal is fulfilled."""
    return {
        "fulfilment": goal.fulfilment,
        "targets": [t.model_dump(mode="json", exclude={"label", "note"}) for t in goal.targets],
    }


def _national_goals(contract: Contract) -> dict[str, Goal]:
    return {g.id: g for g in contract.goals if g.category == "national"}


def comparable(figures: Sequence[HouseFigures]) -> str | None:
    """None when the houses' contracts agree in the national goals' rules and targets; else why not."""
    if len(figures) < 2:
        return None
    first = figures[0].contract.contract
    base_goals, base_rules = _national_goals(first), first.rules.model_dump(mode="json")
    reasons: list[str] = []
    for other in figures[1:]:
        c = other.contract.contract
        goals = _national_goals(c)
        if set(goals) != set(base_goals):
            reasons.append(
                f"{c.house} har de nationale mål {', '.join(sorted(goals)) or 'ingen'}, "
                f"{first.house} har {', '.join(sorted(base_goals)) or 'ingen'}"
            )
            continue
        if c.rules.model_dump(mode="json") != base_rules:
            reasons.append(f"{c.house}s målingsregler (rules) afviger fra {first.house}s")
        for goal_id in sorted(goals):
            if _goal_rules(goals[goal_id]) != _goal_rules(base_goals[goal_id]):
                reasons.append(f"mål {goal_id}: {c.house}s regler eller mål afviger fra {first.house}s")
    if not reasons:
        return None
    return "De nationale tal lægges ikke sammen, fordi husenes kontrakter afviger: " + "; ".join(reasons) + "."


def merged_evaluations(facts: Sequence[YearFacts]) -> YearFacts:
    """The houses' evaluation tallies of the year, summed: the answers of every house as one."""
    out = YearFacts()
    for one in facts:
        for name in EVALUATION_TALLIES:
            into: dict[Any, int] = getattr(out, name)
            for key, n in getattr(one, name).items():
                total = into.get(key, 0) + n
                if total:
                    into[key] = total
                else:
                    into.pop(key, None)
    return out


def _target_of(figures: HouseFigures, goal_id: str, key: str) -> TargetStatus | None:
    for goal in figures.goals:
        if goal.id == goal_id:
            return next((t for t in goal.targets if t.key == key), None)
    return None


def _worst(statuses: Sequence[str]) -> Status:
    order: tuple[Status, ...] = ("missed", "behind", "not_started", "on_track")
    for status in order:
        if status in statuses:
            return status
    return "not_started"


def _milestone_across(target: Target, goal: Goal, figures: Sequence[HouseFigures]) -> dict[str, Any]:
    """A milestone across houses: reached when every house reached it (on the last house's date)."""
    per_house = {f.ref.house: _target_of(f, goal.id, target.key) for f in figures}
    reached = sorted(h for h, t in per_house.items() if t is not None and t.reached_on is not None)
    not_reached = sorted(h for h in per_house if h not in reached)
    statuses = [t.status for t in per_house.values() if t is not None]
    if not not_reached:
        status: Status = "met_late" if "met_late" in statuses else "met"
        days = [t.reached_on for t in per_house.values() if t is not None and t.reached_on is not None]
        reached_on: str | None = max(days)
    else:
        status, reached_on = _worst([s for h, s in zip(per_house, statuses, strict=False) if h in not_reached]), None
    return {
        "key": target.key,
        "label": target.label,
        "kind": target.kind,
        "rule": "nået, når alle husene har nået milepælen",
        "actual": 1 if not not_reached else 0,
        "reached_on": reached_on,
        "reached_by": reached,
        "not_reached_by": not_reached,
        "status": status,
        "status_label": STATUS_LABELS[status],
        "deadline": target.deadline.isoformat() if target.deadline else None,
    }


def national_figures(figures: Sequence[HouseFigures]) -> dict[str, Any]:
    """The national goals across the houses (see the module docstring)."""
    sources = [f.ref.source() for f in figures]
    if not figures:
        return {"summed": False, "reason": "Der er ingen eksporter at lægge sammen.", "goals": [], "sources": []}
    reason = comparable(figures)
    if reason is not None:
        return {"summed": False, "reason": reason, "goals": [], "sources": sources}
    base = figures[0].contract.contract
    merged = merged_evaluations([f.facts for f in figures])
    on_date = min(f.on_date for f in figures)  # final only when every house's export is past the year
    goals = []
    for goal in base.goals:
        if goal.category != "national":
            continue
        targets: list[dict[str, Any]] = []
        for target in goal.targets:
            if target.kind == "milestone":
                targets.append(_milestone_across(target, goal, figures))
            elif target.metric in SUMMED_METRICS:
                status = target_status(target, goal, merged, base, on_date)
                targets.append(
                    {
                        **_summed(status),
                        "rule": "beregnet over alle husenes besvarelser med kontraktens regler",
                        "answers": _answer_count(target, merged, base),
                    }
                )
            else:
                targets.append(
                    {
                        "key": target.key,
                        "label": target.label,
                        "kind": target.kind,
                        "rule": f"målemetoden {target.metric} lægges ikke sammen på tværs af husene",
                        "actual": None,
                        "status": None,
                    }
                )
        met = all(t.get("status") in ("met", "met_late") for t in targets)
        goals.append(
            {
                "id": goal.id,
                "title": goal.title,
                "fulfilment_pct": (100 if met else 0) if goal.fulfilment == "all_targets" else None,
                "fulfilment_note": goal.fulfilment_note,
                "targets": targets,
            }
        )
    return {"summed": True, "reason": None, "on_date": on_date.isoformat(), "goals": goals, "sources": sources}


def _answer_count(target: Target, facts: YearFacts, contract: Contract) -> int:
    """How many evaluations (after the contract's rule of which count) the figure is computed over."""
    p = target.params
    if target.metric == "evaluation_rate" and p.question == "effect":
        return effect_answers(facts, p.course_types, None, contract.rules).total()
    question = "nps" if target.metric == "nps" else p.question or "satisfaction"
    return answers(facts, p.course_types, question, None, contract.rules).total()


def _summed(status: TargetStatus) -> dict[str, Any]:
    out = status.as_dict()
    for own in ("official", "difference", "forecast", "growth", "decided_by"):
        out.pop(own, None)
    return out


# --- side by side -------------------------------------------------------------------------------------
def side_by_side(figures: Sequence[HouseFigures]) -> dict[str, Any]:
    """Each house's other (non-national) targets, one row per key (goal id + target key) that every
    house's contract has; the keys only some houses have are listed apart."""
    keys: dict[tuple[str, str], dict[str, tuple[GoalStatus, TargetStatus, HouseFigures]]] = {}
    for f in figures:
        for goal in f.goals:
            if goal.category == "national":
                continue
            for target in goal.targets:
                keys.setdefault((goal.id, target.key), {})[f.ref.house] = (goal, target, f)
    houses = {f.ref.house for f in figures}
    rows, unshared = [], []
    for (goal_id, key), found in sorted(keys.items(), key=lambda item: (_goal_order(item[0][0]), item[0][1])):
        if set(found) != houses:
            unshared.append({"goal_id": goal_id, "key": key, "houses": sorted(found)})
            continue
        # The wording of a real contract where there is one (a fictitious one names its own house)
        first_goal, first_target, _f = min(
            found.values(), key=lambda item: (item[2].contract.contract.fictitious, item[2].ref.house)
        )
        rows.append(
            {
                "goal_id": goal_id,
                "goal_title": first_goal.title,
                "key": key,
                "label": first_target.label,
                "kind": first_target.kind,
                "unit": first_target.unit,
                "houses": {
                    house: {
                        "actual": t.actual,
                        "target": t.target,
                        "target_min": t.target_min,
                        "target_max": t.target_max,
                        "status": t.status,
                        "status_label": t.status_label,
                        "fulfilment_pct": t.fulfilment_pct,
                        "reached_on": t.reached_on,
                        "decided_by": t.decided_by,
                        "official": None if t.official is None else t.official.value,
                        "source": f.ref.source(),
                    }
                    for house, (_g, t, f) in sorted(found.items())
                },
            }
        )
    return {"targets": rows, "not_shared": unshared}


def _goal_order(goal_id: str) -> tuple[int, str]:
    digits = "".join(ch for ch in goal_id if ch.isdigit())
    return (int(digits) if digits else 0, goal_id)


# --- the whole roll-up ----------------------------------------------------------------------------
def build_rollup(
    engine: Engine,
    *,
    year: int,
    houses: HouseBook,
    book: ContractBook,
    tz: ZoneInfo,
    export_ids: Sequence[int] | None = None,
) -> RollUp:
    """The roll-up of `year` over the chosen exports (default: each house's newest). Raises NotFound
    for an unknown export id, InvalidInput for two exports of one house or a house without a contract
    of the year among explicitly chosen exports."""
    chosen = choose_exports(engine, export_ids)
    figures: list[HouseFigures] = []
    without: list[dict[str, Any]] = []
    for ref in chosen:
        contract = book.get(ref.house, year)
        if contract is None:
            if export_ids:
                raise InvalidInput(
                    [
                        Problem(
                            "year",
                            year,
                            f"den nationale installation har ingen kontrakt for {ref.house} i {year} "
                            f"(eksport {ref.export_id})",
                            [str(y) for y in book.years(ref.house)],
                        )
                    ]
                )
            without.append({**ref.source(), "reason": f"ingen kontrakt for {ref.house} i {year}"})
            continue
        figures.append(house_figures(engine, ref, contract, tz, date(year, 12, 31)))
    document = {
        "format": FORMAT,
        "version": VERSION,
        "year": year,
        "exports": [f.ref.in_rollup() for f in figures],
        "without_contract": without,
        "houses": [_house_part(f, houses) for f in figures],
        "national": national_figures(figures),
        "side_by_side": side_by_side(figures),
    }
    body = canonical_json(document)
    return RollUp(document, body, hashlib.sha256(body).hexdigest())


def _house_part(f: HouseFigures, houses: HouseBook) -> dict[str, Any]:
    known = houses.get(f.ref.house)
    return {
        "house": f.ref.house,
        "name": known.name if known is not None else f.ref.house,
        "fictitious": f.contract.contract.fictitious,
        "source": f.ref.source(),
        "contract": contract_summary(f.contract),
        "position": f.ref.head_position,
        "on_date": f.on_date.isoformat(),
        "goals": [{**g.as_dict(), "source": f.ref.source()} for g in f.goals],
    }
