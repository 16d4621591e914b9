"""The closed choices of the command line as enums, so that Typer checks them and lists them in --help.
The values are the core's words (`ROLES`, `RECIPIENT_ROLES`, the report kinds, the ledger's states, the
access log's actions); tests/integration/test_cli_language.py holds each enum to the core's tuple."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    consultant = "consultant"
    director = "director"
    auditor = "auditor"
    chief = "chief"
    national = "national"


ROLE_HELP = (
    "rollen: consultant (forretningsudvikler: registrerer hændelser og tilbagekalder sine egne), director "
    "(direktør: alt, også brugere, lukning af året og Erhvervsstyrelsens tal), auditor (revisor: læser alt "
    "og reviderer, registrerer intet), chief (erhvervschef: læser den samlede status og sin egen kommune; "
    "kræver --municipality), national (national læser: kun den nationale opgørelse af husenes eksporter, "
    "registrerer intet)"
)


class RecipientRole(StrEnum):
    chief = "chief"
    k17 = "k17"
    kkr = "kkr"
    director = "director"
    consultant = "consultant"


RECIPIENT_ROLE_HELP = (
    "modtagerens rolle: chief (erhvervschef: kvartalsstatus; kræver --municipality), k17 "
    "(kommunaldirektørkredsen: halvårsrapporten), kkr (husets KKR: årsstatus og resultatopgørelse), "
    "director (direktøren: påmindelser), consultant (forretningsudvikler: påmindelser; navnet som i hændelserne)"
)


class ReportKind(StrEnum):
    quarterly_status = "quarterly_status"
    half_year_report = "half_year_report"
    annual_status = "annual_status"
    final_statement = "final_statement"
    reminder = "reminder"
    consultant_reminder = "consultant_reminder"


REPORT_KIND_HELP = (
    "kun denne rapport: quarterly_status (kvartalsstatus), half_year_report (halvårsrapport), "
    "annual_status (årsstatus), final_statement (endelig resultatopgørelse), reminder (direktørens "
    "påmindelse), consultant_reminder (forretningsudviklerens påmindelse)"
)


class DispatchState(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"


DISPATCH_STATE_HELP = "kun denne status: pending (venter), sending (sendes), sent (sendt), failed (mislykkedes)"


class AccessAction(StrEnum):
    recipients_read = "recipients.read"
    history_search = "history.search"
    log_export = "log.export"


ACCESS_ACTION_HELP = (
    "kun denne handling: recipients.read (så modtagernes e-mailadresser), history.search (søgte i "
    "historikken på CVR-nummer eller navn), log.export (eksporterede hændelsesloggen)"
)


class WorkerPool(StrEnum):
    prefork = "prefork"
    threads = "threads"
    solo = "solo"


WORKER_POOL_HELP = "Celerys pulje: prefork (processer), threads (tråde) eller solo (én ad gangen)"
