"""The `ehsj` command line. Each command parses its options and calls one core function."""

from __future__ import annotations

import json
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.table import Table

from ehsj_core.contract.loader import ContractError
from ehsj_core.errors import NotFound
from ehsj_core.events.validation import InvalidInput
from ehsj_core.settings import get_settings
from ehsj_core.setup import initialise, wait_for_database
from ehsj_core.tracker import Tracker
from services.cli import access_log as access_log_cli
from services.cli import audit as audit_cli
from services.cli import events as events_cli
from services.cli import health as health_cli
from services.cli import imports as imports_cli
from services.cli import privacy as privacy_cli
from services.cli import reports as reports_cli
from services.cli import users as users_cli

app = typer.Typer(help="EHSJ målopfølgning: hændelseslog og målstatus.", no_args_is_help=True)
app.add_typer(users_cli.app, name="users")
app.add_typer(events_cli.app, name="events")
app.add_typer(reports_cli.report_app, name="report")
app.add_typer(reports_cli.recipients_app, name="recipients")
app.command("worker")(reports_cli.worker)
app.command("scheduler")(reports_cli.scheduler)
app.add_typer(audit_cli.app, name="audit")
app.command("statement")(audit_cli.statement)
app.add_typer(imports_cli.app, name="import")
app.add_typer(health_cli.app, name="health")
app.add_typer(privacy_cli.app, name="privacy")
app.command("access-log")(access_log_cli.access_log)
console = Console()


@app.callback()
def _start(ctx: typer.Context) -> None:
    """Every command: the one logging configuration of the process (ehsj_core/logging_setup.py)."""
    from ehsj_core.logging_setup import configure_logging

    settings = get_settings()
    configure_logging(settings)
    if ctx.invoked_subcommand == "worker":  # Celery leaves logging alone when someone answers this
        from celery.signals import setup_logging

        setup_logging.connect(lambda **_: configure_logging(settings), weak=False)


def tracker() -> Tracker:
    return Tracker(get_settings())


@app.command()
def init(
    wait: Annotated[int, typer.Option(help="seconds to wait for the database to answer")] = 0,
) -> None:
    """Migrate the database and load the contract files (EHSJ_CONTRACTS_DIR). Idempotent."""
    settings = get_settings()
    t = tracker()
    if not wait_for_database(t.engine, wait):
        console.print(f"[red]Databasen svarer ikke efter {wait} s.[/red]")
        raise typer.Exit(1)
    try:
        loaded = initialise(t.engine, settings.contracts_dir)
    except ContractError as exc:
        console.print(f"[red]Kontraktfilen kan ikke bruges:[/red] {exc}")
        raise typer.Exit(2) from None
    for item in loaded:
        console.print(f"Kontrakt {item.contract.house} {item.contract.year}: {item.filename} ({item.sha256[:12]})")
    console.print(f"Database klar: {t.engine.url.render_as_string(hide_password=True)}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
) -> None:
    """Serve the API; in embedded mode also the scheduler (in this one process)."""
    from services.api.app import create_app

    settings = get_settings()
    app_ = create_app(settings, run_scheduler=settings.mode == "embedded")
    # log_config=None: the logging of ehsj_core/logging_setup.py; the middleware logs each request
    uvicorn.run(app_, host=host or settings.host, port=port or settings.port, log_config=None, access_log=False)


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="random seed; the same seed gives the same year")] = 2019,
    if_empty: Annotated[bool, typer.Option("--if-empty", help="do nothing when the log has events")] = False,
) -> None:
    """Fill an empty log with a realistic, deterministic 2019."""
    from ehsj_core.demo import DemoError
    from ehsj_core.notify.recipients import add_demo_recipients

    t = tracker()
    if if_empty and t.log.head().position > 0:
        console.print(f"Loggen har allerede {t.log.head().position} hændelser; demoen springes over.")
        return
    try:
        count = t.load_demo(seed=seed)
    except DemoError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    recipients = add_demo_recipients(t.engine, t.contract(2019).contract)
    console.print(f"Demoåret er indlæst: {count} hændelser, {recipients} modtagere (example.org).")


@app.command()
def status(
    year: Annotated[int | None, typer.Option(help="contract year")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="log position or ISO timestamp")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
) -> None:
    """Print the status of every goal."""
    try:
        report = tracker().status(year, as_of)
    except (InvalidInput, NotFound) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    when = f"pr. {report.as_of.label}" if report.as_of.label else "nu"
    table = Table(title=f"{report.contract.contract.title} — status {when} (position {report.as_of.position})")
    for column in ("Mål", "Delmål", "Faktisk", "Mål", "Forventet nu", "Status"):
        table.add_column(column)
    colours = {"met": "green", "on_track": "green", "met_late": "yellow", "behind": "red", "missed": "red"}
    for goal in report.goals:
        for target in goal.targets:
            goal_text = (
                target.target
                if target.target is not None
                else (
                    f"{target.target_min}–{target.target_max}"
                    if target.target_min is not None
                    else target.deadline or ""
                )
            )
            colour = colours.get(target.status, "white")
            table.add_row(
                goal.id,
                target.label,
                "–" if target.actual is None else str(target.actual),
                str(goal_text),
                "" if target.expected_by_now is None else str(target.expected_by_now),
                f"[{colour}]{target.status_label}[/{colour}]",
            )
    console.print(table)


@app.command()
def bootstrap() -> None:
    """What `make run` does before serving: init, the demo year if empty, the director's sign-in.

    Each run gives the director a fresh password and API token, printed once (development only)."""
    import secrets

    from ehsj_core.accounts import set_password
    from ehsj_core.users import UserError, create_user, issue_token

    init()
    demo(seed=2019, if_empty=True)
    t = tracker()
    password = secrets.token_urlsafe(12)
    try:
        token = create_user(t.engine, "direktør", "director", password=password)
    except UserError:
        token = issue_token(t.engine, "direktør")
        set_password(t.engine, "direktør", password)
    settings = get_settings()
    console.print(f"\nÅbn http://{settings.host}:{settings.port}/  (API-dokumentation: /docs)")
    console.print(f"Log ind som [bold]direktør[/bold] med adgangskoden [bold]{password}[/bold]")
    console.print("Direktørens API-nøgle (Authorization: Bearer …):")
    typer.echo(token)


if __name__ == "__main__":
    app()
