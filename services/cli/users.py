"""`ehsj users …`: users, their API tokens and their passwords for the web app."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ehsj_core import sessions, throttle
from ehsj_core.accounts import disable_user, list_accounts, set_password
from ehsj_core.settings import get_settings
from ehsj_core.throttle import ThrottleLimits
from ehsj_core.tracker import Tracker
from ehsj_core.users import UserError, create_token, create_user, issue_token, list_tokens, revoke_token_named
from services.cli.choices import ROLE_HELP, Role
from services.cli.output import err, fail, out, print_json, refuse
from services.cli.shell import new_app

app = new_app("Brugere, deres API-nøgler og adgangskoder til webappen.")
Name = Annotated[str, typer.Argument(metavar="NAVN", help="brugerens navn")]
AsJson = Annotated[bool, typer.Option("--json", help="skriv JSON i stedet for en tabel")]


@app.command("create")
def create(
    name: Name,
    role: Annotated[Role, typer.Option(help=ROLE_HELP)],
    municipality: Annotated[str | None, typer.Option(help="erhvervschefens kommune (kræves for chief)")] = None,
    password: Annotated[str | None, typer.Option(help="lader brugeren logge ind i webappen (mindst 10 tegn)")] = None,
) -> None:
    """Opret en bruger; nøglen vises én gang, alene på sidste linje."""
    tracker = Tracker(get_settings())
    if municipality is not None:
        canonical = tracker.contract().contract.canonical_municipality(municipality)
        if canonical is None:
            raise fail(f"municipality: ukendt kommune {municipality!r}")
        municipality = canonical
    try:
        token = create_user(tracker.engine, name, role.value, municipality, password)
    except UserError as exc:
        raise refuse(exc) from None
    err.print(f"Bruger {escape(repr(name))} ({role.value}) oprettet. Nøglen vises kun denne ene gang:")
    typer.echo(token)


@app.command("token")
def token(name: Name) -> None:
    """Erstat brugerens "standard"-nøgle med en ny (den gamle holder op med at virke)."""
    try:
        new = issue_token(Tracker(get_settings()).engine, name)
    except UserError as exc:
        raise refuse(exc) from None
    typer.echo(new)


@app.command("disable")
def disable(name: Name) -> None:
    """Deaktivér en bruger; nøglerne holder op med at virke, og sessionerne slutter med det samme."""
    try:
        disable_user(Tracker(get_settings()).engine, name)
    except UserError as exc:
        raise refuse(exc) from None
    err.print(f"Bruger {escape(repr(name))} er deaktiveret.")


@app.command("set-password")
def set_password_(
    name: Name,
    password: Annotated[
        str | None, typer.Option(help="den nye adgangskode; uden den bliver du spurgt to gange (skjult)")
    ] = None,
) -> None:
    """Giv en bruger en (ny) adgangskode til webappen; alle brugerens sessioner slutter."""
    if password is None:
        password = typer.prompt("Ny adgangskode", hide_input=True)
        if typer.prompt("Gentag adgangskoden", hide_input=True) != password:
            raise fail("password: de to adgangskoder er ikke ens; intet er ændret")
    try:
        set_password(Tracker(get_settings()).engine, name, password)
    except UserError as exc:
        raise refuse(exc) from None
    err.print(f"Bruger {escape(repr(name))} har fået en ny adgangskode.")


@app.command("list")
def list_(as_json: AsJson = False) -> None:
    """Vis brugerne (aldrig deres nøgler eller adgangskoder)."""
    tracker = Tracker(get_settings())
    locked = {lock.key: lock for lock in throttle.current_locks(tracker.engine, ThrottleLimits.of(tracker.settings))}
    accounts = list_accounts(tracker.engine)
    locks = {a.name: locked.get(throttle.account_key(a.name)) for a in accounts}
    if as_json:
        print_json(
            [
                {
                    "name": a.name,
                    "role": a.role,
                    "municipality": a.municipality,
                    "has_password": a.has_password,
                    "disabled": a.disabled,
                    "locked_until": None if (lock := locks[a.name]) is None else lock.until.isoformat(),
                    "created_at": a.created_at.isoformat(),
                }
                for a in accounts
            ]
        )
        return
    table = Table("Navn", "Rolle", "Kommune", "Adgangskode", "Status")
    for account in accounts:
        lock = locks[account.name]
        status = "deaktiveret" if account.disabled else "aktiv"
        table.add_row(
            escape(account.name),
            account.role,
            account.municipality or "",
            "ja" if account.has_password else "nej",
            status if lock is None else f"{status}, låst til {lock.until.astimezone(tracker.tz):%H:%M}",
        )
    out.print(table)


@app.command("tokens")
def tokens(name: Name, as_json: AsJson = False) -> None:
    """Vis en brugers API-nøgler: navn, oprettet, sidst brugt, tilbagekaldt (aldrig selve nøglerne)."""
    tracker = Tracker(get_settings())
    try:
        found = list_tokens(tracker.engine, name)
    except UserError as exc:
        raise refuse(exc) from None
    if as_json:
        print_json(
            [
                {
                    "user": info.user_name,
                    "name": info.name,
                    "created_at": info.created_at.isoformat(),
                    "last_used_at": None if info.last_used_at is None else info.last_used_at.isoformat(),
                    "revoked_at": None if info.revoked_at is None else info.revoked_at.isoformat(),
                    "valid": info.revoked_at is None,
                }
                for info in found
            ]
        )
        return

    def moment(value: object) -> str:
        return f"{value:%Y-%m-%d %H:%M}"

    table = Table("Nøgle", "Oprettet", "Sidst brugt", "Status")
    for info in found:
        table.add_row(
            escape(info.name),
            moment(info.created_at.astimezone(tracker.tz)),
            "aldrig" if info.last_used_at is None else moment(info.last_used_at.astimezone(tracker.tz)),
            "gyldig" if info.revoked_at is None else f"tilbagekaldt {info.revoked_at.astimezone(tracker.tz):%Y-%m-%d}",
        )
    out.print(table)


@app.command("token-create")
def token_create(
    name: Name,
    token_name: Annotated[str, typer.Option("--name", help="hvad nøglen er til, fx scriptets navn")],
) -> None:
    """Giv en bruger endnu en navngiven API-nøgle; den vises én gang, alene på sidste linje."""
    try:
        new = create_token(Tracker(get_settings()).engine, name, token_name)
    except UserError as exc:
        raise refuse(exc) from None
    err.print(f"Nøglen {escape(repr(token_name.strip()))} til {escape(repr(name))} vises kun denne ene gang:")
    typer.echo(new)


@app.command("token-revoke")
def token_revoke(name: Name, token_name: Annotated[str, typer.Option("--name", help="nøglens navn")]) -> None:
    """Tilbagekald en brugers API-nøgle ved navn; den giver 401 fra nu af."""
    try:
        revoke_token_named(Tracker(get_settings()).engine, name, token_name)
    except UserError as exc:
        raise refuse(exc) from None
    err.print(f"Nøglen {escape(repr(token_name))} til {escape(repr(name))} er tilbagekaldt.")


@app.command("end-sessions")
def end_sessions(name: Name) -> None:
    """Afslut alle en brugers sessioner i webappen (brugeren skal logge ind igen)."""
    try:
        ended = sessions.end_sessions_of(Tracker(get_settings()).engine, name)
    except UserError as exc:
        raise refuse(exc) from None
    err.print(f"{ended} session(er) for {escape(repr(name))} er afsluttet.")


@app.command("unlock")
def unlock(
    name: Annotated[
        str | None, typer.Argument(metavar="[NAVN]", help="brugernavnet, der er låst efter fejlede login")
    ] = None,
    address: Annotated[str | None, typer.Option(help="lås en klientadresse op i stedet")] = None,
) -> None:
    """Lad et navn (eller en adresse), der er låst efter for mange fejlede login, prøve igen med det samme."""
    if (name is None) == (address is None):
        raise fail("name: angiv enten et brugernavn eller --address (ikke begge)")
    engine = Tracker(get_settings()).engine
    if address is not None:
        cleared = throttle.clear_address(engine, address)
        err.print(f"Adressen {escape(repr(address))} kan logge ind igen ({cleared} fejlede forsøg glemt).")
    else:
        assert name is not None
        cleared = throttle.clear_account(engine, name)
        err.print(f"{escape(repr(name))} kan logge ind igen ({cleared} fejlede forsøg glemt).")
