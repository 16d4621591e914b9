"""The goal status as a Rich table in Danish formats (1.234 · 12,5 % · 27. november 2026), shared by
`ehsj status` and `ehsj audit replay`."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from ehsj_core.projections.moment import StatusReport

COLOURS = {"met": "green", "on_track": "green", "met_late": "yellow", "behind": "red", "missed": "red"}


def status_table(report: StatusReport, fulfilment: bool = False) -> Table:
    """`fulfilment`: also the column "Opfyldelse" (the auditor's replay; `ehsj status` keeps to 80 columns)."""
    from ehsj_core.reports import labels  # matplotlib loads with it: only when a table is printed

    when = f"pr. {report.as_of.label}" if report.as_of.label else "nu"
    table = Table(
        title=f"{report.contract.contract.title} — status {when}, bedømt {labels.long_date(report.as_of.on_date)} "
        f"(logposition {labels.number(report.as_of.position)})"
    )
    # The target's words take the room that is left (at 80 columns they wrap); the figures keep theirs.
    table.add_column("Mål", no_wrap=True)
    table.add_column("Delmål", ratio=1)
    table.add_column("Resultat", justify="right")
    table.add_column("Måltal")
    table.add_column("Forventet", justify="right")
    if fulfilment:
        table.add_column("Opfyldelse", justify="right")
    table.add_column("Status")
    for goal in report.goals:
        for t in goal.targets:
            colour = COLOURS.get(t.status, "white")
            cells = [
                goal.id,
                escape(t.label),
                labels.actual_text(t.kind, t.actual, t.reached_on),
                labels.wanted_text(t.kind, t.target, t.target_min, t.target_max, t.deadline),
                "" if t.expected_by_now is None else labels.number(t.expected_by_now, 0 if t.kind == "count" else 1),
            ]
            if fulfilment:
                cells.append("" if t.fulfilment_pct is None else labels.percent(t.fulfilment_pct))
            table.add_row(*cells, f"[{colour}]{escape(t.status_label)}[/{colour}]")
    return table
