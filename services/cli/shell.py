"""The frame every `ehsj` command group is built in: Danish help (Typer's own words too), the exit codes
in the epilog, usage errors in Danish, and a service that does not answer as one line and exit code 3
instead of a traceback. Build a group with `new_app(help)`; its commands get the same frame."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any

import typer
from rich.markup import escape
from typer import rich_utils
from typer._click import exceptions as usage
from typer.core import TyperCommand, TyperGroup
from typer.models import CommandFunctionType

from services.cli.exit_codes import EPILOG, ExitCode
from services.cli.output import err

HELP_OPTION_HELP = "Vis denne hjælp og afslut."
OPTIONS_METAVAR = "[TILVALG]"

# Typer's own words in the help and error panels (module constants it reads when it prints).
rich_utils.OPTIONS_PANEL_TITLE = "Tilvalg"
rich_utils.ARGUMENTS_PANEL_TITLE = "Argumenter"
rich_utils.COMMANDS_PANEL_TITLE = "Kommandoer"
rich_utils.ERRORS_PANEL_TITLE = "Fejl"
rich_utils.DEFAULT_STRING = "[standard: {}]"
rich_utils.REQUIRED_LONG_STRING = "[påkrævet]"
rich_utils.ENVVAR_STRING = "[miljøvariabel: {}]"
rich_utils.DEPRECATED_STRING = "(udgået) "
rich_utils.ABORTED_TEXT = "Afbrudt."
rich_utils.RICH_HELP = "Se [blue]'{command_path} {help_option}'[/] for hjælp."

# The messages of Typer's parser and value types, in Danish (the first pattern that matches wins).
_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"^(.*) is not one of (.*)\.$", r"\1 er ikke en af \2."),
        (r"^Input should be a valid integer.*$", "skal være et heltal."),
        (r"^Input should be a valid (?:number|decimal).*$", "skal være et tal."),
        (r"^Input should be a valid boolean.*$", "skal være ja/nej (true/false)."),
        (r"^Input should be greater than or equal to (.*)$", r"skal være mindst \1."),
        (r"^Input should be greater than (.*)$", r"skal være større end \1."),
        (r"^Input should be less than or equal to (.*)$", r"må højst være \1."),
        (r"^Input should be less than (.*)$", r"skal være mindre end \1."),
        (r"^(.*) does not match the formats (.*)\.$", r"\1 passer ikke til formaterne \2."),
        (r"^(.*) is not a valid integer\.?$", r"\1 er ikke et heltal."),
        (r"^(.*) is not a valid float\.?$", r"\1 er ikke et tal."),
        (r"^Value (.*) is not a valid (.*)\.$", r"\1 er ikke en gyldig værdi (\2)."),
        (r"^(.*) is not in the range (.*)\.$", r"\1 ligger uden for \2."),
        (r"^(.*) is not (?:>=|<=|>|<) .*$", r"\1 ligger uden for det tilladte interval."),
        (r"^(?:[Ff]ile|[Pp]ath|[Dd]irectory) (.*) does not exist\.$", r"\1 findes ikke."),
        (r"^(?:[Ff]ile|[Pp]ath|[Dd]irectory) (.*) is a directory\.$", r"\1 er en mappe, ikke en fil."),
        (r"^(?:[Ff]ile|[Pp]ath|[Dd]irectory) (.*) is a file\.$", r"\1 er en fil, ikke en mappe."),
        (r"^(?:[Ff]ile|[Pp]ath|[Dd]irectory) (.*) is not readable\.$", r"\1 kan ikke læses."),
        (r"^(?:[Ff]ile|[Pp]ath|[Dd]irectory) (.*) is not writable\.$", r"\1 kan ikke skrives."),
        (r"^No such command (.*)\.$", r"ukendt kommando \1."),
        (r"^No such option: (.*)$", r"ukendt tilvalg: \1"),
        (r"^Got unexpected extra argument\(s\) \((.*)\)$", r"uventede ekstra argumenter: \1"),
        (r"^Missing command\.$", "angiv en kommando."),
        (r"^Option (.*) requires an argument\.$", r"tilvalget \1 skal have en værdi."),
        (r"^Option (.*) requires (\d+) arguments\.$", r"tilvalget \1 skal have \2 værdier."),
        (r"^Option (.*) does not take a value\.$", r"tilvalget \1 tager ingen værdi."),
    )
)


def danish(message: str) -> str:
    message = message.removeprefix("Value error, ")  # how Typer's value checks begin theirs
    for pattern, replacement in _MESSAGES:
        if pattern.match(message):
            return pattern.sub(replacement, message)
    return message


def _hint(exc: usage.BadParameter) -> str | None:
    if exc.param_hint is not None:
        hints = [exc.param_hint] if isinstance(exc.param_hint, str) else list(exc.param_hint)
        return " / ".join(h if h.startswith("'") else repr(h) for h in hints)
    return exc.param.get_error_hint() if exc.param is not None else None


def usage_message(exc: usage.UsageError) -> str:
    """What a usage error says, in Danish."""
    if isinstance(exc, usage.MissingParameter):
        kind = "argumentet" if exc.param is not None and exc.param.param_type_name == "argument" else "tilvalget"
        return f"{kind} {_hint(exc) or ''} mangler.".replace("  ", " ")
    if isinstance(exc, usage.NoSuchOption):
        text = danish(exc.message)
        return text + (f" (mulige tilvalg: {', '.join(sorted(exc.possibilities))})" if exc.possibilities else "")
    if isinstance(exc, usage.BadParameter):
        hint = _hint(exc)
        return f"ugyldig værdi for {hint}: {danish(exc.message)}" if hint else f"ugyldig værdi: {danish(exc.message)}"
    return danish(exc.message)


def _in_danish(exc: usage.UsageError) -> usage.UsageError:
    if isinstance(exc, usage.NoArgsIsHelpError):
        return exc
    translated = usage.UsageError(usage_message(exc), ctx=exc.ctx)
    translated.exit_code = exc.exit_code
    return translated


def unavailable(exc: BaseException) -> str | None:
    """The line for a service that does not answer, or None when `exc` is something else."""
    import sqlalchemy.exc

    first_line = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""])[0]
    if isinstance(exc, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError) or (
        isinstance(exc, sqlalchemy.exc.ProgrammingError) and getattr(exc.orig, "sqlstate", None) == "42P01"
    ):
        return f"Databasen svarer ikke, eller den er ikke klar (kør `ehsj init`): {first_line}"
    kombu = sys.modules.get("kombu.exceptions")  # loaded only by the commands that talk to Redis
    redis = sys.modules.get("redis.exceptions")
    if (kombu is not None and isinstance(exc, kombu.OperationalError)) or (
        redis is not None and isinstance(exc, redis.ConnectionError)
    ):
        return f"Redis svarer ikke: {first_line}"
    return None


def _guarded(invoke: Callable[[], Any]) -> Any:
    try:
        return invoke()
    except usage.UsageError as exc:
        raise _in_danish(exc) from None
    except (typer.Exit, typer.Abort, usage.ClickException):
        raise
    except Exception as exc:
        line = unavailable(exc)
        if line is None:
            raise
        err.print(f"[red]{escape(line)}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(int(ExitCode.UNAVAILABLE)) from None


class _Danish:
    """What a command and a group share: the help option's Danish text, the Danish usage line, and
    a Danish line (no traceback) when parsing the command line fails. Mixed in before Typer's class."""

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = HELP_OPTION_HELP
        return option

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix="Brug: ")

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        return _guarded(lambda: super(_Danish, self).make_context(*args, **kwargs))  # type: ignore[misc]


class Command(_Danish, TyperCommand):
    pass


class Group(_Danish, TyperGroup):
    def invoke(self, ctx: Any) -> Any:
        return _guarded(lambda: super(Group, self).invoke(ctx))


class App(typer.Typer):
    """A `typer.Typer` whose commands are built as `Command` (Danish help option and usage errors)."""

    def command(
        self, name: str | None = None, *, cls: type[TyperCommand] | None = None, **options: Any
    ) -> Callable[[CommandFunctionType], CommandFunctionType]:
        return super().command(name, cls=cls or Command, **options)


def new_app(help: str, epilog: str = EPILOG, **options: Any) -> App:
    """A command group: Danish help, the exit codes as its epilog, no shell-completion options."""
    return App(
        cls=Group,
        help=help,
        epilog=epilog,
        no_args_is_help=True,
        add_completion=False,
        options_metavar=OPTIONS_METAVAR,
        subcommand_metavar="KOMMANDO [ARGUMENTER]...",
        **options,
    )
