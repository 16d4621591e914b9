"""`ehsj privacy …`: erasing a data subject's personal fields from the log (crypto-shredding).
Exit codes (exit_codes.py): 0 erased, 2 the input was wrong or no such subject."""

from __future__ import annotations

from typing import Annotated

import typer

from ehsj_core.errors import NotFound
from ehsj_core.events.validation import InvalidInput
from ehsj_core.privacy.forget import events
from ehsj_core.privacy.forget import forget as forget_core
from ehsj_core.privacy.sealing import ERASED
from ehsj_core.settings import get_settings
from ehsj_core.tracker import Tracker
from services.cli.output import out, print_json, refuse
from services.cli.shell import new_app

app = new_app("Personoplysninger: slet en virksomheds eller en forretningsudviklers oplysninger.")
FIELD_LABELS = {"company_name": "virksomhedsnavn", "consultant": "forretningsudvikler", "evidence": "dokumentation"}


@app.command()
def forget(
    cvr: Annotated[str | None, typer.Option("--cvr", help="virksomhedens CVR-nummer")] = None,
    consultant: Annotated[str | None, typer.Option("--consultant", help="forretningsudviklerens navn")] = None,
    company_name: Annotated[
        str | None, typer.Option("--company-name", help="navnet på en virksomhed registreret uden CVR-nummer")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="skriv JSON")] = False,
) -> None:
    """Slet nøglen til en virksomheds eller en forretningsudviklers personoplysninger i loggen.

    Felterne læses derefter som "slettet" overalt; loggen, kæden og alle tal er uændrede."""
    try:
        done = forget_core(Tracker(get_settings()).store, cvr=cvr, consultant=consultant, company_name=company_name)
    except (InvalidInput, NotFound) as exc:
        raise refuse(exc) from None
    if as_json:
        print_json(done.as_dict())
        return
    fields = ", ".join(FIELD_LABELS.get(f, f) for f in done.fields) or "ingen felter"
    out.print(f"1 nøgle slettet (pseudonym {done.subject}).")
    out.print(f'{events(done.events)}: {fields} læses nu som "{ERASED}".')
    if done.company_names:
        out.print(f"{done.company_names} navne fjernet fra søgningen på virksomhedsnavn.")
    if done.before_sealing:
        out.print(
            f"[yellow]{events(done.before_sealing)} registreret før krypteringen nævner stadig "
            "navnet: loggen kan ikke ændres (se README, Personoplysninger).[/yellow]"
        )
