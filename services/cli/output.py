"""Where `ehsj` writes: the result on standard output (a Rich table, or JSON with --json), every error
on standard error with an exit code from `exit_codes.py`."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from ehsj_core.errors import NotFound
from ehsj_core.events.validation import InvalidInput
from ehsj_core.users import UserError
from services.cli.exit_codes import ExitCode

out = Console()
err = Console(stderr=True)


def fail(message: str, code: ExitCode = ExitCode.REFUSED) -> typer.Exit:
    """Print one error line on standard error; the caller raises what this returns."""
    err.print(f"[red]{escape(message)}[/red]", soft_wrap=True)
    return typer.Exit(int(code))


def refuse(exc: InvalidInput | NotFound | UserError, code: ExitCode = ExitCode.REFUSED) -> typer.Exit:
    """A refusal of the core: each problem on a line of its own (field: problem (value))."""
    if isinstance(exc, InvalidInput):
        for p in exc.problems:
            err.print(f"[red]{escape(f'{p.field}: {p.problem} ({p.value!r})')}[/red]", soft_wrap=True)
        return typer.Exit(int(code))
    return fail(str(exc), code)


def print_json(value: Any) -> None:
    """Machine-readable output: UTF-8, stable keys (as the core's `as_dict` gives them), numbers as numbers."""
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2))
