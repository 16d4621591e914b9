"""`ehsj report …`, `ehsj recipients …`, `ehsj worker`, `ehsj scheduler`."""

from __future__ import annotations

import signal
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ehsj_core.events.validation import InvalidInput, Problem
from ehsj_core.notify import ledger
from ehsj_core.notify.recipients import add_recipient, deactivate_recipient, list_recipients
from ehsj_core.settings import get_settings
from ehsj_core.tracker import Tracker
from services.cli.access_log import note
from services.cli.choices import (
    DISPATCH_STATE_HELP,
    RECIPIENT_ROLE_HELP,
    REPORT_KIND_HELP,
    WORKER_POOL_HELP,
    DispatchState,
    RecipientRole,
    ReportKind,
    WorkerPool,
)
from services.cli.exit_codes import ExitCode
from services.cli.output import err, fail, out, print_json, refuse
from services.cli.shell import new_app

# Rendering (matplotlib) and Celery load inside the commands that use them, so that the everyday
# commands (`ehsj status`, `ehsj events append`) start quickly.

report_app = new_app("Rapporterne: forhåndsvis eller send, og forsendelsesloggen.")
recipients_app = new_app("Rapporternes modtagere (personoplysninger).")
AsJson = Annotated[bool, typer.Option("--json", help="skriv JSON i stedet for en tabel")]


def _mail_failed(exc: Any) -> typer.Exit:
    """An SMTP problem as one line: 3 when the server could not be reached, else 1 (it refused)."""
    code = ExitCode.UNAVAILABLE if exc.failure.kind == "unreachable" else ExitCode.FOUND
    return fail(exc.failure.text, code)


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
        raise refuse(exc) from None
    if preview is not None:
        preview.write_text(preview_html(rendered), encoding="utf-8")
        err.print(f"Forhåndsvisning skrevet til {preview} (bygget ved position {position}).")
    else:
        typer.echo(rendered.text)


def _send(tracker: Tracker, kind_names: tuple[str, ...], period: str) -> None:
    """Make the ledger rows, check the SMTP server, then send (in process, or through a worker).
    An SMTP problem is one line and exit code 1 (3: the server could not be reached); the rows stay
    pending for the next attempt (a refused recipient's row is failed)."""
    from ehsj_core.notify import dispatch
    from ehsj_core.notify.mail import MailError, check_server
    from services.worker.app import create_celery, send

    settings = tracker.settings
    rows = [row for kind in kind_names for row in dispatch.prepare(tracker, kind, period)]
    try:
        if any(r.state == "pending" for r in rows):
            check_server(settings)
    except MailError as exc:
        raise _mail_failed(exc) from None
    app = create_celery(settings)
    for kind in kind_names:
        send(app, "reports.send", kind, period)
    _report_states(tracker, app, rows)


Period = Annotated[str, typer.Option("--period", help="perioden, fx 2019Q3, 2019H1 eller 2019")]
Muni = Annotated[str | None, typer.Option("--municipality", help="erhvervschefens kommune")]
Preview = Annotated[
    Path | None, typer.Option("--preview", dir_okay=False, metavar="FIL", help="skriv e-mailen som HTML her")
]
Send = Annotated[bool, typer.Option("--send", help="send den (én gang pr. modtager, nogensinde)")]


@report_app.command("quarterly")
def quarterly(period: Period, municipality: Muni = None, preview: Preview = None, send_now: Send = False) -> None:
    """Kvartalsstatus til kommunernes erhvervschefer (uden --preview og --send: teksten på standard-output)."""
    _run(("quarterly_status",), period, municipality, preview, send_now)


@report_app.command("half-year")
def half_year(period: Period, preview: Preview = None, send_now: Send = False) -> None:
    """Halvårsrapporten til K17."""
    _run(("half_year_report",), period, None, preview, send_now)


@report_app.command("annual")
def annual(
    period: Annotated[str | None, typer.Option("--period", help="året, fx 2019")] = None,
    preview: Preview = None,
    send_now: Send = False,
    on_request: Annotated[
        bool, typer.Option("--on-request", help="send den status, KKR bad om, nu (én gang pr. anmodningsnøgle)")
    ] = False,
    request_key: Annotated[
        str | None, typer.Option("--request-key", help="anmodningens nøgle; samme nøgle sender aldrig to gange")
    ] = None,
) -> None:
    """Årsstatus til KKR: kalenderens (--period 2019 --send) eller på anmodning (--on-request)."""
    if on_request or request_key:
        _request(period, request_key)
        return
    if period is None:
        raise fail("period: angiv året med --period, fx --period 2019 (eller --on-request)")
    _run(("annual_status",), period, None, preview, send_now)


@report_app.command("final")
def final(period: Period, preview: Preview = None, send_now: Send = False) -> None:
    """Den endelige resultatopgørelse til KKR (--period 2019, eller 2019-2 for en ny lukning efter en
    genåbning). Den sendes af sig selv efter lukningen; --send sender den nu, bygget ved lukningens position."""
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
        raise refuse(InvalidInput([Problem("period", period, "skal være et år, fx 2019")]))
    try:
        asked = request_status(tracker, key, None if period is None else int(period))
    except (InvalidInput, NotFound) as exc:
        raise refuse(exc) from None
    err.print(f"Anmodningsnøgle: {escape(key)} (periode {asked.period} i forsendelsesloggen)")
    if asked.repeated:
        err.print("Anmodningen er kendt: intet nyt sendes.")
    try:
        if asked.open_rows:
            check_server(tracker.settings)
    except MailError as exc:
        raise _mail_failed(exc) from None
    app = create_celery(tracker.settings)
    for row in asked.open_rows:
        send(app, "reports.deliver", row.id)
    _report_states(tracker, app, asked.rows)


def _report_states(tracker: Tracker, app: Any, rows: list[ledger.DispatchRow]) -> None:
    """Print how the rows stand; exit 1 when, in process, some could not be sent."""
    rows = [ledger.get_row(tracker.engine, r.id) or r for r in rows]
    states = {r.state for r in rows}
    err.print(f"{len(rows)} modtager(e); status: {', '.join(sorted(states)) or 'ingen'}")
    if not app.conf.task_always_eager:
        return  # a worker sends; `ehsj report list` shows how it went
    errors = sorted({r.last_error for r in rows if r.state != "sent" and r.last_error})
    for error in errors:
        err.print(f"[red]{escape(error)}[/red]", soft_wrap=True)
    if errors:
        raise typer.Exit(int(ExitCode.FOUND))


@report_app.command("reminders")
def reminders(
    preview: Preview = None,
    send_now: Send = False,
    week: Annotated[str | None, typer.Option(help="ISO-uge, fx 2026-W48 (standard: denne uge)")] = None,
) -> None:
    """Direktørens påmindelse: delmål bag tempoet, frister, fejlede forsendelser. --send sender ugens
    påmindelser til direktøren og til hver forretningsudvikler med noget åbent."""
    from ehsj_core.reports import kinds

    iso = datetime.now(UTC).isocalendar()
    weekly = tuple(k.name for k in kinds.on_calendar(kinds.REMINDERS))  # the director's first
    _run(weekly, week or f"{iso.year}-W{iso.week:02d}", None, preview, send_now)


@report_app.command("list")
def list_dispatches(
    kind: Annotated[ReportKind | None, typer.Option(help=REPORT_KIND_HELP)] = None,
    period: Annotated[str | None, typer.Option(help="kun denne periode, fx 2019Q3")] = None,
    state: Annotated[DispatchState | None, typer.Option(help=DISPATCH_STATE_HELP)] = None,
    as_json: AsJson = False,
) -> None:
    """Forsendelsesloggen (den viser modtagernes adresser: det noteres i adgangsloggen)."""
    tracker = Tracker(get_settings())
    rows = ledger.find_rows(
        tracker.engine, None if kind is None else kind.value, period, None if state is None else state.value
    )
    if rows:
        note(tracker, "recipients.read", {"where": "ehsj report list", "addresses": len({r.email for r in rows})})
    if as_json:
        print_json([r.as_dict() for r in rows])
        return
    table = Table("id", "rapport", "periode", "modtager", "status", "forsøg", "position", "sendt", "SHA-256")
    for r in rows:
        sent = r.sent_at.isoformat(timespec="minutes") if r.sent_at else ""
        table.add_row(
            str(r.id), r.kind, r.period, r.email, r.state, str(r.attempts), str(r.position), sent, (r.sha256 or "")[:12]
        )
    out.print(table)


@recipients_app.command("add")
def recipients_add(
    role: Annotated[RecipientRole, typer.Option(help=RECIPIENT_ROLE_HELP)],
    name: Annotated[str, typer.Option(help="modtagerens navn")],
    email: Annotated[str, typer.Option(help="modtagerens e-mailadresse")],
    municipality: Muni = None,
) -> None:
    """Tilføj en modtager (en ny erhvervschef afløser kommunens hidtidige)."""
    tracker = Tracker(get_settings())
    try:
        row = add_recipient(tracker.engine, tracker.contract().contract, role.value, name, email, municipality)
    except InvalidInput as exc:
        raise refuse(exc) from None
    err.print(f"Modtager {row.id} tilføjet: {row.name} <{row.email}> ({row.role} {row.municipality or ''})")


@recipients_app.command("list")
def recipients_list(as_json: AsJson = False) -> None:
    """De aktive modtagere (det noteres i adgangsloggen)."""
    tracker = Tracker(get_settings())
    rows = list_recipients(tracker.engine)
    note(tracker, "recipients.read", {"where": "ehsj recipients list", "addresses": len(rows)})
    if as_json:
        print_json([r.as_dict() for r in rows])
        return
    table = Table("id", "rolle", "kommune", "navn", "e-mail")
    for r in rows:
        table.add_row(str(r.id), r.role, r.municipality or "", escape(r.name), r.email)
    out.print(table)


@recipients_app.command("remove")
def recipients_remove(
    recipient_id: Annotated[int, typer.Argument(metavar="ID", help="modtagerens id (se `ehsj recipients list`)")],
) -> None:
    """Deaktivér en modtager (forsendelsesloggen beholder det, der blev sendt til modtageren)."""
    try:
        deactivate_recipient(Tracker(get_settings()).engine, recipient_id)
    except InvalidInput as exc:
        raise refuse(exc) from None
    err.print(f"Modtager {recipient_id} er deaktiveret.")


def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="opgaver ad gangen")] = 2,
    pool: Annotated[WorkerPool, typer.Option(help=WORKER_POOL_HELP)] = WorkerPool.prefork,
) -> None:
    """En Celery-worker (distribueret tilstand): tager rapportopgaver fra Redis."""
    from services.worker.app import create_celery

    app = create_celery(get_settings())
    app.worker_main(
        [
            "worker",
            "--loglevel=INFO",
            f"--concurrency={concurrency}",
            f"--pool={pool.value}",
            "--without-gossip",
            "--without-mingle",
        ]
    )


def scheduler() -> None:
    """Den ene planlægger i en distribueret opsætning: lægger opgaver i kø efter kontraktens kalender."""
    from services.worker.scheduler import start_scheduler

    settings = get_settings()
    running = start_scheduler(settings, Tracker(settings).contract_book())
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    err.print("Planlæggeren kører (Ctrl-C stopper).")
    stop.wait()
    running.shutdown(wait=True)
