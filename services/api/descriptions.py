"""What each API operation does, in Danish, for `/docs`, `/redoc` and generated clients.

The routes' docstrings are the code's English documentation; the OpenAPI document speaks to the
API's users, so each operation's description is this table's, by operation id. A route without an
entry fails `tests/unit/test_api_descriptions.py`.
"""

from __future__ import annotations

OPERATION_DESCRIPTIONS: dict[str, str] = {
    "events_append": 'Registrér én hændelse, eller en samlet pakke `{"events": [...]}` — alt eller intet.',
    "events_list": (
        "Loggen i rækkefølge, filtreret; næste side med `after=<next_after>`. En erhvervschef ser kun "
        "hændelserne fra sin egen kommune (dem, hvis data nævner den)."
    ),
    "contract_read": "Kontrakten, der gælder for året, som den er valideret.",
    "goals_list": "Status for alle mål og delmål: resultat, mål, tempo, opfyldelse, status og prognose.",
    "goals_read": "Status for ét mål (id som i kontrakten: 1, 2, 5A …).",
    "municipalities_list": "Kontraktens kommuner side om side (en erhvervschef: kun sin egen kommunes række).",
    "reports_list": "Hvad der er sendt hvornår til hvem: forsendelsesloggen, nyeste først (ikke for en erhvervschef).",
    "reports_preview": (
        "Rapporten, som den ville blive sendt nu, som HTML (billeder indlejret), uden at sende noget. "
        "En erhvervschef ser kun sin egen kommunes kvartalsstatus."
    ),
    "reports_send": (
        "Send en rapport med vilje. Hver modtager får den én gang, hvor ofte kaldet end gentages. "
        "SMTP-serveren kontrolleres først (intet sendes): 502, når den afviser, 503, når den ikke kan nås."
    ),
    "reports_request_status": (
        'Status til husets KKR på anmodning (kontrakten: "når KKR … i øvrigt anmoder om det"): '
        "årsstatus, som loggen står nu, til hver KKR-modtager, én gang pr. anmodning."
    ),
    "recipients_list": "Rapportmodtagerne (personoplysninger: kun direktøren; hver læsning står i adgangsloggen).",
    "recipients_create": "Tilføj en modtager; en ny erhvervschef afløser kommunens hidtidige.",
    "recipients_deactivate": "Deaktivér en modtager (det, der er sendt til modtageren, bliver i forsendelsesloggen).",
    "audit_verify": "Hele loggen: hashkæden, huller i positionerne og de tilføj-kun-triggere, der skal være der.",
    "audit_replay": "Alle mål og kommunerne, som de var kendt på et tidspunkt (en position eller et tidsstempel).",
    "audit_diff": "De delmål, der ændrede sig mellem to tidspunkter, hver med de hændelser, der forklarer det.",
    "audit_reproduce": (
        "Genskab en sendt rapport fra forsendelsens logposition og sammenlign digests (svaret nævner "
        "modtagerens adresse og står derfor i adgangsloggen)."
    ),
    "audit_statement": "Årets endelige resultatopgørelse, som fil (XLSX eller HTML) eller som JSON.",
    "audit_export": (
        "Hele loggen med hashkæden som JSON Lines; `in_year` markerer årets hændelser. Står i "
        "adgangsloggen, før første linje sendes."
    ),
    "audit_verify_file": "Kontrollér en uploadet eksportfil, som `ehsj audit verify-file` gør (ingen database).",
    "imports_upload": (
        "Importér en CRM-eksport (`crm`), en evalueringseksport (`evaluations`) eller Erhvervsstyrelsens "
        "effektmåling (`effect-measurements`) eller officielle tal (`official-figures`), CSV eller XLSX."
    ),
    "access_log_list": (
        "Hvem der har læst modtagernes adresser, søgt i historikken på CVR eller navn eller eksporteret "
        "loggen; nyeste først (kun direktøren). At læse adgangsloggen registreres ikke."
    ),
    "health_check": "Svarer kun, når databasen svarer (liveness og readiness).",
    "national_status": (
        "Den nationale opgørelse for året: de nationale mål (3, 4 og 6) pr. hus og på tværs af husene "
        "(NPS og effekt beregnet over alle husenes besvarelser; en milepæl er nået, når alle husene har nået "
        "den), husenes øvrige delmål side om side, og for hvert tal den eksport (hus, position, hash), det "
        "kommer fra. Kanonisk JSON; `digest` er SHA-256 af dokumentet uden `digest`. `export` vælger gemte "
        "eksporter (højst én pr. hus); standard: hvert hus' nyeste."
    ),
    "national_exports_list": "De eksporter, den nationale installation har modtaget, pr. hus, med hoved og hash.",
    "national_exports_upload": (
        "Den nationale installation: modtag et erhvervshus' eksport (filen fra `ehsj audit export`, JSON "
        "Lines), med husets uploadnøgle (`ehsj national token-create`), ikke en brugers API-nøgle. Kontrolleres "
        "som `verify-file` og gemmes skrivebeskyttet: 201 modtaget, 200 allerede modtaget (en gentagelse "
        "ændrer intet), 403 nøglen tilhører et andet hus, 422 afvist med årsagen; intet gemmes ved en afvisning."
    ),
}
