"""Commands of `ehsj national` (services/cli/national.py) on the national installation: take in a
house's export (`add`), read the roll-up (`status`) and what is stored (`exports`). Each parses,
calls one core function (ehsj_core/national/intake.py, rollup.py) and prints.

Exit codes (exit_codes.py): 0 added or already received, 2 refused (the reason on standard error;
nothing was stored)."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ehsj_core.errors import NotFound
from ehsj_core.events.validation import InvalidInput
from ehsj_core.national.intake import ExportRefused, add_export
from ehsj_core.national.rollup import exports_overview
from ehsj_core.settings import get_settings
from ehsj_core.tracker import Tracker
from services.cli.exit_codes import ExitCode
from services.cli.output import err, out, print_json, refuse

AsJson = Annotated[bool, typer.Option("--json", help="skriv JSON i stedet for en tabel")]
COLOURS = {"met": "green", "on_track": "green", "met_late": "yellow", "behind": "red", "missed": "red"}


def _tracker() -> Tracker:
    return Tracker(get_settings())


def add(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, metavar="FIL", help="husets eksport (ehsj audit export), JSON Lines"
        ),
    ],
    by: Annotated[str | None, typer.Option("--as", help="hvem der modtager eksporten (standard: brugernavnet)")] = None,
) -> None:
    """Modtag et hus' eksport: kontrolleret som verify-file, derefter gemt skrivebeskyttet."""
    tracker = _tracker()
    try:
        added = add_export(
            tracker.engine,
            file,
            houses=tracker.houses,
            book=tracker.contract_book(),
            via="cli",
            by=by or getpass.getuser(),
        )
    except ExportRefused as exc:
        for p in exc.problems:
            err.print(f"[red]Eksporten er afvist: {escape(f'{p.field}: {p.problem}')}[/red]", soft_wrap=True)
        raise typer.Exit(int(ExitCode.REFUSED)) from None
    err.print(escape(added.message), soft_wrap=True)


def status(
    year: Annotated[int, typer.Option(help="kontraktåret, fx 2019")],
    export: Annotated[
        list[int] | None,
        typer.Option("--export", help="en gemt eksports id (gentag for flere; standard: hvert hus' nyeste)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="skriv det kanoniske JSON-dokument med digest")] = False,
) -> None:
    """De nationale mål pr. hus og på tværs af husene, husenes øvrige delmål side om side."""
    tracker = _tracker()
    try:
        rollup = tracker.national_rollup(year, export)
    except (InvalidInput, NotFound) as exc:
        raise refuse(exc) from None
    if as_json:
        typer.echo(rollup.canonical().decode())
        return
    document = rollup.as_dict()
    out.print(_national_table(document))
    out.print(_side_by_side_table(document))
    out.print(f"Digest (SHA-256 af dokumentet uden digest): {rollup.digest}")


def _source(source: dict[str, Any]) -> str:
    where = f"eksport {source['export_id']} · pos. {source['head_position']}"
    return f"{source['house']} · {where} · {source['head_hash'][:12]}…"


def _figure(target: dict[str, Any]) -> str:
    if target.get("kind") == "milestone":
        return f"nået {target['reached_on']}" if target.get("reached_on") else "ikke nået"
    value = target.get("actual")
    if value is None:
        return "–"
    unit = target.get("unit") or ""
    text = f"{value:g}".replace(".", ",") if isinstance(value, float) else str(value)
    return f"{text} {unit}".strip()


def _status(target: dict[str, Any]) -> str:
    label = escape(str(target.get("status_label") or "–"))
    colour = COLOURS.get(str(target.get("status")), "white")
    return f"[{colour}]{label}[/{colour}]"


def _national_table(document: dict[str, Any]) -> Table:
    table = Table(title=f"De nationale mål {document['year']} — pr. hus og på tværs af husene")
    table.add_column("Mål", no_wrap=True)
    table.add_column("Delmål", ratio=1)
    table.add_column("Hus")
    table.add_column("Resultat", justify="right")
    table.add_column("Status")
    table.add_column("Eksport")
    national = document["national"]
    across = {g["id"]: g for g in national["goals"]}
    for house in document["houses"]:
        for goal in house["goals"]:
            if goal["category"] != "national":
                continue
            for t in goal["targets"]:
                cells = [goal["id"], escape(t["label"]), escape(_house_name(house)), _figure(t), _status(t)]
                table.add_row(*cells, _source(house["source"]))
    for goal_id, goal in across.items():
        for t in goal["targets"]:
            reached = f" ({', '.join(t['reached_by'])})" if t.get("kind") == "milestone" else ""
            table.add_row(
                goal_id, escape(t["label"]), "[bold]Alle huse[/bold]", _figure(t) + reached, _status(t), "alle ovenfor"
            )
    if not national["summed"]:
        table.caption = escape(str(national["reason"]))
    return table


def _house_name(house: dict[str, Any]) -> str:
    """The house's name; a house whose contract is a fictitious example says so, as every page does."""
    return f"{house['name']} (fiktivt eksempel)" if house.get("fictitious") else str(house["name"])


def _side_by_side_table(document: dict[str, Any]) -> Table:
    houses = [h["house"] for h in document["houses"]]
    table = Table(title="Husenes øvrige delmål side om side (fælles nøgle: mål og delmål)")
    table.add_column("Mål", no_wrap=True)
    table.add_column("Delmål", ratio=1)
    names = {h["house"]: _house_name(h) for h in document["houses"]}
    for house in houses:
        table.add_column(escape(names[house]), justify="right")
    for row in document["side_by_side"]["targets"]:
        cells = [row["goal_id"], escape(row["label"])]
        for house in houses:
            t = {**row["houses"][house], "kind": row["kind"], "unit": row["unit"]}
            cells.append(f"{_figure(t)} {_status(t)}")
        table.add_row(*cells)
    return table


def exports(as_json: AsJson = False) -> None:
    """De gemte eksporter pr. hus: hoved (position og hash), år, hvornår og hvordan de kom."""
    tracker = _tracker()
    overview = exports_overview(tracker.engine, tracker.houses)
    if as_json:
        print_json(overview)
        return
    table = Table(title="Gemte eksporter pr. hus")
    for column in ("Hus", "Eksport", "År", "Position", "Hash", "Eksporteret", "Modtaget", "Via"):
        table.add_column(column)
    for house in overview["houses"]:
        if not house["exports"]:
            table.add_row(escape(house["name"]), "–", "", "", "ingen eksport modtaget", "", "", "")
        for e in house["exports"]:
            table.add_row(
                escape(house["name"]),
                str(e["export_id"]),
                str(e["year"]),
                str(e["head_position"]),
                f"{e['head_hash'][:16]}…",
                e["exported_at"],
                e["received_at"][:19].replace("T", " "),
                e["received_via"],
            )
    out.print(table)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `ehsj national` group."""
    app.command("add")(add)
    app.command("status")(status)
    app.command("exports")(exports)
