"""`ehsj access-log`: the access log for the director, and `note`, which the commands that print
addresses or export the log call before they print (the operating system's user is who)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ehsj_core.access_log import ACTIONS, AccessQuery, local_moment, read_access_log, record_access, shell_user
from ehsj_core.settings import get_settings
from ehsj_core.tracker import Tracker
from services.cli.choices import ACCESS_ACTION_HELP, AccessAction
from services.cli.output import err, out


def note(tracker: Tracker, action: str, detail: Mapping[str, Any]) -> None:
    """Record what this command is about to show; raises (and the command fails) when it cannot."""
    record_access(
        tracker.engine,
        shell_user(),
        action,
        detail,
        "cli",
        retention_days=tracker.settings.access_log_retention_days,
    )


def _moment(value: str | None, option: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        problem = f"{value!r} er ikke et tidspunkt (ÅÅÅÅ-MM-DD eller ÅÅÅÅ-MM-DDTTT:MM)"
        raise typer.BadParameter(problem, param_hint=option) from None


def access_log(
    since: Annotated[str | None, typer.Option(help="fra dette tidspunkt, fx 2026-12-01 eller 2026-12-01T08:00")] = None,
    until: Annotated[str | None, typer.Option(help="før dette tidspunkt")] = None,
    user: Annotated[str | None, typer.Option(help="kun denne brugers opslag")] = None,
    action: Annotated[AccessAction | None, typer.Option(help=ACCESS_ACTION_HELP)] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="højst så mange, nyeste først")] = 200,
    as_json: Annotated[
        bool, typer.Option("--json", help="skriv JSON Lines: én JSON-linje pr. opslag, nyeste først")
    ] = False,
) -> None:
    """Adgangsloggen: hvem så modtagernes adresser, søgte på CVR-nummer eller navn, eksporterede loggen."""
    tracker = Tracker(get_settings())
    since_at = local_moment(_moment(since, "--since"), tracker.tz)
    until_at = local_moment(_moment(until, "--until"), tracker.tz)
    query = AccessQuery(since_at, until_at, user, None if action is None else action.value, limit)
    entries = read_access_log(tracker.engine, query)
    if as_json:
        for entry in entries:  # JSON Lines: a log is read line by line
            typer.echo(json.dumps(entry.as_dict(), ensure_ascii=False))
        return
    table = Table("tidspunkt", "bruger", "rolle", "handling", "detaljer", "kanal", "klient", title="Adgangslog")
    for e in entries:
        detail = ", ".join(f"{k}: {v}" for k, v in e.detail.items())
        table.add_row(
            e.at.astimezone(tracker.tz).strftime("%Y-%m-%d %H:%M:%S"),
            escape(e.user),
            e.role or "kommandolinjen",
            ACTIONS.get(e.action, e.action),
            escape(detail),
            e.channel,
            e.client or "",
        )
    out.print(table)
    if not entries:
        err.print("Ingen opslag i adgangsloggen med de filtre.")
