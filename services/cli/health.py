"""`ehsj health worker | scheduler`: health checks for compose (exit 0 healthy; otherwise 1 and one
Danish line on standard error saying why). Docker's HEALTHCHECK knows 0 and 1 only, so a service that
does not answer is 1 here too, not exit_codes.UNAVAILABLE."""

from __future__ import annotations

from typing import Annotated

import typer

from ehsj_core.settings import get_settings
from services.cli.shell import new_app

app = new_app(
    "Sundhedstjek til Docker Compose.",
    epilog="Afslutningskoder:\n\n0: sund\n\n1: usund, også når Redis eller databasen ikke svarer (Dockers "
    "sundhedstjek kender kun 0 og 1); én linje på standard-error siger hvorfor\n\n2: forkert brug",
)


def _fail(reason: str) -> typer.Exit:
    typer.echo(reason, err=True)
    return typer.Exit(1)


def _redis(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:  # no password in the message
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]


@app.command("worker")
def worker(
    timeout: Annotated[float, typer.Option(help="sekunder at vente på workernes svar")] = 3.0,
) -> None:
    """Ping Celery-workerne gennem Redis: sund, når mindst én svarer."""
    from services.worker.app import create_celery

    settings = get_settings()
    celery = create_celery(settings)
    where = _redis(settings.redis_url)
    try:
        with celery.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
            answers = celery.control.inspect(timeout=timeout, connection=conn).ping() or {}
    except Exception as exc:
        raise _fail(f"Redis ({where}) svarer ikke: {type(exc).__name__}: {exc}".replace("\n", " ")) from None
    alive = sorted(name for name, reply in answers.items() if isinstance(reply, dict) and reply.get("ok") == "pong")
    if not alive:
        raise _fail(f"Ingen Celery-worker svarede på ping inden for {timeout:g} s ({where}).")
    typer.echo(f"{len(alive)} worker(e) svarer: {', '.join(alive)}")


@app.command("scheduler")
def scheduler(
    max_age: Annotated[
        int | None, typer.Option("--max-age", help="sekunder (standard: EHSJ_HEARTBEAT_MAX_AGE_SECONDS)")
    ] = None,
) -> None:
    """Læs planlæggerens livstegn: sund, når det er yngre end grænsen."""
    from ehsj_core.db import create_db_engine
    from ehsj_core.heartbeat import last_beat, problem

    settings = get_settings()
    limit = max_age if max_age is not None else settings.heartbeat_max_age_seconds
    engine = create_db_engine(settings.database_url)
    try:
        beat = last_beat(engine)
    except Exception as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise _fail(
            f"Databasen svarer ikke, eller tabellen mangler (kør `ehsj init`): {type(exc).__name__}: {first_line}"
        ) from None
    finally:
        engine.dispose()
    reason = problem(beat, limit)
    if reason is not None:
        raise _fail(reason)
    assert beat is not None
    typer.echo(
        f"Planlæggeren lever: seneste livstegn for {beat.age_seconds():.0f} s siden ({beat.host}, pid {beat.pid})."
    )
