"""`ehsj users …`: users, their API tokens and their passwords for the web app."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ehsj_core import sessions, throttle
from ehsj_core.accounts import disable_user, list_accounts, set_password
from ehsj_core.settings import get_settings
from ehsj_core.throttle import ThrottleLimits
from ehsj_core.tracker import Tracker
from ehsj_core.users import (
    ROLES,
    UserError,
    create_token,
    create_user,
    issue_token,
    list_tokens,
    revoke_token_named,
)

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
    """Replace a user's "standard" token with a new one (the old one stops working)."""
    try:
        new = issue_token(Tracker(get_settings()).engine, name)
    except UserError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    typer.echo(new)


@app.command("disable")
def disable(name: str) -> None:
    """Disable a user; their tokens stop working and their sessions end at once."""
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
    """Give a user a (new) password for the web app; all their sessions end."""
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
    tracker = Tracker(get_settings())
    locked = {lock.key: lock for lock in throttle.current_locks(tracker.engine, ThrottleLimits.of(tracker.settings))}
    table = Table("Navn", "Rolle", "Kommune", "Adgangskode", "Status")
    for account in list_accounts(tracker.engine):
        lock = locked.get(throttle.account_key(account.name))
        status = "deaktiveret" if account.disabled else "aktiv"
        table.add_row(
            account.name,
            account.role,
            account.municipality or "",
            "ja" if account.has_password else "nej",
            status if lock is None else f"{status}, låst til {lock.until.astimezone(tracker.tz):%H:%M}",
        )
    Console().print(table)


@app.command("tokens")
def tokens(name: str) -> None:
    """List a user's API tokens: name, created, last used, revoked (never the tokens themselves)."""
    tracker = Tracker(get_settings())
    try:
        found = list_tokens(tracker.engine, name)
    except UserError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    table = Table("Nøgle", "Oprettet", "Sidst brugt", "Status")
    for info in found:
        table.add_row(
            info.name,
            f"{info.created_at.astimezone(tracker.tz):%Y-%m-%d %H:%M}",
            "aldrig" if info.last_used_at is None else f"{info.last_used_at.astimezone(tracker.tz):%Y-%m-%d %H:%M}",
            "gyldig" if info.revoked_at is None else f"tilbagekaldt {info.revoked_at.astimezone(tracker.tz):%Y-%m-%d}",
        )
    Console().print(table)


@app.command("token-create")
def token_create(
    name: str, token_name: Annotated[str, typer.Option("--name", help="what the token is for, e.g. the script")]
) -> None:
    """Give a user a further named API token; it is printed once, alone on the last line."""
    try:
        new = create_token(Tracker(get_settings()).engine, name, token_name)
    except UserError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    console.print(f"Nøglen {token_name.strip()!r} til {name!r} vises kun denne ene gang:")
    typer.echo(new)


@app.command("token-revoke")
def token_revoke(name: str, token_name: Annotated[str, typer.Option("--name", help="the token's name")]) -> None:
    """Revoke a user's API token by its name; it answers 401 from now on."""
    try:
        revoke_token_named(Tracker(get_settings()).engine, name, token_name)
    except UserError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    console.print(f"Nøglen {token_name!r} til {name!r} er tilbagekaldt.")


@app.command("end-sessions")
def end_sessions(name: str) -> None:
    """End every web session of a user (they must sign in again)."""
    try:
        ended = sessions.end_sessions_of(Tracker(get_settings()).engine, name)
    except UserError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    console.print(f"{ended} session(er) for {name!r} er afsluttet.")


@app.command("unlock")
def unlock(
    name: Annotated[str | None, typer.Argument(help="the account name locked by failed sign-ins")] = None,
    address: Annotated[str | None, typer.Option(help="unlock a client address instead")] = None,
) -> None:
    """Let a name (or an address) locked by too many failed sign-ins try again at once."""
    engine = Tracker(get_settings()).engine
    if (name is None) == (address is None):
        console.print("[red]name: angiv enten et brugernavn eller --address (ikke begge)[/red]")
        raise typer.Exit(2)
    if address is not None:
        cleared = throttle.clear_address(engine, address)
        console.print(f"Adressen {address!r} kan logge ind igen ({cleared} fejlede forsøg glemt).")
    else:
        assert name is not None
        cleared = throttle.clear_account(engine, name)
        console.print(f"{name!r} kan logge ind igen ({cleared} fejlede forsøg glemt).")
