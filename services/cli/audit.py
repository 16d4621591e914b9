"""`ehsj audit …` and `ehsj statement`: the auditor's commands. Each parses, calls one core function,
prints. Exit codes (exit_codes.py): 0 all is well, 1 the check found something (the finding is the
result: standard output), 2 the input was wrong."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from ehsj_core.audit import diff as diff_core
from ehsj_core.audit import export as export_core
from ehsj_core.audit.integrity import verify as verify_core
from ehsj_core.errors import NotFound
from ehsj_core.events.validation import InvalidInput
from ehsj_core.projections.status import STATUS_LABELS
from ehsj_core.settings import get_settings
from ehsj_core.tracker import Tracker
from services.cli.access_log import note
from services.cli.exit_codes import ExitCode
from services.cli.output import err, out, print_json, refuse
from services.cli.shell import new_app
from services.cli.status_table import status_table

# Rendering (ehsj_core.reports pulls in matplotlib) loads inside the commands that use it, so that
# `ehsj` starts quickly for every other command.

app = new_app("Revision: kæden, genafspilning, forskelle, genskabte rapporter, eksport.")
Year = Annotated[int | None, typer.Option(help="kontraktår (standard: det aktuelle)")]
AsJson = Annotated[bool, typer.Option("--json", help="skriv JSON i stedet for tabeller")]


def _tracker() -> Tracker:
    return Tracker(get_settings())


@app.command()
def verify(as_json: AsJson = False) -> None:
    """Kontrollér hele loggen: hashkæden, positioner uden huller og triggerne, der afviser ændringer."""
    report = verify_core(_tracker().engine)
    if as_json:
        print_json(report.as_dict())
    elif report.ok:
        count = f"{report.events:,}".replace(",", ".")
        out.print(
            f"[green]Loggen er i orden:[/green] {count} hændelser, kæden holder til position "
            f"{report.head_position} (hash {report.head_hash}); triggerne er på plads."
        )
    else:
        for finding in report.findings:
            where = f"position {finding.position}: " if finding.position is not None else ""
            out.print(f"[red]FEJL[/red] {where}{finding.problem}")
        if report.first_bad_position is not None:
            out.print(
                f"Kæden holder til og med position {report.head_position}; "
                f"første fejl ved position {report.first_bad_position}."
            )
    if not report.ok:
        raise typer.Exit(int(ExitCode.FOUND))


@app.command()
def replay(
    year: Year = None,
    as_of: Annotated[str, typer.Option("--as-of", help="logposition eller tidspunkt, fx 2019-10-01T08:00")] = "",
    as_json: AsJson = False,
) -> None:
    """Hele status, som den kunne kendes på et tidspunkt (eller ved en logposition)."""
    from ehsj_core.reports import labels

    tracker = _tracker()
    try:
        status = tracker.status(year, as_of or None)
        figures = tracker.municipalities(year, as_of=status.as_of.position)
    except (InvalidInput, NotFound) as exc:
        raise refuse(exc) from None
    if as_json:
        print_json({**status.as_dict(), "municipalities": figures.as_dict()["municipalities"]})
        return
    out.print(status_table(status, fulfilment=True))
    ms = Table(title="Kommunerne")
    for column in ("Kommune", "Korte", "Spec.", "Andel af spec.", "Befolkningsandel", "Afvigelse (pp)"):
        ms.add_column(column)
    for m in figures.municipalities:
        ms.add_row(
            m.name,
            labels.number(m.courses.get("short", 0)),
            labels.number(m.specialised_courses),
            labels.percent(m.specialised_share_pct),
            labels.percent(m.population_share_pct),
            labels.points(m.deviation_pp),
        )
    out.print(ms)


@app.command()
def diff(
    start: Annotated[str, typer.Option("--from", help="logposition eller tidspunkt")],
    end: Annotated[str, typer.Option("--to", help="logposition eller tidspunkt")],
    year: Year = None,
    limit: Annotated[int, typer.Option(min=1, help="hændelser vist pr. delmål")] = 10,
    as_json: AsJson = False,
) -> None:
    """Hvilke delmål ændrede sig mellem to tidspunkter, og hvilke hændelser forklarer det."""
    from ehsj_core.reports import labels

    tracker = _tracker()
    try:
        result = tracker.diff(year, start, end, limit)
    except (InvalidInput, NotFound) as exc:
        raise refuse(exc) from None
    if as_json:
        print_json(result.as_dict())
        return
    out.print(
        f"[bold]Fra position {result.before.position} ({labels.long_date(result.before.on_date)}) til position "
        f"{result.after.position} ({labels.long_date(result.after.on_date)})[/bold]: "
        f"{result.events_between} hændelser, "
        f"{result.events_in_year} af dem tæller i {result.year}; {len(result.changes)} delmål ændret."
    )
    for change in result.changes:
        before = labels.actual_text(change.kind, change.actual_before)
        after = labels.actual_text(change.kind, change.actual_after)
        status = f"{STATUS_LABELS[change.status_before]} → {STATUS_LABELS[change.status_after]}"
        out.print(f"\n[bold]Mål {change.goal_id}: {change.label}[/bold]  {before} → {after}  ({status})")
        if change.note:
            out.print(f"  {change.note}")
        for e in change.explanations:
            out.print(f"  • {_event_line(e, tracker.tz)}", markup=False, highlight=False)
        if change.explained_total > len(change.explanations):
            out.print(f"  … og {change.explained_total - len(change.explanations)} hændelser mere (--limit, --json)")
    if result.after_close:
        out.print(f"\n[bold]Registreret efter lukning af {result.year}[/bold]: {len(result.after_close)} hændelse(r)")
        for ev in result.after_close:
            out.print(
                f"  • position {ev.position} {ev.type} {ev.event_id}, hændt {ev.occurred_on.isoformat()}, "
                f"registreret af {ev.recorded_by}",
                markup=False,
                highlight=False,
            )


def _event_line(e: diff_core.Explanation, tz: ZoneInfo) -> str:
    def moment(value: datetime) -> str:
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")

    ev = e.event
    line = (
        f"[{e.label}] position {ev.position} {ev.type} {ev.event_id}, hændt {ev.occurred_on.isoformat()}, "
        f"registreret {moment(ev.recorded_at)} af {ev.recorded_by}"
    )
    if e.retracted is not None:
        r = e.retracted
        line += (
            f"; tilbagekalder position {r.position} {r.type} {r.event_id} (hændt {r.occurred_on.isoformat()}, "
            f"registreret {moment(r.recorded_at)} af {r.recorded_by}): {e.reason}"
        )
    for flag in (e.late, e.after_close):
        if flag:
            line += f"; {flag}"
    return line


@app.command()
def reproduce(
    dispatch_id: Annotated[int, typer.Argument(metavar="ID", help="forsendelsens id (en række i `ehsj report list`)")],
    as_json: AsJson = False,
    pdf: Annotated[
        Path | None, typer.Option("--pdf", dir_okay=False, help="skriv også rapporten, genskabt fra loggen, som PDF")
    ] = None,
) -> None:
    """Genskab en afsendt rapport fra logpositionen i forsendelsesloggen og sammenlign digest."""
    from ehsj_core.audit.reproduce import reproduce as reproduce_core
    from ehsj_core.reports import labels

    tracker = _tracker()
    try:
        result = reproduce_core(tracker, dispatch_id)
    except (InvalidInput, NotFound) as exc:
        raise refuse(exc) from None
    if as_json:  # names the recipient's address
        note(tracker, "recipients.read", {"where": f"ehsj audit reproduce {dispatch_id} --json", "addresses": 1})
        print_json(result.as_dict())
    else:
        row = result.dispatch
        out.print(
            f"Forsendelse {row.id}: {labels.DISPATCH_KINDS.get(row.kind, row.kind)} {row.period}"
            f"{' til ' + row.municipality if row.municipality else ''}, bygget ved position {row.position}."
        )
        out.print(f"Afsendt digest:  {result.recorded_digest or '–'}\nGenskabt digest: {result.rebuilt_digest}")
        out.print(
            ("[green]" if result.identical else "[red]")
            + result.verdict.capitalize()
            + ("[/green]" if result.identical else "[/red]")
        )
        if result.text_diff:
            out.print(result.text_diff, markup=False, highlight=False)
    if pdf is not None:
        from ehsj_core.reports.as_sent import dispatch_pdf

        pdf.write_bytes(dispatch_pdf(tracker, dispatch_id).pdf)
        err.print(f"Rapporten, genskabt fra loggen, er skrevet som PDF til {pdf}.")
    if not result.identical:
        raise typer.Exit(int(ExitCode.FOUND))


@app.command("export")
def export(
    file: Annotated[
        Path, typer.Argument(dir_okay=False, metavar="FIL", help="filen, der skrives, fx eksport-2019.jsonl")
    ],
    year: Annotated[int, typer.Option(help="året, hvis hændelser markeres med in_year")],
) -> None:
    """Eksportér hele loggen med hashkæden som JSON Lines; året markerer, hvilke hændelser der tæller."""
    tracker = _tracker()
    note(tracker, "log.export", {"year": year, "file": str(file)})
    position, head = export_core.export_to(
        tracker.log,
        tracker.house,
        year,
        file,
        contract_sha256=export_core.contract_sha256_of(tracker.contract_book(), tracker.house, year),
    )
    err.print(f"{position} rækker skrevet til {file}; hoved: position {position}, hash {head}.")


@app.command("verify-file")
def verify_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, metavar="FIL", help="eksportfilen (JSON Lines)")],
    as_json: AsJson = False,
) -> None:
    """Kontrollér en eksportfil uden database: hver hash, kæden, positionerne og in_year."""
    result = export_core.verify_file(file)
    if as_json:
        print_json(result.as_dict())
    elif result.ok:
        out.print(
            f"[green]Filen er i orden:[/green] {result.rows} rækker, hoved ved position {result.head_position} "
            f"(hash {result.head_hash}); {result.in_year} tæller i året."
        )
    else:
        where = f"position {result.position}, " if result.position is not None else ""
        out.print(f"[red]FEJL[/red] linje {result.line}, {where}{result.problem}")
    if not result.ok:
        raise typer.Exit(int(ExitCode.FOUND))


def statement(
    year: Annotated[int, typer.Argument(help="kontraktåret, fx 2019")],
    out_file: Annotated[Path, typer.Option("--out", dir_okay=False, help="resultatopgoerelse.xlsx, .html eller .pdf")],
    as_of: Annotated[str, typer.Option("--as-of", help="logposition eller tidspunkt (standard: nu)")] = "",
) -> None:
    """Den endelige resultatopgørelse som regneark (.xlsx), side til udskrift på A4 (.html) eller PDF/A (.pdf)."""
    from ehsj_core.audit.statement_render import statement_html, statement_xlsx
    from ehsj_core.reports.pdf import statement_pdf

    suffix = out_file.suffix.lower()
    if suffix not in (".xlsx", ".html", ".htm", ".pdf"):
        err.print(f"[red]--out: filen skal ende på .xlsx, .html eller .pdf, ikke {suffix or '(ingen endelse)'}[/red]")
        raise typer.Exit(2)
    tracker = _tracker()
    try:
        result = tracker.statement(year, as_of or None)
    except (InvalidInput, NotFound) as exc:
        raise refuse(exc) from None
    if suffix == ".pdf":
        out_file.write_bytes(statement_pdf(result, tracker.log))
    else:
        out_file.write_bytes(statement_xlsx(result) if suffix == ".xlsx" else statement_html(result))
    err.print(
        f"Resultatopgørelsen {year} er skrevet til {out_file} (position {result.position}, "
        f"indholdets digest {result.content_digest})."
    )
