"""Commands of `ehsj national` (services/cli/national.py) that move exports between installations:
on the national installation the houses' upload tokens (`token-create`, `tokens`, `token-revoke`);
on a house's installation sending its export (`send`) and the ledger of what was sent (`uploads`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ehsj_core.national import schedule, sending, tokens, uploads
from ehsj_core.settings import get_settings
from ehsj_core.tracker import Tracker
from services.cli.access_log import note
from services.cli.exit_codes import ExitCode
from services.cli.output import err, fail, out, print_json

AsJson = Annotated[bool, typer.Option("--json", help="skriv JSON i stedet for en tabel")]
# How `send` ends, by outcome (exit_codes.py): not done is 1, wrong use 2, not reached 3.
SEND_EXIT: dict[str, ExitCode] = {
    "sent": ExitCode.OK,
    "already_sent": ExitCode.OK,
    "empty": ExitCode.OK,
    "not_configured": ExitCode.REFUSED,
    "failed": ExitCode.FOUND,
    "busy": ExitCode.FOUND,
    "retry": ExitCode.UNAVAILABLE,
}


def _moment(tracker: Tracker, value: datetime | None) -> str:
    return "–" if value is None else f"{value.astimezone(tracker.tz):%Y-%m-%d %H:%M}"


def token_create(
    house: Annotated[str, typer.Option("--house", help="husets nøgle i husfilen (houses.yaml), fx fyn")],
    name: Annotated[
        str | None, typer.Option("--name", help="hvad nøglen er til, fx husets servernavn (standard: husets nøgle)")
    ] = None,
) -> None:
    """Lav en uploadnøgle til et erhvervshus (på den nationale installation); den vises kun denne ene gang,
    alene på sidste linje. Huset sætter den som EHSJ_NATIONAL_TOKEN."""
    tracker = Tracker(get_settings())
    try:
        info, token = tokens.create_token(tracker.engine, tracker.houses, house, name)
    except tokens.TokenError as exc:
        raise fail(str(exc)) from None
    err.print(
        f"Uploadnøgle nr. {info.id} ({escape(repr(info.name))}) til {escape(info.house)} er lavet. "
        "Den vises kun denne ene gang:"
    )
    typer.echo(token)


def tokens_(as_json: AsJson = False) -> None:
    """Vis husenes uploadnøgler: nummer, hus, navn, oprettet, sidst brugt, status (aldrig selve nøglerne)."""
    tracker = Tracker(get_settings())
    found = tokens.list_tokens(tracker.engine)
    if as_json:
        print_json([info.as_dict() for info in found])
        return
    table = Table("Nr.", "Hus", "Navn", "Oprettet", "Sidst brugt", "Status")
    for info in found:
        table.add_row(
            str(info.id),
            info.house,
            escape(info.name),
            _moment(tracker, info.created_at),
            "aldrig" if info.last_used_at is None else _moment(tracker, info.last_used_at),
            "gyldig" if info.revoked_at is None else f"tilbagekaldt {_moment(tracker, info.revoked_at)}",
        )
    out.print(table)


def token_revoke(
    token_id: Annotated[int, typer.Argument(metavar="NR", help="nøglens nummer (se `ehsj national tokens`)")],
) -> None:
    """Tilbagekald en uploadnøgle; en upload med den får 401 fra nu af."""
    try:
        info = tokens.revoke_token(Tracker(get_settings()).engine, token_id)
    except tokens.TokenError as exc:
        raise fail(str(exc)) from None
    err.print(f"Uploadnøgle nr. {info.id} ({escape(repr(info.name))}) til {escape(info.house)} er tilbagekaldt.")


def send(
    year: Annotated[
        int | None,
        typer.Option(
            "--year", help="eksportens år (standard: året for det senest afsluttede kvartal)", min=2000, max=2100
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="skriv resultatet som JSON på standard-output")] = False,
) -> None:
    """Indsend husets eksport til den nationale installation nu (EHSJ_NATIONAL_URL og EHSJ_NATIONAL_TOKEN):
    én gang pr. hovedposition; en afvist position indsendes igen med vilje."""
    tracker = Tracker(get_settings())
    settings = tracker.settings
    days_after = settings.national_send_days_after_quarter
    chosen = year if year is not None else schedule.year_to_send(tracker.today(), days_after)
    if settings.national_url:
        note(tracker, "log.export", {"year": chosen, "to": sending.upload_url(settings)})
    result = sending.send_export(
        tracker.engine,
        tracker.log,
        tracker.house,
        chosen,
        settings,
        book=tracker.contract_book(),
        retry_failed=True,
    )
    if as_json:
        print_json(result.as_dict())
    code = SEND_EXIT[result.outcome]
    if code is ExitCode.OK:
        err.print(escape(result.message()), soft_wrap=True)
        return
    raise fail(result.message(), code)


def uploads_(as_json: AsJson = False) -> None:
    """Vis hvad der er indsendt til den nationale installation: år, position, status, forsøg, fejl."""
    tracker = Tracker(get_settings())
    rows = uploads.list_rows(tracker.engine)
    if as_json:
        print_json([row.as_dict() for row in rows])
        return
    table = Table("Nr.", "År", "Position", "Status", "Forsøg", "Senest", "Sendt", "Årsag")
    for row in rows:
        table.add_row(
            str(row.id),
            str(row.year),
            str(row.head_position),
            row.status,
            str(row.attempts),
            _moment(tracker, row.updated_at),
            _moment(tracker, row.sent_at),
            escape(row.last_error or ""),
        )
    out.print(table)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `ehsj national` group."""
    app.command("token-create")(token_create)
    app.command("tokens")(tokens_)
    app.command("token-revoke")(token_revoke)
    app.command("send")(send)
    app.command("uploads")(uploads_)
