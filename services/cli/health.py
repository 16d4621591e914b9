"""`ehsj health worker | scheduler`: health checks for compose (exit 0 healthy; otherwise 1 and one
Danish line on standard error saying why)."""

from __future__ import annotations

from typing import Annotated

import typer

from ehsj_core.settings import get_settings

app = typer.Typer(help="Sundhedstjek (exit 0: sund; ellers 1 og én linje om hvorfor).", no_args_is_help=True)


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
    timeout: Annotated[float, typer.Option(help="seconds to wait for the workers' answers")] = 3.0,
) -> None:
    """Ping the Celery workers through the broker: healthy when at least one answers."""
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
        int | None, typer.Option("--max-age", help="seconds; default EHSJ_HEARTBEAT_MAX_AGE_SECONDS")
    ] = None,
) -> None:
    """Read the scheduler's heartbeat row: healthy when it is younger than the limit."""
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
