"""Every Danish word and number format of the reports, in one place.

Numbers follow Danish convention: "." groups thousands, "," marks decimals (1.234; 12,5 %), and a
date reads "27. november 2026". Status words come from the projection (`STATUS_LABELS`), so the
dashboard and the e-mails say the same thing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from ehsj_core.projections.status import STATUS_LABELS

MONTHS = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)
PERIOD_KINDS = {"quarter": "kvartal", "half_year": "halvår", "year": "år"}

# Colour and word together: the word carries the meaning, the colour helps the eye.
# (background, text) pairs with enough contrast on a phone screen.
STATUS_COLOURS: dict[str, tuple[str, str]] = {
    "met": ("#d3f0dc", "#14532d"),
    "met_late": ("#e6f0c8", "#3f5212"),
    "on_track": ("#dbeafe", "#1e3a8a"),
    "behind": ("#fde2c8", "#7c2d12"),
    "missed": ("#fbd5d5", "#7f1d1d"),
    "not_started": ("#e5e7eb", "#374151"),
    "awaiting": ("#ede9fe", "#4c1d95"),
}
# The bar colour of a status in the charts.
STATUS_BAR_COLOURS: dict[str, str] = {
    "met": "#2f855a",
    "met_late": "#7a9a22",
    "on_track": "#2b6cb0",
    "behind": "#dd6b20",
    "missed": "#c53030",
    "not_started": "#a0aec0",
    "awaiting": "#7c3aed",
}

# The titles and audiences of the report kinds live in their registry (kinds.py); REPORT_TITLES and
# DISPATCH_KINDS are read from it on first use (below), as the ledger's Danish names; the audiences
# name the house's KKR (`audiences(kkr, municipalities)`).

# The kinds of `agreement.signed`, as the reports name them (the web form's words).
AGREEMENT_KINDS = {
    "state_scheme": "Statslig ordning i huset",
    "copenhagen_capacity": "Copenhagen Capacity",
    "early_warning": "Early Warning",
    "export_council": "Danmarks Eksportråd",
    "municipality": "Kommune",
    "other": "Anden lokal aktør",
}


def report_titles() -> dict[str, str]:
    from ehsj_core.reports.kinds import KINDS  # kinds → data → periods → labels: import on use

    return {name: k.label for name, k in KINDS.items()}


def audiences(kkr: str, municipalities: int) -> dict[str, str]:
    """Who each kind is sent to, in the house's words (the house file's KKR, the contract's count)."""
    from ehsj_core.reports.kinds import KINDS

    return {name: k.audience_for(kkr, municipalities) for name, k in KINDS.items()}


def dispatch_kinds() -> dict[str, str]:
    return report_titles()


def dispatch_period(period: str) -> str:
    """A ledger period as a reader says it: "2019-k3j5h2m4x9q" (a request) → "2019, på anmodning";
    "2019-2" (the final statement of a second close) → "2019, 2. lukning"; others as they are."""
    from ehsj_core.reports.periods import is_request_period  # periods → labels: import on use

    year, _, rest = period.partition("-")
    if is_request_period(period):
        return f"{year}, på anmodning"
    if rest.isdigit():
        return f"{year}, {rest}. lukning"
    return period


def __getattr__(name: str) -> dict[str, str]:
    """REPORT_TITLES, DISPATCH_KINDS: the registry's names, as before (PEP 562)."""
    made = {"REPORT_TITLES": report_titles, "DISPATCH_KINDS": dispatch_kinds}.get(name)
    if made is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return made()


TEXT = {
    "goal": "Mål",
    "target": "Delmål",
    "result": "Resultat",
    "target_value": "Måltal",
    "pace": "Forventet nu",
    "status": "Status",
    "fulfilment": "Opfyldelse",
    "deadline": "Frist",
    "reached": "Nået",
    "municipality": "Kommune",
    "population": "Indbyggere",
    "population_share": "Befolkningsandel",
    "specialised": "Specialiserede forløb",
    "specialised_share": "Andel af specialiserede forløb",
    "deviation": "Afvigelse (procentpoint)",
    "events": "Arrangementer",
    "newsletters": "Nyhedsbreve",
    "council": "Datoer tilbudt til byrådsoplæg",
    "yes": "ja",
    "no": "nej",
    "not_reached": "ikke nået",
    "no_data": "ingen data",
    "agreements": "Individuelle aftaler med lokale erhvervsfremmeaktører",
    "partner": "Aftalepart",
    "agreement_kind": "Aftaletype",
    "signed_on": "Indgået",
    "no_agreements": "Der er ikke registreret nogen aftaler",
    "on_request": "på anmodning fra",  # … the house's KKR (render.py: `on_request_text`)
}


def _grouped(digits: str) -> str:
    groups = []
    while len(digits) > 3:
        digits, tail = digits[:-3], digits[-3:]
        groups.append(tail)
    groups.append(digits)
    return ".".join(reversed(groups))


def number(value: float | int | None, decimals: int | None = None) -> str:
    """1234 → "1.234"; 12.5 → "12,5"; `decimals` fixes the places (half up), else as given."""
    if value is None:
        return "–"
    exact = Decimal(str(value))
    if decimals is not None:
        exact = exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    elif exact == exact.to_integral_value():
        exact = exact.quantize(Decimal(1))
    sign = "-" if exact < 0 else ""
    whole, _, fraction = f"{abs(exact):f}".partition(".")
    return sign + _grouped(whole) + ("," + fraction if fraction else "")


def percent(value: float | int | None, decimals: int | None = None) -> str:
    """87.2 → "87,2 %" (the value is already in percent)."""
    return "–" if value is None else f"{number(value, decimals)} %"


def points(value: float | int | None, signed: bool = True) -> str:
    """A deviation in percentage points: 1.71 → "+1,71"; -0.2 → "-0,20"."""
    if value is None:
        return "–"
    text = number(value, 2)
    return f"+{text}" if signed and value > 0 else text


def long_date(day: date | str | None) -> str:
    """date(2026, 11, 27) → "27. november 2026"; ISO text is accepted too."""
    if day is None:
        return "–"
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return f"{day.day}. {MONTHS[day.month - 1]} {day.year}"


def status_word(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def yes_no(value: bool) -> str:
    return TEXT["yes"] if value else TEXT["no"]


def days_left(days: int) -> str:
    """Days until a deadline, in words: "om 16 dage", "i dag", "overskredet med 15 dage"."""
    if days == 0:
        return "fristen er i dag"
    if days > 0:
        return f"om {days} dag" + ("e" if days != 1 else "")
    return f"overskredet med {-days} dag" + ("e" if days != -1 else "")


def actual_text(kind: str, actual: float | int | None, reached_on: str | None = None) -> str:
    """A target's figure as the reader says it: "246", "87,2 %", "NPS 55", "nået 14. marts 2019"."""
    if kind == "milestone":
        return f"nået {long_date(reached_on)}" if reached_on else ("nået" if actual else TEXT["not_reached"])
    if actual is None:
        return TEXT["no_data"]
    if kind == "rate":
        return percent(actual)
    if kind == "score":
        return f"NPS {number(actual)}"
    if kind == "max_deviation":
        return f"{number(actual, 2)} procentpoint"
    if kind == "growth_vs_control":
        return f"{number(actual, 1)} over kontrolgruppen"
    return number(actual)


def wanted_text(
    kind: str,
    target: float | int | None,
    target_min: float | int | None = None,
    target_max: float | int | None = None,
    deadline: str | None = None,
) -> str:
    """What the contract asks: "300", "1–3", "mindst 80 %", "højst 2 procentpoint", "frist …"."""
    if kind == "milestone":
        return f"frist {long_date(deadline)}" if deadline else "i løbet af året"
    if kind == "range":
        return f"{number(target_min)}–{number(target_max)}"
    if kind == "rate":
        return f"mindst {percent(target)}"
    if kind == "score":
        return f"mindst {number(target)}"
    if kind == "max_deviation":
        return f"højst {number(target)} procentpoint"
    if kind == "growth_vs_control":
        return f"mindst {number(target)} over kontrolgruppen"
    return number(target)


# The Jinja2 filters every Danish template shares (the e-mails and the web pages).
FILTERS: dict[str, Callable[..., str]] = {
    "n": number,
    "pct": percent,
    "pp": points,
    "date": long_date,
    "word": status_word,
    "dispatch_period": dispatch_period,
}
