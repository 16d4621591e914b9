"""PNG charts for the report e-mails. Pure functions of report data: same data, same bytes.

Each chart is its own `Figure` on an Agg canvas (no pyplot, so no global figure state), drawn under
Matplotlib's default style plus `_RC` (whatever style the process has set, and restored afterwards),
one chart at a time, and saved without the "Software" metadata that would carry a version string.

Drawn once per input: each public function reduces the report data to exactly what its chart shows
(texts, bar lengths, colours: a hashable tuple) and draws through a bounded `lru_cache` keyed by that
tuple. The 17 chiefs' e-mails of one quarter share the overall chart, so a batch draws it once; since
the drawing is a pure function of its key, a cached chart is byte for byte the one drawn anew (the
digests `ehsj audit reproduce` compares cannot tell them apart).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from matplotlib.typing import RcKeyType

from ehsj_core.projections.municipalities import MunicipalityFigures
from ehsj_core.projections.status import GoalStatus
from ehsj_core.reports import labels

WIDTH_IN = 6.0  # at DPI 100: 600 px, the widest the e-mail column gets (shown at 100 % of it below)
DPI = 100
CACHE_SIZE = 64  # charts kept per kind: a PNG is 20–90 kB
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


# One row of the progress chart: the label above the bar, the figure at its right, the bar's length
# and colour (percent of the target, capped), and the pace mark (or None).
ProgressRow = tuple[str, str, float, str, float | None]


def progress_chart(goals: Sequence[GoalStatus]) -> bytes:
    """Each count target's actual as a share of its target (bar), and where it should be by now
    (the black mark). One row per target, its label above a full-width bar: readable on a phone."""
    rows: list[ProgressRow] = []
    for g in goals:
        for t in g.targets:
            if t.kind != "count" or not t.target or not isinstance(t.actual, int | float):
                continue
            pace = None if t.expected_by_now is None else min(100 * t.expected_by_now / t.target, CAP)
            rows.append(
                (
                    f"Mål {g.id}: {_short(t.label, 62)}",
                    f"{labels.number(t.actual)} af {labels.number(t.target)} · {labels.status_word(t.status)}",
                    min(100 * float(t.actual) / t.target, CAP),
                    labels.STATUS_BAR_COLOURS.get(t.status, GREY),
                    pace,
                )
            )
    return _progress_png(tuple(rows))


@lru_cache(maxsize=CACHE_SIZE)
def _progress_png(rows: tuple[ProgressRow, ...]) -> bytes:
    with _style():
        fig = Figure(figsize=(WIDTH_IN, 1.3 + 0.5 * max(1, len(rows))), layout="constrained")
        ax = fig.add_subplot()
        ax.barh(range(len(rows)), [CAP] * len(rows), color=LIGHT, height=0.42)
        for y, (title, figure, share, colour, pace) in enumerate(rows):
            ax.barh(y, share, color=colour, height=0.42)
            if pace is not None:
                ax.plot([pace, pace], [y - 0.32, y + 0.32], color="#1a202c", linewidth=1.8)
            ax.text(0, y - 0.26, title, va="bottom", fontsize=8, color="#1a202c")
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
    share = figures.specialised_share_pct
    return _share_png(
        figures.name,
        share or 0.0,
        labels.percent(share),
        figures.population_share_pct,
        labels.percent(figures.population_share_pct),
        limit_pp,
        "" if limit_pp is None else labels.number(limit_pp),
    )


@lru_cache(maxsize=CACHE_SIZE)
def _share_png(
    name: str, share: float, share_text: str, population: float, population_text: str, limit: float | None, band: str
) -> bytes:
    with _style():
        # A fixed layout (room for the two labels at the left), not "constrained": this chart is drawn
        # for each of the 17 chiefs, and the layout engine would cost a third of each drawing.
        fig = Figure(figsize=(WIDTH_IN, 2.2))
        ax = fig.add_axes((0.345, 0.17, 0.625, 0.66))
        ax.barh([0, 1], [share, population], color=["#2b6cb0", "#a0aec0"], height=0.6)
        if limit is not None:
            ax.axvspan(max(0.0, population - limit), population + limit, color="#c6f6d5", alpha=0.6, zorder=0)
        for y, value, text in ((0, share, share_text), (1, population, population_text)):
            ax.text(value + 0.2, y, text, va="center", fontsize=9)
        ax.set_yticks([0, 1], ["Andel af specialiserede forløb", "Andel af befolkningen"])
        ax.invert_yaxis()
        ax.set_xlim(0, max(share, population + (limit or 0)) * 1.3 + 1)
        ax.xaxis.set_major_formatter(FuncFormatter(_pct_axis))
        legend = "" if limit is None else f" (grønt felt: ±{band} procentpoint)"
        fig.suptitle(f"{name}: specialiserede forløb år til dato{legend}", x=0.01, y=0.96, ha="left", fontsize=10)
        return _png(fig)


def deviation_chart(municipalities: Sequence[MunicipalityFigures], limit_pp: float | None) -> bytes:
    """The municipalities' deviation from their population share, with the contract's limit."""
    rows = tuple((m.name, m.deviation_pp or 0.0, labels.points(m.deviation_pp)) for m in municipalities)
    return _deviation_png(rows, limit_pp, "" if limit_pp is None else labels.number(limit_pp))


@lru_cache(maxsize=CACHE_SIZE)
def _deviation_png(rows: tuple[tuple[str, float, str], ...], limit: float | None, limit_text: str) -> bytes:
    with _style():
        fig = Figure(figsize=(WIDTH_IN, 1.4 + 0.28 * len(rows)), layout="constrained")
        ax = fig.add_subplot()
        values = [value for _name, value, _text in rows]
        inside = [limit is None or abs(v) <= limit for v in values]
        ys = list(range(len(rows)))
        ax.barh(ys, values, color=["#2b6cb0" if ok else "#c53030" for ok in inside], height=0.7)
        if limit is not None:
            for x in (-limit, limit):
                ax.axvline(x, color="#c53030", linewidth=1, linestyle="--")
        ax.axvline(0, color=GREY, linewidth=0.8)
        for y, (_name, value, text) in zip(ys, rows, strict=True):
            ax.text(
                value + (0.08 if value >= 0 else -0.08),
                y,
                text,
                va="center",
                ha="left" if value >= 0 else "right",
                fontsize=8,
            )
        widest = max([abs(v) for v in values] + [limit or 0.0, 1.0]) * 1.35
        ax.set_xlim(-widest, widest)
        ax.set_yticks(ys, [name for name, _value, _text in rows])
        ax.invert_yaxis()
        ax.xaxis.set_major_formatter(FuncFormatter(_points_axis))
        ax.set_xlabel("Andel af specialiserede forløb minus andel af befolkningen (procentpoint)", fontsize=8)
        shown = "" if limit is None else f"; grænse ±{limit_text}"
        fig.suptitle(
            f"Specialiserede forløb pr. kommune: afvigelse fra befolkningsandelen{shown}",
            x=0.01,
            ha="left",
            fontsize=11,
        )
        return _png(fig)


_DRAWERS = {"progress": _progress_png, "share": _share_png, "deviation": _deviation_png}


def drawings() -> dict[str, int]:
    """How many charts of each kind this process has drawn, rather than taken from the cache."""
    return {kind: draw.cache_info().misses for kind, draw in _DRAWERS.items()}


def forget() -> None:
    """Empty the caches: the next chart of each input is drawn anew."""
    for draw in _DRAWERS.values():
        draw.cache_clear()
