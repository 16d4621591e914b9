"""The exit codes of every `ehsj` command, in one table: the commands raise these, `--help` shows them."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FOUND = 1  # a check found a fault, or part of the work was not done (rows left out, a mail refused)
    REFUSED = 2  # wrong use or refused input: nothing was changed (Typer's own usage errors are 2 too)
    UNAVAILABLE = 3  # a service did not answer: the database, the SMTP server or Redis


MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "udført; kontrollen fandt intet",
    ExitCode.FOUND: (
        "kontrollen fandt en fejl (resultatet står på standard-output), eller noget blev ikke udført: "
        "rækker sprunget over (--skip-bad), en e-mail afvist, et sundhedstjek fejlede"
    ),
    ExitCode.REFUSED: "forkert brug eller afvist input (ukendt bruger, forkert fil, ugyldig værdi); intet er ændret",
    ExitCode.UNAVAILABLE: "en tjeneste svarer ikke (databasen, SMTP-serveren, Redis); prøv igen, når den svarer",
}

# The epilog of `ehsj --help` and of every group's help; each line is a paragraph in Typer's rich help.
EPILOG = "Afslutningskoder (fejlbeskeder skrives på standard-error):\n\n" + "\n\n".join(
    f"{int(code)}: {text}" for code, text in MEANINGS.items()
)
