"""`ehsj users …`: users, their API tokens and their passwords for the web app."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ehsj_core.accounts import list_accounts, set_password
from ehsj_core.settings import get_settings
from ehsj_core.tracker import Tracker
from ehsj_core.users import ROLES, UserError, create_user, disable_user, issue_token

app = typer.Typer(help="Users, API tokens and web passwords.", no_args_is_help=True)
console = Console(stderr=True)


@app.command("create")
def create(
    name: str,
    role: Annotated[str, typer.Option(help=f"one of: {', '.join(ROLES)}")],
    municipality: Annotated[str | None, typer.Option(help="required for role chief")] = None,
    password: Annotated[
        str | None, typer.Option(help="lets the user sign in to the web app (at least 10 characters)")
    ] = None,
) -> None:
    """Create a user; its token is printed once, alone on the last line."""
    tracker = Tracker(get_settings())
    if municipality is not None:
        canonical = tracker.contract().contract.canonical_municipality(municipality)
        if canonical is None:
            console.print(f"[red]municipality: ukendt kommune {municipality!r}[/red]")
            raise typer.Exit(2)
        municipality = canonical
    try:
        token = create_user(tracker.engine, name, role, municipality, password)
    except UserError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    console.print(f"Bruger {name!r} ({role}) oprettet. Nøglen vises kun denne ene gang:")
    typer.echo(token)


@app.command("token")
def token(name: str) -> None:
    """Issue a new token for a user (the old one stops working)."""
    try:
        new = issue_token(Tracker(get_settings()).engine, name)
    except UserError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    typer.echo(new)


@app.command("disable")
def disable(name: str) -> None:
    """Disable a user; its token stops working at once."""
    try:
        disable_user(Tracker(get_settings()).engine, name)
    except UserError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    console.print(f"Bruger {name!r} er deaktiveret.")


@app.command("set-password")
def set_password_(
    name: str,
    password: Annotated[
        str | None, typer.Option(help="the new password; without it you are asked twice, unseen")
    ] = None,
) -> None:
    """Give a user a (new) password for the web app; their open sessions end."""
    if password is None:
        password = typer.prompt("Ny adgangskode", hide_input=True, confirmation_prompt=True)
    try:
        set_password(Tracker(get_settings()).engine, name, password)
    except UserError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    console.print(f"Bruger {name!r} har fået en ny adgangskode.")


@app.command("list")
def list_() -> None:
    """List users (never their tokens or passwords)."""
    table = Table("Navn", "Rolle", "Kommune", "Adgangskode", "Status")
    for account in list_accounts(Tracker(get_settings()).engine):
        table.add_row(
            account.name,
            account.role,
            account.municipality or "",
            "ja" if account.has_password else "nej",
            "deaktiveret" if account.disabled else "aktiv",
        )
    Console().print(table)
