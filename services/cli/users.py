"""`ehsj users …`: API users and their tokens."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ehsj_core.settings import get_settings
from ehsj_core.tracker import Tracker
from ehsj_core.users import ROLES, UserError, create_user, disable_user, issue_token, list_users

app = typer.Typer(help="Users and API tokens.", no_args_is_help=True)
console = Console(stderr=True)


@app.command("create")
def create(
    name: str,
    role: Annotated[str, typer.Option(help=f"one of: {', '.join(ROLES)}")],
    municipality: Annotated[str | None, typer.Option(help="required for role chief")] = None,
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
        token = create_user(tracker.engine, name, role, municipality)
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


@app.command("list")
def list_() -> None:
    """List users (never their tokens)."""
    table = Table("Navn", "Rolle", "Kommune")
    for user in list_users(Tracker(get_settings()).engine):
        table.add_row(user.name, user.role, user.municipality or "")
    Console().print(table)
