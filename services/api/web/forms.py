"""The "log a milestone" forms: one per event type, choices drawn from the contract.

A form only collects text; `raw_event` turns it into the same envelope the API takes, and the core
(`Tracker.append`) validates it, so the web and the API can never disagree on what is valid.
`field_of` puts each problem the core reports next to the form field it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ehsj_core.contract.model import SPECIALISED_COURSE_TYPES, Contract
from services.api.web.vocabulary import (
    CHOICES,
    EVENT_TITLES,
    FIELD_LABELS,
    course_names,
    milestone_titles,
)

Kind = Literal["date", "text", "cvr", "number", "select", "checkboxes", "answers", "textarea"]
EFFECT_QUESTIONS = 7


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: Kind
    required: bool
    choices: tuple[tuple[str, str], ...] = ()  # (value, Danish label)
    hint: str | None = None


@dataclass(frozen=True)
class EventForm:
    slug: str  # the form's URL: /registrer/<slug>
    type: str
    title: str
    fields: tuple[FormField, ...]
    data_field: str | None  # where a problem with the data as a whole is shown (e.g. "CVR required")


SLUGS: dict[str, str] = {
    "forloeb": "course.completed",
    "henvisning": "company.referred",
    "moede": "meeting.held",
    "nyhedsbrev": "newsletter.sent",
    "arrangement": "event.held",
    "evaluering": "evaluation.received",
    "aftale": "agreement.signed",
    "medarbejder": "staff.designated",
    "milepael": "milestone.reached",
}
INTEGER_FIELDS = frozenset({"participants", "recipients", "nps", "satisfaction", "consultant_competence"})


def _f(
    name: str, kind: Kind, required: bool, choices: dict[str, str] | None = None, hint: str | None = None
) -> FormField:
    return FormField(name, FIELD_LABELS[name], kind, required, tuple((choices or {}).items()), hint)


def event_forms(contract: Contract) -> dict[str, EventForm]:
    """Every form, by slug, with the contract's municipalities, course types and milestones."""
    towns = {m.name: m.name for m in contract.municipalities}
    courses = course_names(contract)
    specialised = {k: courses[k] for k in SPECIALISED_COURSE_TYPES if k in courses}
    scale = {str(n): str(n) for n in range(1, 6)}
    date_ = _f("occurred_on", "date", True, hint="Den dag det skete; den bestemmer året og kvartalet.")
    cvr = _f("company_cvr", "cvr", True, hint="8 cifre. Kendes virksomheden, udfyldes kommunen af sig selv.")
    forms = [
        (
            "forloeb",
            (
                date_,
                _f("course_type", "select", True, courses),
                _f(
                    "company_cvr",
                    "cvr",
                    False,
                    hint="8 cifre; skal udfyldes undtagen for korte forløb. "
                    "Kendes virksomheden, udfyldes kommunen af sig selv.",
                ),
                _f("company_name", "text", False),
                _f("municipality", "select", True, towns),
                _f("consultant", "text", True),
                _f("topics", "checkboxes", False, CHOICES["topics"]),
                _f("segment", "select", False, CHOICES["segment"]),
            ),
            "company_cvr",
        ),
        (
            "henvisning",
            (
                date_,
                cvr,
                _f("from_course", "select", True, specialised),
                _f("referred_to", "text", True),
                _f("referral_kind", "select", True, CHOICES["referral_kind"]),
                _f("municipality", "select", False, towns),
            ),
            None,
        ),
        (
            "moede",
            (
                date_,
                _f("meeting_kind", "select", True, CHOICES["meeting_kind"]),
                _f("title", "text", False),
                _f(
                    "municipality",
                    "select",
                    False,
                    towns,
                    hint="Skal udfyldes, når der er tilbudt datoer til et oplæg.",
                ),
                _f("participants", "number", False),
            ),
            "municipality",
        ),
        (
            "nyhedsbrev",
            (
                date_,
                _f("channel", "text", True, hint="Fx det lokale erhvervsråds nyhedsbrev."),
                _f("municipality", "select", False, towns),
                _f("recipients", "number", False),
            ),
            None,
        ),
        (
            "arrangement",
            (
                date_,
                _f("event_kind", "select", True, CHOICES["event_kind"]),
                _f("title", "text", True),
                _f("municipality", "select", True, towns),
                _f("participants", "number", True),
            ),
            None,
        ),
        (
            "evaluering",
            (
                date_,
                _f("course_type", "select", True, specialised),
                cvr,
                _f("nps", "select", True, {str(n): str(n) for n in range(11)}),
                _f("satisfaction", "select", True, scale),
                _f("consultant_competence", "select", True, scale),
                _f(
                    "effect",
                    "answers",
                    True,
                    CHOICES["effect"],
                    hint="Svaret på hvert af de 7 spørgsmål om oplevet effekt.",
                ),
            ),
            None,
        ),
        (
            "aftale",
            (
                date_,
                _f("partner", "text", True),
                _f("agreement_kind", "select", True, CHOICES["agreement_kind"]),
                _f("municipality", "select", False, towns, hint="Skal udfyldes for en aftale med en kommune."),
            ),
            "municipality",
        ),
        ("medarbejder", (date_, _f("consultant", "text", True), _f("role", "select", True, CHOICES["role"])), None),
        (
            "milepael",
            (
                date_,
                _f("milestone", "select", True, milestone_titles(contract)),
                _f("evidence", "textarea", False),
            ),
            None,
        ),
    ]
    return {
        slug: EventForm(slug, SLUGS[slug], EVENT_TITLES[SLUGS[slug]], fields, data_field)
        for slug, fields, data_field in forms
    }


def raw_event(form: EventForm, values: dict[str, Any], event_id: str) -> dict[str, Any]:
    """The API envelope of a filled-in form: empty optional fields left out, whole numbers as numbers
    (anything else is passed on as typed, for the core to refuse with its own words)."""
    data: dict[str, Any] = {}
    for f in form.fields[1:]:
        value = values.get(f.name)
        if f.kind == "checkboxes":
            if value:
                data[f.name] = list(value)
        elif f.kind == "answers":
            answers = list(value or [])
            if any(answers):
                data[f.name] = answers
        elif isinstance(value, str) and value.strip():
            text = value.strip()
            data[f.name] = int(text) if f.name in INTEGER_FIELDS and _is_int(text) else text
    return {
        "event_id": event_id,
        "type": form.type,
        "occurred_on": str(values.get("occurred_on") or "").strip(),
        "data": data,
    }


def _is_int(text: str) -> bool:
    return text.isascii() and text.lstrip("-").isdigit() and len(text) < 12


def read_values(form: EventForm, multi: Any) -> dict[str, Any]:
    """The submitted values of a form (`multi` is Starlette's FormData), keyed by field name."""
    values: dict[str, Any] = {}
    for f in form.fields:
        if f.kind == "checkboxes":
            values[f.name] = [v for v in multi.getlist(f.name) if isinstance(v, str)]
        elif f.kind == "answers":
            values[f.name] = [str(multi.get(f"{f.name}_{i}") or "") for i in range(1, EFFECT_QUESTIONS + 1)]
        else:
            value = multi.get(f.name)
            values[f.name] = value if isinstance(value, str) else ""
    return values


def field_of(form: EventForm, problem_field: str) -> str | None:
    """The form field a core problem belongs to ("data.company_cvr" → "company_cvr"); None when it
    concerns the form as a whole."""
    if problem_field == "occurred_on":
        return "occurred_on"
    if problem_field == "data":
        return form.data_field
    if problem_field.startswith("data."):
        name = problem_field.split(".")[1]
        return name if any(f.name == name for f in form.fields) else None
    return None
