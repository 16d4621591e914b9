"""PNG charts for the report e-mails. Pure functions of report data: same data, same bytes.

Each chart is its own `Figure` on an Agg canvas (no pyplot, so no global figure state), drawn under
Matplotlib's default style plus `_RC` (whatever style the process has set, and restored afterwards),
one chart at a time, and saved without the "Software" metadata that would carry a version string.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from matplotlib.typing import RcKeyType

from ehsj_core.projections.municipalities import MunicipalityFigures
from ehsj_core.projections.status import GoalStatus
from ehsj_core.reports import labels

WIDTH_IN = 6.4  # at DPI 100: 640 px, the width of the e-mail column
DPI = 100
_RC: dict[RcKeyType, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "ehsj",
    "path.simplify": True,
}
_LOCK = threading.Lock()  # rcParams are process-global: one chart at a time
GREY = "#4a5568"
LIGHT = "#e2e8f0"
CAP = 150.0  # bars stop at 150 % of the target


@contextmanager
def _style() -> Iterator[None]:
    """Default style plus `_RC`, isolated from any style set elsewhere in the process."""
    with _LOCK, matplotlib.rc_context():
        matplotlib.rcdefaults()
        matplotlib.rcParams.update(_RC)
        yield


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _short(text: str, width: int = 44) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _pct_axis(value: float, _pos: int) -> str:
    return labels.percent(round(value, 1))


def _points_axis(value: float, _pos: int) -> str:
    return labels.points(round(value, 2))


def progress_chart(goals: Sequence[GoalStatus]) -> bytes:
    """Each count target's actual as a share of its target (bar), and where it should be by now
    (the black mark). One row per target, its label above a full-width bar: readable on a phone."""
    rows = [
        (g.id, t)
        for g in goals
        for t in g.targets
        if t.kind == "count" and t.target and isinstance(t.actual, int | float)
    ]
    with _style():
        fig = Figure(figsize=(WIDTH_IN, 1.3 + 0.5 * max(1, len(rows))), layout="constrained")
        ax = fig.add_subplot()
        ax.barh(range(len(rows)), [CAP] * len(rows), color=LIGHT, height=0.42)
        for y, (goal_id, t) in enumerate(rows):
            assert t.target is not None and isinstance(t.actual, int | float)
            share = min(100 * float(t.actual) / t.target, CAP)
            ax.barh(y, share, color=labels.STATUS_BAR_COLOURS.get(t.status, GREY), height=0.42)
            if t.expected_by_now is not None:
                pace = min(100 * t.expected_by_now / t.target, CAP)
                ax.plot([pace, pace], [y - 0.32, y + 0.32], color="#1a202c", linewidth=1.8)
            figure = f"{labels.number(t.actual)} af {labels.number(t.target)} · {labels.status_word(t.status)}"
            ax.text(0, y - 0.26, f"Mål {goal_id}: {_short(t.label, 62)}", va="bottom", fontsize=8, color="#1a202c")
            ax.text(CAP, y - 0.26, figure, va="bottom", ha="right", fontsize=8, color="#1a202c", fontweight="bold")
        ax.axvline(100, color=GREY, linewidth=0.8, linestyle="--")
        ax.set_yticks([])
        ax.spines["left"].set_visible(False)
        ax.set_ylim(len(rows) - 0.5, -0.9)
        ax.set_xlim(0, CAP)
        ax.set_xticks([0, 25, 50, 75, 100, 125, 150])
        ax.xaxis.set_major_formatter(FuncFormatter(_pct_axis))
        ax.set_xlabel("Andel af måltallet (sort streg: hvor langt målet burde være nu)")
        fig.suptitle("Måltal: opnået i forhold til mål og forventet fremdrift", x=0.01, ha="left", fontsize=11)
        return _png(fig)


def share_chart(figures: MunicipalityFigures, limit_pp: float | None) -> bytes:
    """One municipality's share of the specialised courses against its share of the population."""
    with _style():
        fig = Figure(figsize=(WIDTH_IN, 2.2), layout="constrained")
        ax = fig.add_subplot()
        population = figures.population_share_pct
        share = figures.specialised_share_pct or 0.0
        ax.barh([0, 1], [share, population], color=["#2b6cb0", "#a0aec0"], height=0.6)
        if limit_pp is not None:
            ax.axvspan(max(0.0, population - limit_pp), population + limit_pp, color="#c6f6d5", alpha=0.6, zorder=0)
        for y, value in ((0, figures.specialised_share_pct), (1, population)):
            ax.text((value or 0.0) + 0.2, y, labels.percent(value), va="center", fontsize=9)
        ax.set_yticks([0, 1], ["Andel af specialiserede forløb", "Andel af befolkningen"])
        ax.invert_yaxis()
        ax.set_xlim(0, max(share, population + (limit_pp or 0)) * 1.3 + 1)
        ax.xaxis.set_major_formatter(FuncFormatter(_pct_axis))
        band = "" if limit_pp is None else f" (grønt felt: ±{labels.number(limit_pp)} procentpoint)"
        fig.suptitle(f"{figures.name}: specialiserede forløb år til dato{band}", x=0.01, ha="left", fontsize=10)
        return _png(fig)


def deviation_chart(municipalities: Sequence[MunicipalityFigures], limit_pp: float | None) -> bytes:
    """The municipalities' deviation from their population share, with the contract's limit."""
    with _style():
        fig = Figure(figsize=(WIDTH_IN, 1.4 + 0.28 * len(municipalities)), layout="constrained")
        ax = fig.add_subplot()
        values = [m.deviation_pp or 0.0 for m in municipalities]
        inside = [limit_pp is None or abs(v) <= limit_pp for v in values]
        ys = list(range(len(municipalities)))
        ax.barh(ys, values, color=["#2b6cb0" if ok else "#c53030" for ok in inside], height=0.7)
        if limit_pp is not None:
            for x in (-limit_pp, limit_pp):
                ax.axvline(x, color="#c53030", linewidth=1, linestyle="--")
        ax.axvline(0, color=GREY, linewidth=0.8)
        for y, m in zip(ys, municipalities, strict=True):
            value = m.deviation_pp or 0.0
            ax.text(
                value + (0.08 if value >= 0 else -0.08),
                y,
                labels.points(m.deviation_pp),
                va="center",
                ha="left" if value >= 0 else "right",
                fontsize=8,
            )
        widest = max([abs(v) for v in values] + [limit_pp or 0.0, 1.0]) * 1.35
        ax.set_xlim(-widest, widest)
        ax.set_yticks(ys, [m.name for m in municipalities])
        ax.invert_yaxis()
        ax.xaxis.set_major_formatter(FuncFormatter(_points_axis))
        ax.set_xlabel("Andel af specialiserede forløb minus andel af befolkningen (procentpoint)", fontsize=8)
        limit = "" if limit_pp is None else f"; grænse ±{labels.number(limit_pp)}"
        fig.suptitle(
            f"Specialiserede forløb pr. kommune: afvigelse fra befolkningsandelen{limit}",
            x=0.01,
            ha="left",
            fontsize=11,
        )
        return _png(fig)
