"""`ehsj events append FILE.jsonl`: bulk logging with a progress bar."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import Progress

from ehsj_core.events.store import EventConflict
from ehsj_core.events.validation import InvalidInput, NewEvent, parse_event
from ehsj_core.settings import get_settings
from ehsj_core.tracker import Tracker
from ehsj_core.users import UserError, principal_named
from services.cli.output import err, fail, refuse
from services.cli.shell import new_app

app = new_app("Hændelsesloggen: registrér hændelser fra en fil.")
FILE_NAMESPACE = uuid.UUID("6d0f4f7e-8a43-4d0e-9a55-3c1b5e0a7f21")


def read_jsonl(path: Path) -> list[tuple[int, Any]]:
    """(line number, parsed object) for every non-blank line; a line without `event_id` gets one
    derived from the file's content and its line number, so appending the same file again is a no-op."""
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    out: list[tuple[int, Any]] = []
    for number, line in enumerate(raw.decode("utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise typer.BadParameter(f"linje {number}: ugyldig JSON ({exc.msg})") from None
        if isinstance(item, dict) and "event_id" not in item:
            item["event_id"] = str(uuid.uuid5(FILE_NAMESPACE, f"{digest}:{number}"))
        out.append((number, item))
    return out


@app.command("append")
def append(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, readable=True, metavar="FIL", help="JSON Lines: én hændelse pr. linje"
        ),
    ],
    as_user: Annotated[
        str, typer.Option("--as", help="brugeren, der registrerer (dennes rolle afgør, hvad der må gemmes)")
    ],
    batch: Annotated[int, typer.Option(min=1, max=50_000, help="hændelser pr. transaktion")] = 5_000,
) -> None:
    """Kontrollér hver linje først (alle problemer med linjenummer), og gem så i portioner, hver for sig helt
    eller slet ikke. Linjer uden event_id får et fra filen og linjenummeret: samme fil to gange gemmer intet nyt."""
    tracker = Tracker(get_settings())
    try:
        by = principal_named(tracker.engine, as_user)
    except UserError as exc:
        raise refuse(exc) from None
    try:
        lines = read_jsonl(file)
    except UnicodeDecodeError:
        raise fail(f"{file.name}: filen er ikke UTF-8; intet er gemt.") from None
    events: list[NewEvent] = []
    problems: list[str] = []
    book, today = tracker.contract_book(), tracker.today()  # read once, not once per line
    for number, item in lines:
        try:
            events.append(parse_event(item, book, tracker.house, today))
        except InvalidInput as exc:
            problems.extend(f"linje {number}: {p.field}: {p.problem} ({p.value!r})" for p in exc.problems)
    if problems:
        for problem in problems[:200]:
            err.print(f"[red]{escape(problem)}[/red]", soft_wrap=True)
        raise fail(f"{len(problems)} problem(er); intet er gemt.")
    new = 0
    with Progress(console=err) as progress:
        task = progress.add_task("Gemmer hændelser", total=len(events))
        for start in range(0, len(events), batch):
            chunk = events[start : start + batch]
            try:
                results = tracker.append_events(chunk, by)
            except EventConflict as exc:
                raise fail(
                    f"event_id {exc.event_id} findes allerede med andet indhold (position {exc.position}); "
                    f"intet i denne portion er gemt."
                ) from None
            except InvalidInput as exc:
                raise refuse(exc) from None
            new += sum(not r.duplicate for r in results)
            progress.advance(task, len(chunk))
    err.print(f"{new} nye hændelser gemt, {len(events) - new} fandtes allerede.")
