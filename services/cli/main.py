"""The `ehsj` command line. Each command parses its options and calls one core function."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn
from sqlalchemy.exc import DBAPIError

from ehsj_core.contract.loader import ContractError
from ehsj_core.errors import NotFound
from ehsj_core.events.validation import InvalidInput
from ehsj_core.houses import HouseError
from ehsj_core.installation import house_for
from ehsj_core.settings import Settings, get_settings
from ehsj_core.setup import initialise, wait_for_database
from ehsj_core.tracker import Tracker
from services.cli import access_log as access_log_cli
from services.cli import audit as audit_cli
from services.cli import events as events_cli
from services.cli import health as health_cli
from services.cli import imports as imports_cli
from services.cli import national as national_cli
from services.cli import privacy as privacy_cli
from services.cli import reports as reports_cli
from services.cli import users as users_cli
from services.cli.exit_codes import ExitCode
from services.cli.output import fail, out, print_json, refuse
from services.cli.shell import new_app
from services.cli.status_table import status_table

app = new_app("EHSJ målopfølgning: hændelseslog, målstatus, rapporter og revision.")
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
app.add_typer(national_cli.app, name="national")
app.command("access-log")(access_log_cli.access_log)


@app.callback()
def _start(ctx: typer.Context) -> None:
    # Every command: the one logging configuration of the process (ehsj_core/logging_setup.py).
    from ehsj_core.logging_setup import configure_logging

    settings = get_settings()
    configure_logging(settings)
    _check_house(settings)
    if ctx.invoked_subcommand == "worker":  # Celery leaves logging alone when someone answers this
        from celery.signals import setup_logging

        setup_logging.connect(lambda **_: configure_logging(settings), weak=False)


def _check_house(settings: Settings) -> None:
    """Before any command: EHSJ_HOUSE must name a known house, the one the database belongs to."""
    try:
        house_for(settings)
    except HouseError as exc:
        raise fail(str(exc)) from None
    except DBAPIError:
        pass  # the database does not answer (yet): the command itself says so, or waits (init --wait)


def tracker() -> Tracker:
    return Tracker(get_settings())


@app.command()
def init(
    wait: Annotated[int, typer.Option(min=0, help="sekunder at vente på, at databasen svarer")] = 0,
) -> None:
    """Migrér databasen og indlæs kontraktfilerne (EHSJ_CONTRACTS_DIR). Kan køres igen uden skade."""
    settings = get_settings()
    t = tracker()
    if not wait_for_database(t.engine, wait):
        raise fail(f"Databasen svarer ikke efter {wait} s.", ExitCode.UNAVAILABLE)
    try:  # EHSJ_HOUSE set: the database belongs to that house from now on (none set: at the first write)
        loaded = initialise(t.engine, settings.contracts_dir, t.house if settings.house else None, t.houses)
    except ContractError as exc:
        raise fail(f"Kontraktfilen kan ikke bruges: {exc}") from None
    except HouseError as exc:
        raise fail(str(exc)) from None
    for item in loaded:
        out.print(f"Kontrakt {item.contract.house} {item.contract.year}: {item.filename} ({item.sha256[:12]})")
    out.print(f"Database klar: {t.engine.url.render_as_string(hide_password=True)}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="adressen, der lyttes på (standard: EHSJ_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="porten (standard: EHSJ_PORT)")] = None,
) -> None:
    """Kør API'et og webappen; i indlejret tilstand (EHSJ_MODE=embedded) også planlæggeren i samme proces."""
    from services.api.app import create_app

    settings = get_settings()
    app_ = create_app(settings, run_scheduler=settings.mode == "embedded")
    # log_config=None: the logging of ehsj_core/logging_setup.py; the middleware logs each request
    uvicorn.run(app_, host=host or settings.host, port=port or settings.port, log_config=None, access_log=False)


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="tilfældighedsfrø; samme frø giver samme år")] = 2019,
    if_empty: Annotated[bool, typer.Option("--if-empty", help="gør intet, når loggen har hændelser")] = False,
    house: Annotated[
        str | None,
        typer.Option(
            "--house",
            help="erhvervshusets nøgle i houses.yaml, fx fyn: husets (fiktive) demoår, og databasen tilhører "
            "derefter huset (standard: installationens hus)",
        ),
    ] = None,
) -> None:
    """Fyld en tom log med et realistisk, reproducerbart 2019 (demoåret) for installationens hus."""
    from ehsj_core.demo import DemoError
    from ehsj_core.notify.recipients import add_demo_recipients

    t = tracker()
    if if_empty and t.log.head().position > 0:
        out.print(f"Loggen har allerede {t.log.head().position} hændelser; demoen springes over.")
        return
    try:
        count = t.load_demo(seed=seed, house=house)
    except (DemoError, HouseError) as exc:
        raise fail(str(exc)) from None
    except NotFound as exc:
        raise fail(f"{t.house}: {exc}") from None
    recipients = add_demo_recipients(t.engine, t.contract(2019).contract, t.houses)
    info = t.house_info
    note = " Kontrakten og året er et fiktivt eksempel." if info.fictitious else ""
    out.print(f"Demoåret for {info.name} er indlæst: {count} hændelser, {recipients} modtagere (example.org).{note}")


@app.command()
def status(
    year: Annotated[int | None, typer.Option(help="kontraktår (standard: det aktuelle)")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="logposition eller tidspunkt, fx 2019-10-01T08:00 (standard: nu)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="skriv JSON i stedet for en tabel")] = False,
) -> None:
    """Status for hvert mål og delmål: resultat, måltal, forventet nu og statusord."""
    try:
        report = tracker().status(year, as_of)
    except (InvalidInput, NotFound) as exc:
        raise refuse(exc) from None
    if as_json:
        print_json(report.as_dict())
        return
    out.print(status_table(report))


@app.command()
def bootstrap() -> None:
    """Det, `make run` gør før serveren starter: init, demoåret hvis loggen er tom, direktørens login.

    Hver kørsel giver direktøren en ny adgangskode og API-nøgle, vist én gang (kun til udvikling)."""
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
    out.print(f"\nÅbn http://{settings.host}:{settings.port}/  (API-dokumentation: /docs)")
    out.print(f"Log ind som [bold]direktør[/bold] med adgangskoden [bold]{password}[/bold]")
    out.print("Direktørens API-nøgle (Authorization: Bearer …):")
    typer.echo(token)


if __name__ == "__main__":
    app()
