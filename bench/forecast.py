"""The forecast tested against the past (`make bench`, "forecast_backtest" in results/latest.json).

Four years are forecast at every month end from March to November, each count target against its
actual year end: the demo year and a year of another seasonal pattern (the demo year's days moved so
that the spring is busy and the autumn quiet), each once with an earlier year as history (the demo
generator with another seed, a year earlier: the demo's own pattern) and once without. Reported: the
mean absolute percentage error of the expected value and how often the actual year end fell inside
the 10–90 % range, per month and over June–November. Aims: error ≤ 10 % from June on, the actual
inside the range at least 80 % of the time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ehsj_core.contract.model import Contract
from ehsj_core.demo import generate_year
from ehsj_core.events.schemas import validate_data
from ehsj_core.events.views import EventRetractedView, EventView, to_view
from ehsj_core.projections.facts import LogFacts, YearFacts, apply
from ehsj_core.projections.forecast import forecast_count, month_end
from ehsj_core.projections.metrics import METRICS

FIRST_MONTH, LAST_MONTH, SCORED_FROM = 3, 11, 6
Shift = Callable[[date], date]


def _fold(contract: Contract, seed: int, move: Shift) -> YearFacts:
    """The demo year of `seed`, every date moved by `move`, folded (its corrections honoured)."""
    facts = LogFacts()
    seen: dict[str, tuple[str, str, EventView, int]] = {}
    events = generate_year(contract, seed=seed, now=datetime(2100, 1, 1, tzinfo=UTC))
    for position, event in enumerate(events, start=1):
        raw = event.raw
        day = move(date.fromisoformat(raw["occurred_on"])).isoformat()
        view: EventView = to_view(raw["type"], validate_data(raw["type"], raw["data"], contract))
        if isinstance(view, EventRetractedView):
            target = seen.pop(view.target_event_id, None)
            if target is not None:
                apply(facts, target[0], contract.house, target[1], target[2], -1, target[3])
            continue
        apply(facts, raw["type"], contract.house, day, view, 1, position)
        seen[raw["event_id"]] = (raw["type"], day, view, position)
    years = {year for (_house, year) in facts.years}
    assert len(years) >= 1
    return facts.year(contract.house, move(date(contract.year, 6, 1)).year)


def _year_earlier(day: date) -> date:
    return day.replace(year=day.year - 1)


def _spring_heavy(day: date) -> date:
    """A monotone warp of the year: t → t − 0.12·sin(2πt)/π moves the days of the autumn into the
    spring, so the same events arrive early (another seasonal pattern, the same total)."""
    start = date(day.year, 1, 1)
    length = (date(day.year, 12, 31) - start).days + 1
    t = (day - start).days / length
    moved = t - 0.12 * math.sin(2 * math.pi * t) / math.pi
    return start + timedelta(days=min(length - 1, max(0, round(moved * length))))


def _same(day: date) -> date:
    return day


def backtest(contract: Contract) -> dict[str, Any]:
    history_year = contract.year - 1
    history = [(history_year, _fold(contract, 2018, _year_earlier))]
    years = {"demo": _fold(contract, 2019, _same), "spring_heavy": _fold(contract, 2019, _spring_heavy)}
    counts = [(g.id, t) for g in contract.goals for t in g.targets if t.kind in ("count", "range")]
    rows: list[dict[str, Any]] = []
    for name, facts in years.items():
        for with_history in (True, False):
            for goal_id, target in counts:
                metric = METRICS[target.metric]
                final = float(metric(facts, target.params, contract, None) or 0)
                if final < 5:  # a handful (1 seminar, 3 agreements): a percentage error says little
                    continue
                for month in range(FIRST_MONTH, LAST_MONTH + 1):
                    on = month_end(contract.year, month)
                    actual = float(metric(facts, target.params, contract, f"{contract.year}-{month:02d}") or 0)
                    f = forecast_count(target, actual, on, contract.year, history if with_history else (), contract)
                    rows.append(
                        {
                            "year": name,
                            "history": with_history,
                            "target": f"{goal_id}.{target.key}",
                            "month": month,
                            "error_pct": 100 * abs(f.value - final) / final,
                            "inside": f.low <= final <= f.high,
                        }
                    )
    return summarise(rows)


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def figures(selected: Iterable[dict[str, Any]]) -> dict[str, Any]:
        chosen = list(selected)
        if not chosen:
            return {"cases": 0}
        return {
            "cases": len(chosen),
            "mape_pct": round(sum(r["error_pct"] for r in chosen) / len(chosen), 1),
            "inside_range_pct": round(100 * sum(r["inside"] for r in chosen) / len(chosen), 1),
        }

    late = [r for r in rows if r["month"] >= SCORED_FROM]
    out: dict[str, Any] = {
        "targets": sorted({r["target"] for r in rows}),
        "from_june": figures(late),
        "per_month": {str(m): figures(r for r in rows if r["month"] == m) for m in range(FIRST_MONTH, LAST_MONTH + 1)},
    }
    for name in sorted({r["year"] for r in rows}):
        for with_history in (True, False):
            key = f"{name}_{'with' if with_history else 'without'}_history"
            out[key] = figures(r for r in late if r["year"] == name and r["history"] == with_history)
    out["aims"] = {"mape_pct_from_june": 10, "inside_range_pct": 80}
    out["met"] = bool(late and out["from_june"]["mape_pct"] <= 10 and out["from_june"]["inside_range_pct"] >= 80)
    return out
