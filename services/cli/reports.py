"""`ehsj report …`, `ehsj recipients …`, `ehsj worker`, `ehsj scheduler`."""

from __future__ import annotations

import signal
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ehsj_core.events.validation import InvalidInput, Problem
from ehsj_core.notify import ledger
from ehsj_core.notify.recipients import add_recipient, deactivate_recipient, list_recipients
from ehsj_core.settings import get_settings
from ehsj_core.tracker import Tracker
from services.cli.access_log import note

# Rendering (matplotlib) and Celery load inside the commands that use them, so that the everyday
# commands (`ehsj status`, `ehsj events append`) start quickly.

report_app = typer.Typer(help="Reports: preview or send.", no_args_is_help=True)
recipients_app = typer.Typer(help="Report recipients (personal data).", no_args_is_help=True)
console = Console(stderr=True)


def _fail(exc: InvalidInput) -> typer.Exit:
    for p in exc.problems:
        console.print(f"[red]{p.field}: {p.problem} ({p.value!r})[/red]")
    return typer.Exit(2)


def _run(
    kind_names: tuple[str, ...], period: str, municipality: str | None, preview: Path | None, send_now: bool
) -> None:
    from ehsj_core.notify import dispatch
    from ehsj_core.reports.render import preview_html

    tracker = Tracker(get_settings())
    try:
        if send_now:
            _send(tracker, kind_names, period)
            return
        rendered, position = dispatch.preview_report(tracker, kind_names[0], period, municipality)
    except InvalidInput as exc:
        raise _fail(exc) from None
    if preview is not None:
        preview.write_text(preview_html(rendered), encoding="utf-8")
        console.print(f"Forhåndsvisning skrevet til {preview} (bygget ved position {position}).")
    else:
        typer.echo(rendered.text)


def _send(tracker: Tracker, kind_names: tuple[str, ...], period: str) -> None:
    """Make the ledger rows, check the SMTP server, then send (in process, or through a worker).
    An SMTP problem is one line and exit code 1; the rows stay pending for the next attempt (a
    refused recipient's row is failed)."""
    from ehsj_core.notify import dispatch
    from ehsj_core.notify.mail import MailError, check_server
    from services.worker.app import create_celery, send

    settings = tracker.settings
    rows = [row for kind in kind_names for row in dispatch.prepare(tracker, kind, period)]
    try:
        if any(r.state == "pending" for r in rows):
            check_server(settings)
    except MailError as exc:
        console.print(f"[red]{escape(exc.failure.text)}[/red]", soft_wrap=True)
        raise typer.Exit(1) from None
    app = create_celery(settings)
    for kind in kind_names:
        send(app, "reports.send", kind, period)
    _report_states(tracker, app, rows)


Period = Annotated[str, typer.Option("--period", help="e.g. 2019Q3, 2019H1, 2019")]
Muni = Annotated[str | None, typer.Option("--municipality", help="the chief's municipality")]
Preview = Annotated[Path | None, typer.Option("--preview", help="write the e-mail as HTML here")]
Send = Annotated[bool, typer.Option("--send", help="send it (once per recipient, ever)")]


@report_app.command("quarterly")
def quarterly(period: Period, municipality: Muni = None, preview: Preview = None, send_now: Send = False) -> None:
    """The quarterly status to the 17 business chiefs."""
    _run(("quarterly_status",), period, municipality, preview, send_now)


@report_app.command("half-year")
def half_year(period: Period, preview: Preview = None, send_now: Send = False) -> None:
    """The half-year report to K17."""
    _run(("half_year_report",), period, None, preview, send_now)


@report_app.command("annual")
def annual(
    period: Annotated[str | None, typer.Option("--period", help="the year, e.g. 2019")] = None,
    preview: Preview = None,
    send_now: Send = False,
    on_request: Annotated[
        bool, typer.Option("--on-request", help="send the status KKR asked for, now (once per request key)")
    ] = False,
    request_key: Annotated[
        str | None, typer.Option("--request-key", help="the request's key; the same key never sends twice")
    ] = None,
) -> None:
    """The annual status to KKR: the calendar's (--period 2019 --send), or on request (--on-request)."""
    if on_request or request_key:
        _request(period, request_key)
        return
    if period is None:
        console.print("[red]period: angiv året med --period, fx --period 2019 (eller --on-request)[/red]")
        raise typer.Exit(2)
    _run(("annual_status",), period, None, preview, send_now)


@report_app.command("final")
def final(period: Period, preview: Preview = None, send_now: Send = False) -> None:
    """The final statement to KKR (--period 2019, or 2019-2 for a second close after a reopening).
    It goes out by itself after the close; --send sends it now, built at the close's position."""
    _run(("final_statement",), period, None, preview, send_now)


def _request(period: str | None, request_key: str | None) -> None:
    """The status KKR asked for, to the KKR recipients, once per request key (a new key when none is
    given: printed, so that the command can be retried with it without sending twice)."""
    import uuid

    from ehsj_core.errors import NotFound
    from ehsj_core.notify.mail import MailError, check_server
    from ehsj_core.notify.on_request import request_status
    from services.worker.app import create_celery, send

    tracker = Tracker(get_settings())
    key = request_key or str(uuid.uuid4())
    if period is not None and not period.strip().isdigit():
        raise _fail(InvalidInput([Problem("period", period, "skal være et år, fx 2019")]))
    try:
        asked = request_status(tracker, key, None if period is None else int(period))
    except InvalidInput as exc:
        raise _fail(exc) from None
    except NotFound as exc:
        console.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None
    console.print(f"Anmodningsnøgle: {key} (periode {asked.period} i forsendelsesloggen)")
    if asked.repeated:
        console.print("Anmodningen er kendt: intet nyt sendes.")
    try:
        if asked.open_rows:
            check_server(tracker.settings)
    except MailError as exc:
        console.print(f"[red]{escape(exc.failure.text)}[/red]", soft_wrap=True)
        raise typer.Exit(1) from None
    app = create_celery(tracker.settings)
    for row in asked.open_rows:
        send(app, "reports.deliver", row.id)
    _report_states(tracker, app, asked.rows)


def _report_states(tracker: Tracker, app: Any, rows: list[ledger.DispatchRow]) -> None:
    """Print how the rows stand; exit 1 when, in process, some could not be sent."""
    rows = [ledger.get_row(tracker.engine, r.id) or r for r in rows]
    states = {r.state for r in rows}
    console.print(f"{len(rows)} modtager(e); status: {', '.join(sorted(states)) or 'ingen'}")
    if not app.conf.task_always_eager:
        return  # a worker sends; `ehsj report list` shows how it went
    errors = sorted({r.last_error for r in rows if r.state != "sent" and r.last_error})
    for error in errors:
        console.print(f"[red]{escape(error)}[/red]", soft_wrap=True)
    if errors:
        raise typer.Exit(1)


@report_app.command("reminders")
def reminders(
    preview: Preview = None,
    send_now: Send = False,
    week: Annotated[str | None, typer.Option(help="ISO week, e.g. 2026-W48 (default: this week)")] = None,
) -> None:
    """The director's reminder: targets behind pace, deadlines, failed dispatches. `--send` sends
    the week's reminders to the director and to each consultant with something open."""
    from ehsj_core.reports import kinds

    iso = datetime.now(UTC).isocalendar()
    weekly = tuple(k.name for k in kinds.on_calendar(kinds.REMINDERS))  # the director's first
    _run(weekly, week or f"{iso.year}-W{iso.week:02d}", None, preview, send_now)


@report_app.command("list")
def list_dispatches(
    kind: Annotated[str | None, typer.Option()] = None,
    period: Annotated[str | None, typer.Option()] = None,
    state: Annotated[str | None, typer.Option()] = None,
) -> None:
    """The dispatch ledger (it shows the recipients' addresses: recorded in the access log)."""
    tracker = Tracker(get_settings())
    rows = ledger.find_rows(tracker.engine, kind, period, state)
    if rows:
        note(tracker, "recipients.read", {"where": "ehsj report list", "addresses": len({r.email for r in rows})})
    table = Table("id", "rapport", "periode", "modtager", "status", "forsøg", "position", "sendt", "SHA-256")
    for r in rows:
        sent = r.sent_at.isoformat(timespec="minutes") if r.sent_at else ""
        table.add_row(
            str(r.id), r.kind, r.period, r.email, r.state, str(r.attempts), str(r.position), sent, (r.sha256 or "")[:12]
        )
    Console().print(table)


@recipients_app.command("add")
def recipients_add(
    role: Annotated[str, typer.Option(help="chief, k17, kkr, director or consultant (named as in the events)")],
    name: Annotated[str, typer.Option()],
    email: Annotated[str, typer.Option()],
    municipality: Muni = None,
) -> None:
    """Add a recipient (a new chief replaces the municipality's previous one)."""
    tracker = Tracker(get_settings())
    try:
        row = add_recipient(tracker.engine, tracker.contract().contract, role, name, email, municipality)
    except InvalidInput as exc:
        raise _fail(exc) from None
    console.print(f"Modtager {row.id} tilføjet: {row.name} <{row.email}> ({row.role} {row.municipality or ''})")


@recipients_app.command("list")
def recipients_list() -> None:
    """The active recipients (recorded in the access log)."""
    tracker = Tracker(get_settings())
    rows = list_recipients(tracker.engine)
    note(tracker, "recipients.read", {"where": "ehsj recipients list", "addresses": len(rows)})
    table = Table("id", "rolle", "kommune", "navn", "e-mail")
    for r in rows:
        table.add_row(str(r.id), r.role, r.municipality or "", r.name, r.email)
    Console().print(table)


@recipients_app.command("remove")
def recipients_remove(recipient_id: int) -> None:
    """Deactivate a recipient (the ledger keeps what was sent to them)."""
    try:
        deactivate_recipient(Tracker(get_settings()).engine, recipient_id)
    except InvalidInput as exc:
        raise _fail(exc) from None
    console.print(f"Modtager {recipient_id} er deaktiveret.")


def worker(
    concurrency: Annotated[int, typer.Option(min=1)] = 2,
    pool: Annotated[str, typer.Option(help="prefork, threads or solo")] = "prefork",
) -> None:
    """A Celery worker (distributed mode): takes report tasks from Redis."""
    from services.worker.app import create_celery

    app = create_celery(get_settings())
    app.worker_main(
        [
            "worker",
            "--loglevel=INFO",
            f"--concurrency={concurrency}",
            f"--pool={pool}",
            "--without-gossip",
            "--without-mingle",
        ]
    )


def scheduler() -> None:
    """The one scheduler of a distributed setup: enqueues tasks on the contract calendar."""
    from services.worker.scheduler import start_scheduler

    settings = get_settings()
    running = start_scheduler(settings, Tracker(settings).contract_book())
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    console.print("Planlæggeren kører (Ctrl-C stopper).")
    stop.wait()
    running.shutdown(wait=True)
