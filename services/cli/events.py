"""`ehsj events append FILE.jsonl`: bulk logging with a progress bar."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress

from ehsj_core.events.store import EventConflict
from ehsj_core.events.validation import InvalidInput, NewEvent, parse_event
from ehsj_core.settings import get_settings
from ehsj_core.tracker import Tracker
from ehsj_core.users import UserError, principal_named

app = typer.Typer(help="The event log.", no_args_is_help=True)
console = Console(stderr=True)
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
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    as_user: Annotated[
        str, typer.Option("--as", help="brugeren, der registrerer (dennes rolle afgør, hvad der må gemmes)")
    ],
    batch: Annotated[int, typer.Option(min=1, max=50_000)] = 5_000,
) -> None:
    """Validate every line first (all problems by line), then append in atomic batches."""
    tracker = Tracker(get_settings())
    try:
        by = principal_named(tracker.engine, as_user)
    except UserError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    lines = read_jsonl(file)
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
            console.print(f"[red]{problem}[/red]")
        console.print(f"{len(problems)} problem(er); intet er gemt.")
        raise typer.Exit(2)
    new = 0
    with Progress(console=console) as progress:
        task = progress.add_task("Gemmer hændelser", total=len(events))
        for start in range(0, len(events), batch):
            chunk = events[start : start + batch]
            try:
                results = tracker.append_events(chunk, by)
            except EventConflict as exc:
                console.print(
                    f"[red]event_id {exc.event_id} findes allerede med andet indhold (position {exc.position}); "
                    f"intet i denne portion er gemt.[/red]"
                )
                raise typer.Exit(2) from None
            except InvalidInput as exc:
                for p in exc.problems:
                    console.print(f"[red]{p.field}: {p.problem} ({p.value!r})[/red]")
                raise typer.Exit(2) from None
            new += sum(not r.duplicate for r in results)
            progress.advance(task, len(chunk))
    console.print(f"{new} nye hændelser gemt, {len(events) - new} fandtes allerede.")
