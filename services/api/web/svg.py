"""Inline SVG for the pages: progress bars with the pace marker, monthly charts, municipality shares.

Pure functions from figures to markup; no script, no external files, and every chart has a text
alternative (`aria-label`, `<title>`) and the figures in a table beside it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

from ehsj_core.progress import MunicipalityMonths, TargetMonths
from ehsj_core.projections.forecast import Forecast
from ehsj_core.projections.municipalities import MunicipalityFigures
from ehsj_core.projections.status import TargetStatus
from ehsj_core.reports.labels import MONTHS, STATUS_BAR_COLOURS, actual_text, number, points

INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#d1d5db"
SHARE = "#1d4ed8"
POPULATION = "#9ca3af"
FLAGGED = "#b91c1c"


def _clamp(value: float) -> float:
    return max(0.0, min(1.0, value))


def _f(value: float) -> str:
    return f"{value:.1f}"


def nice_ceiling(value: float) -> float:
    """The next round number at or above `value` (1, 2, 2.5, 5 times a power of ten): axis tops."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(float(step * power) for step in (1, 2, 2.5, 5, 10) if step * power >= value)


def bar_geometry(t: TargetStatus) -> tuple[float, float | None, float | None]:
    """(filled share, pace marker share, target marker share) of a target's bar, each 0–1. The bar
    shows the figure status follows: Erhvervsstyrelsen's, where one is recorded."""
    actual = float((t.official.value if t.official is not None else t.actual) or 0)
    if t.kind == "milestone":
        return (1.0 if t.actual else 0.0), None, None
    if t.kind == "count" and t.target:
        pace = None if t.expected_by_now is None else _clamp(t.expected_by_now / t.target)
        return _clamp(actual / t.target), pace, None
    if t.kind == "range" and t.target_max:
        pace = None if t.expected_by_now is None else _clamp(t.expected_by_now / t.target_max)
        return _clamp(actual / t.target_max), pace, _clamp((t.target_min or 0) / t.target_max)
    if t.kind == "rate" and t.target is not None:
        return _clamp(actual / 100), None, _clamp(t.target / 100)
    if t.kind == "score" and t.target is not None:
        return _clamp((actual + 100) / 200), None, _clamp((t.target + 100) / 200)
    if t.kind in ("max_deviation", "growth_vs_control") and t.target:
        return _clamp(actual / (2 * t.target)), None, 0.5
    return 0.0, None, None


def _on_bar(t: TargetStatus, value: float) -> float | None:
    """Where a figure of the target sits on its bar (0–1), on the bar's own scale."""
    if t.kind == "count" and t.target:
        return _clamp(value / t.target)
    if t.kind == "range" and t.target_max:
        return _clamp(value / t.target_max)
    if t.kind == "rate":
        return _clamp(value / 100)
    if t.kind == "score":
        return _clamp((value + 100) / 200)
    return None


def _forecast_marks(t: TargetStatus) -> tuple[list[str], str | None]:
    """The forecast's 10–90 % range as a thin band under the bar, its value as a tick."""
    f = t.forecast
    if f is None or f.method == "final":
        return [], None
    low, high, value = _on_bar(t, f.low), _on_bar(t, f.high), _on_bar(t, f.value)
    if low is None or high is None or value is None:
        return [], None
    band = (
        f'<rect class="forecast-band" x="{_f(200 * low)}" y="17" width="{_f(max(1.0, 200 * (high - low)))}"'
        f' height="4" fill="{INK}" fill-opacity="0.35"/>'
    )
    tick = f'<rect x="{_f(max(0.0, 200 * value - 1))}" y="15" width="2" height="8" fill="{INK}"/>'
    said = f"prognose for årets udgang {number(f.value)} ({number(f.low)}–{number(f.high)}), {f.word_label}"
    return [band, tick], said


def progress_bar(t: TargetStatus) -> Markup:
    filled, pace, mark = bar_geometry(t)
    colour = STATUS_BAR_COLOURS.get(t.status, MUTED)
    said = [f"Resultat {actual_text(t.kind, t.actual, t.reached_on)}"]
    if t.official is not None:
        said.append(f"Erhvervsstyrelsens tal {actual_text(t.kind, t.official.value)}")
    parts = [
        '<rect x="0" y="4" width="200" height="12" rx="3" fill="#e5e7eb"/>',
        f'<rect x="0" y="4" width="{_f(200 * filled)}" height="12" rx="3" fill="{colour}"/>',
    ]
    if mark is not None:
        parts.append(
            f'<line x1="{_f(200 * mark)}" x2="{_f(200 * mark)}" y1="1" y2="19" stroke="{INK}" stroke-width="2" stroke-dasharray="3 2" vector-effect="non-scaling-stroke"/>'
        )
        said.append("stiplet streg: måltallet")
    if pace is not None and t.expected_by_now is not None:
        x = _f(200 * pace)
        parts.append(
            f'<polygon points="{x},0 {float(x) - 5:.1f},-6 {float(x) + 5:.1f},-6" fill="{INK}" transform="translate(0,6)"/>'
        )
        parts.append(
            f'<line x1="{x}" x2="{x}" y1="0" y2="20" stroke="{INK}" stroke-width="2" vector-effect="non-scaling-stroke"/>'
        )
        said.append(f"forventet i dag {number(t.expected_by_now)}")
    marks, forecast_said = _forecast_marks(t)
    parts.extend(marks)
    if forecast_said:
        said.append(forecast_said)
    label = escape("; ".join(said))
    return Markup(
        f'<svg class="bar" viewBox="0 -2 200 25" role="img" aria-label="{label}" preserveAspectRatio="none">'
        f"<title>{label}</title>{''.join(parts)}</svg>"
    )


def monthly_chart(series: TargetMonths, forecast: Forecast | None = None) -> Markup:
    """The figure at each month's end; for a count, the even pace towards the target as a line; with
    a forecast, its value and 10–90 % range at the end of December."""
    width, height, left, bottom, top = 560, 220, 48, 28, 14
    values = [float(v) if v is not None else None for _m, v in series.months]
    low = -100.0 if series.kind == "score" else 0.0
    shown = forecast if forecast is not None and forecast.method != "final" else None
    high = max([v for v in values if v is not None] + [series.target or 0, 1] + ([shown.high] if shown else []))
    high = 100.0 if series.kind in ("rate", "score") else nice_ceiling(high)
    plot_w, plot_h = width - left - 8, height - top - bottom
    step = plot_w / 12

    def y(value: float) -> float:
        return top + plot_h * (1 - (value - low) / (high - low))

    parts = [f'<line x1="{left}" x2="{width - 8}" y1="{_f(y(low))}" y2="{_f(y(low))}" stroke="{GRID}"/>']
    for tick in (low, (low + high) / 2, high):
        parts.append(
            f'<text x="{left - 6}" y="{_f(y(tick) + 4)}" text-anchor="end" font-size="13" fill="{MUTED}">{escape(number(round(tick)))}</text>'
        )
    for i, (month, _v) in enumerate(series.months):
        parts.append(
            f'<text x="{_f(left + step * i + step / 2)}" y="{height - 10}" text-anchor="middle" font-size="13" fill="{MUTED}">{MONTHS[int(month[5:]) - 1][:3]}</text>'
        )
    for i, v in enumerate(values):
        if v is None:
            continue
        base = y(max(low, 0.0)) if series.kind != "score" else y(0.0)
        top_y = y(v)
        parts.append(
            f'<rect x="{_f(left + step * i + 4)}" y="{_f(min(top_y, base))}" width="{_f(step - 8)}" height="{_f(abs(base - top_y))}" fill="{SHARE}">'
            f"<title>{escape(series.months[i][0])}: {escape(actual_text(series.kind, v))}</title></rect>"
        )
    if series.target is not None:
        if series.kind in ("count", "range"):
            parts.append(
                f'<line x1="{left}" y1="{_f(y(0))}" x2="{left + plot_w}" y2="{_f(y(series.target))}" stroke="{INK}" stroke-width="2" stroke-dasharray="6 4"/>'
            )
        else:
            parts.append(
                f'<line x1="{left}" y1="{_f(y(series.target))}" x2="{left + plot_w}" y2="{_f(y(series.target))}" stroke="{INK}" stroke-width="2" stroke-dasharray="6 4"/>'
            )
    if shown is not None:
        x = _f(left + plot_w - step / 2)
        parts.append(
            f'<line x1="{x}" x2="{x}" y1="{_f(y(min(high, shown.high)))}" y2="{_f(y(max(low, shown.low)))}"'
            f' stroke="{INK}" stroke-width="3" stroke-opacity="0.45"/>'
        )
        parts.append(f'<circle cx="{x}" cy="{_f(y(min(high, shown.value)))}" r="5" fill="{INK}"/>')
    label = escape(
        f"{series.label}: månedsudvikling; stiplet linje: måltallet"
        + (" fordelt jævnt over året" if series.kind in ("count", "range") else "")
        + (
            f"; prik i december: prognosen {number(shown.value)} ({number(shown.low)}–{number(shown.high)})"
            if shown is not None
            else ""
        )
    )
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{label}"><title>{label}</title>{"".join(parts)}</svg>'
    )


def share_chart(figures: Sequence[MunicipalityFigures], limit_pp: float) -> Markup:
    """Per municipality: its share of the specialised courses (bar) against its population share (grey)."""
    row, left, width = 26, 104, 480
    height = row * len(figures) + 52
    high = max([m.population_share_pct for m in figures] + [m.specialised_share_pct or 0 for m in figures] + [1.0])
    scale = (width - left - 64) / high
    parts = []
    for i, m in enumerate(figures):
        y0 = 8 + i * row
        share = m.specialised_share_pct or 0.0
        flagged = m.deviation_pp is not None and abs(m.deviation_pp) > limit_pp
        parts.append(
            f'<text x="{left - 8}" y="{y0 + 15}" text-anchor="end" font-size="13" fill="{INK}">{escape(m.name)}</text>'
        )
        parts.append(
            f'<rect x="{left}" y="{y0 + 2}" width="{_f(m.population_share_pct * scale)}" height="8" fill="{POPULATION}"/>'
        )
        parts.append(
            f'<rect x="{left}" y="{y0 + 11}" width="{_f(share * scale)}" height="9" fill="{FLAGGED if flagged else SHARE}"/>'
        )
        note = f"{points(m.deviation_pp)}" + (" !" if flagged else "")
        colour = FLAGGED if flagged else MUTED
        x_note = _f(left + max(share, m.population_share_pct) * scale + 6)
        parts.append(f'<text x="{x_note}" y="{y0 + 17}" font-size="12" fill="{colour}">{escape(note)}</text>')
    legend_y = row * len(figures) + 24
    parts.append(
        f'<rect x="{left}" y="{legend_y - 10}" width="11" height="11" fill="{SHARE}"/><text x="{left + 16}" y="{legend_y}" font-size="13" fill="{INK}">andel af specialiserede forløb</text>'
    )
    parts.append(
        f'<rect x="{left}" y="{legend_y + 8}" width="11" height="11" fill="{POPULATION}"/><text x="{left + 16}" y="{legend_y + 18}" font-size="13" fill="{INK}">andel af befolkningen</text>'
    )
    label = escape(
        f"Andel af specialiserede forløb mod andel af befolkningen; rødt: afviger mere end {number(limit_pp)} procentpoint"
    )
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{label}"><title>{label}</title>{"".join(parts)}</svg>'
    )


def municipality_month_chart(series: MunicipalityMonths, specialised: Sequence[str]) -> Markup:
    """Courses per month in one municipality: specialised (dark) on top of short courses (light)."""
    width, height, left, bottom, top = 560, 200, 40, 28, 14
    totals = [sum(c.values()) for _m, c in series.months]
    high = nice_ceiling(max(totals + [1]))
    step = (width - left - 8) / 12
    plot_h = height - top - bottom
    parts = [f'<line x1="{left}" x2="{width - 8}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="{GRID}"/>']
    parts.append(
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="13" fill="{MUTED}">{escape(number(round(high)))}</text>'
    )
    for i, (month, counts) in enumerate(series.months):
        spec = sum(counts.get(k, 0) for k in specialised)
        rest = sum(counts.values()) - spec
        x = left + step * i + 4
        h_spec, h_rest = plot_h * spec / high, plot_h * rest / high
        base = top + plot_h
        title = f"{MONTHS[int(month[5:]) - 1]}: {number(spec)} specialiserede, {number(rest)} andre forløb"
        parts.append(
            f'<g><title>{escape(title)}</title><rect x="{_f(x)}" y="{_f(base - h_spec)}" width="{_f(step - 8)}" height="{_f(h_spec)}" fill="{SHARE}"/>'
        )
        parts.append(
            f'<rect x="{_f(x)}" y="{_f(base - h_spec - h_rest)}" width="{_f(step - 8)}" height="{_f(h_rest)}" fill="#93c5fd"/></g>'
        )
        parts.append(
            f'<text x="{_f(x + (step - 8) / 2)}" y="{height - 10}" text-anchor="middle" font-size="13" fill="{MUTED}">{MONTHS[int(month[5:]) - 1][:3]}</text>'
        )
    label = escape(f"Forløb pr. måned i {series.name}: mørkeblå specialiserede, lyseblå korte forløb")
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{label}"><title>{label}</title>{"".join(parts)}</svg>'
    )
