"""`ehsj import crm|evaluations|effect-measurements|official-figures FILE --as NAME`: exports and
Erhvervsstyrelsen's files into the log, with a report. Erhvervsstyrelsen's files are the director's:
any other user named by --as is refused the whole file (exit 2).

Answers of an evaluation import that follow no course of their type for the company are listed as
warnings: they are stored (and do not change the exit code), but count nowhere until the course is.

Exit codes (exit_codes.py): 0 every row is in the log; 1 with --skip-bad, when bad rows were left out
(they are in the file named by --bad-rows); 2 nothing was stored because of bad rows (or an unreadable
file).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from ehsj_core.errors import NotFound
from ehsj_core.events.validation import InvalidInput
from ehsj_core.imports.limits import ImportLimits, size_problem
from ehsj_core.imports.run import UNMATCHED, ImportReport, import_file
from ehsj_core.settings import get_settings
from ehsj_core.tracker import Tracker
from ehsj_core.users import UserError, principal_named
from services.cli.exit_codes import ExitCode
from services.cli.output import err, fail, refuse
from services.cli.shell import new_app

app = new_app("Indlæs eksporter fra CRM og evalueringssystemet og Erhvervsstyrelsens filer (CSV eller XLSX).")
SHOWN = 200  # problems printed; the bad-rows file (--skip-bad) has them all

File = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, metavar="FIL", help="CSV- eller XLSX-fil")
]
SkipBad = Annotated[bool, typer.Option("--skip-bad", help="gem de gode rækker; skriv de dårlige i en fil til rettelse")]
BadRows = Annotated[
    Path | None,
    typer.Option("--bad-rows", dir_okay=False, help="hvor de dårlige rækker skrives (standard: FIL-fejl.csv)"),
]
AsUser = Annotated[str, typer.Option("--as", help="brugeren, der registrerer (dennes rolle afgør, hvad der må gemmes)")]


@app.command("crm")
def crm(file: File, as_user: AsUser, skip_bad: SkipBad = False, bad_rows: BadRows = None) -> None:
    """CRM-eksporten: dato, forløbstype, CVR, virksomhed, kommune, konsulent, emner → course.completed."""
    _run("crm", file, skip_bad, bad_rows, as_user)


@app.command("evaluations")
def evaluations(file: File, as_user: AsUser, skip_bad: SkipBad = False, bad_rows: BadRows = None) -> None:
    """Evalueringseksporten: dato, CVR, forløbstype, NPS, tilfredshed, kompetence, 7 effektsvar."""
    _run("evaluations", file, skip_bad, bad_rows, as_user)


@app.command("effect-measurements")
def effect_measurements(file: File, as_user: AsUser, skip_bad: SkipBad = False, bad_rows: BadRows = None) -> None:
    """Erhvervsstyrelsens effektmåling (mål 2): år, mål (beskæftigelse/omsætning), vækst hos kunder og i
    kontrolgruppen, antal i hver, kilde, offentliggjort → effect_measurement.reported. Kun direktøren."""
    _run("effect-measurements", file, skip_bad, bad_rows, as_user)


@app.command("official-figures")
def official_figures(file: File, as_user: AsUser, skip_bad: SkipBad = False, bad_rows: BadRows = None) -> None:
    """Erhvervsstyrelsens officielle tal: år, mål (fx 3.nps), værdi, kilde, offentliggjort, bemærkning →
    official_figure.reported. Kun direktøren."""
    _run("official-figures", file, skip_bad, bad_rows, as_user)


def _run(kind: str, file: Path, skip_bad: bool, bad_rows: Path | None, as_user: str) -> None:
    settings = get_settings()
    limits = ImportLimits.of(settings)
    too_large = size_problem(file.stat().st_size, limits)  # before a byte of it is read
    if too_large is not None:
        raise fail(f"{file.name}: {too_large}; intet er gemt.")
    tracker = Tracker(settings)
    try:
        by = principal_named(tracker.engine, as_user)
    except UserError as exc:
        raise refuse(exc) from None
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        tasks: dict[str, TaskID] = {}

        def advance(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        try:
            report = import_file(
                tracker.import_destination(),
                kind,
                file.read_bytes(),
                file.name,
                by=by,
                skip_bad=skip_bad,
                progress=advance,
                limits=limits,
            )
        except NotFound as exc:
            raise refuse(exc) from None
        except InvalidInput as exc:  # refused whole by the rule book (the role of --as)
            for p in exc.problems:
                err.print(f"[red]{escape(p.problem)}[/red]", soft_wrap=True)
            raise typer.Exit(int(ExitCode.REFUSED)) from None
    _show(report)
    if report.bad_rows_csv is not None:
        target = bad_rows or file.with_name(f"{file.stem}-fejl.csv")
        target.write_bytes(report.bad_rows_csv)
        err.print(f"De {report.bad_rows} dårlige rækker er skrevet til {target}: ret dem og indlæs filen igen.")
    if report.problems:
        raise typer.Exit(int(ExitCode.FOUND if skip_bad and report.valid else ExitCode.REFUSED))


def _show(report: ImportReport) -> None:
    if report.problems:
        table = Table("række", "kolonne", "værdi", "problem", title=f"Problemer i {report.filename}")
        for p in report.problems[:SHOWN]:
            problem = p.problem if not p.allowed else f"{p.problem} (tilladt: {', '.join(p.allowed)})"
            table.add_row(str(p.row) if p.row else "filen", escape(p.column), escape(p.value), escape(problem))
        err.print(table)
        if len(report.problems) > SHOWN:
            err.print(f"… og {len(report.problems) - SHOWN} problemer mere.")
    if report.unmatched:
        table = Table("række", "CVR", "forløbstype", "dato", title=f"Advarsler: svar uden forløb i {report.filename}")
        for u in report.unmatched[:SHOWN]:
            table.add_row(str(u.row), u.company_cvr, escape(u.course_type_name), u.answered_on.strftime("%d-%m-%Y"))
        err.print(table)
        if len(report.unmatched) > SHOWN:
            err.print(f"… og {len(report.unmatched) - SHOWN} svar mere.")
        err.print(f"Advarsel for {len(report.unmatched)} svar: {UNMATCHED}.")
    read = f"{report.rows} rækker læst ({report.encoding or 'ukendt tegnsæt'})"
    if report.problems and report.stored == 0 and report.bad_rows_csv is None:
        err.print(f"{read}; {report.bad_rows} række(r) har problemer, så intet er gemt.")
        return
    err.print(
        f"{read}: {report.stored} nye hændelser gemt, {report.duplicates} fandtes allerede"
        + (f", {report.bad_rows} række(r) sprunget over." if report.problems else ".")
    )
