"""The "log a milestone" forms: one per event type, choices drawn from the contract.

A form only collects text; `raw_event` turns it into the same envelope the API takes, and the core
(`Tracker.append`) validates it, so the web and the API can never disagree on what is valid.
`field_of` puts each problem the core reports next to the form field it belongs to.

The event form ("arrangement") also takes its participants, rows of a company and a municipality;
each filled-in row becomes a short course in the same batch as the event
(`ehsj_core.events.participants`), and `place_of` puts a problem of the batch's `events[i]` at row i.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from ehsj_core.contract.model import SPECIALISED_COURSE_TYPES, Contract
from ehsj_core.events.participants import Participant
from services.api.web.vocabulary import (
    CHOICES,
    EVENT_TITLES,
    FIELD_LABELS,
    course_names,
    measured_target_titles,
    milestone_titles,
)

Kind = Literal["date", "text", "cvr", "number", "decimal", "select", "checkboxes", "answers", "textarea"]
EFFECT_QUESTIONS = 7


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: Kind
    required: bool
    choices: tuple[tuple[str, str], ...] = ()  # (value, Danish label)
    hint: str | None = None
    empty_label: str | None = None  # a select's empty option, when not "Vælg …" / "(ingen)"


@dataclass(frozen=True)
class EventForm:
    slug: str  # the form's URL: /registrer/<slug>
    type: str
    title: str
    fields: tuple[FormField, ...]
    data_field: str | None  # where a problem with the data as a whole is shown (e.g. "CVR required")
    permission: str = "append"  # who may open it, besides the rule book's own check on the POST
    choice_field: str | None = None  # where a problem with the data as a whole naming its choices goes
    participants: bool = False  # takes rows of participants, logged as short courses with it


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
    "officielt-tal": "official_figure.reported",
    "effektmaaling": "effect_measurement.reported",
}
INTEGER_FIELDS = frozenset(
    {
        "participants",
        "recipients",
        "nps",
        "satisfaction",
        "consultant_competence",
        "year",
        "companies",
        "control_companies",
    }
)
# Numbers that may have decimals, typed the Danish way ("12,5") or the other ("12.5").
DECIMAL_FIELDS = frozenset({"value", "customers_growth_pct", "control_growth_pct"})
OFFICIAL_PERMISSION = "report_official"


def _f(
    name: str, kind: Kind, required: bool, choices: dict[str, str] | None = None, hint: str | None = None
) -> FormField:
    return FormField(name, FIELD_LABELS[name], kind, required, tuple((choices or {}).items()), hint)


def _official_fields(contract: Contract) -> list[tuple[str, tuple[FormField, ...], str | None]]:
    """Erhvervsstyrelsen's figures: the director records them as they are published."""
    year = _f("year", "number", True, hint="Det kontraktår tallet gælder; tallet tæller i det år.")
    source = _f("source", "text", True, hint="Fx Erhvervsstyrelsens brugerevaluering eller effektmåling.")
    published = _f("published_on", "date", True)
    decimal = "Decimaler med komma, fx 12,5."
    return [
        (
            "officielt-tal",
            (
                _f("occurred_on", "date", True, hint="Den dag tallet blev registreret; året står i Kontraktår."),
                _f("target", "select", True, measured_target_titles(contract)),
                year,
                _f(
                    "value",
                    "decimal",
                    True,
                    hint=f"Tallet som Erhvervsstyrelsen opgør det: en andel i procent, en NPS, et antal. {decimal}",
                ),
                source,
                published,
                _f("note", "textarea", False),
            ),
            "value",
        ),
        (
            "effektmaaling",
            (
                _f("occurred_on", "date", True, hint="Den dag målingen blev registreret; året står i Kontraktår."),
                _f("measure", "select", True, CHOICES["measure"]),
                year,
                _f("customers_growth_pct", "decimal", True, hint=f"Vækstvirksomhedernes vækst i procent. {decimal}"),
                _f("control_growth_pct", "decimal", True, hint=f"Kontrolgruppens vækst i procent. {decimal}"),
                _f("companies", "number", True),
                _f("control_companies", "number", True),
                source,
                published,
            ),
            None,
        ),
    ]


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
                _f(
                    "channel_kind",
                    "select",
                    True,
                    CHOICES["channel_kind"],
                    hint="Kun nyhedsbreve gennem et lokalt erhvervsråd tæller med i mål 5B.",
                ),
                _f("channel", "text", True, hint="Nyhedsbrevets navn, fx Erhvervsrådets nyhedsbrev i Lolland."),
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
    official = _official_fields(contract)
    official_slugs = {slug for slug, _fields, _data_field in official}
    return {
        slug: EventForm(
            slug,
            SLUGS[slug],
            EVENT_TITLES[SLUGS[slug]],
            fields,
            data_field,
            permission=OFFICIAL_PERMISSION if slug in official_slugs else "append",
            choice_field="target" if slug == "officielt-tal" else None,
            participants=slug == "arrangement",
        )
        for slug, fields, data_field in [*forms, *official]
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
            if f.name in INTEGER_FIELDS and _is_int(text):
                data[f.name] = int(text)
            elif f.name in DECIMAL_FIELDS:
                number = decimal_of(text)
                data[f.name] = text if number is None else number
            else:
                data[f.name] = text
    return {
        "event_id": event_id,
        "type": form.type,
        "occurred_on": str(values.get("occurred_on") or "").strip(),
        "data": data,
    }


def _is_int(text: str) -> bool:
    return text.isascii() and text.lstrip("-").isdigit() and len(text) < 12


_DECIMAL = re.compile(r"[+-]?[0-9]{1,15}(\.[0-9]{1,15})?")


def decimal_of(text: str) -> float | None:
    """A number as people type it: "12,5", "-3,25", "1.234,5", "12.5", "12,5 %" → a float; None for
    anything else (passed on as typed, for the core to refuse). With a comma the comma is the decimal
    mark and dots group thousands; without one a dot is the decimal mark."""
    cleaned = text.strip().replace("\u2212", "-").replace("\xa0", "").replace(" ", "").removesuffix("%")
    if "," in cleaned:
        if cleaned.rfind(".") > cleaned.rfind(","):  # "1,234.5": thousands the English way, ambiguous
            return None
        cleaned = cleaned.replace(".", "").replace(",", ".", 1)
    return float(cleaned) if _DECIMAL.fullmatch(cleaned) else None


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


def field_of(form: EventForm, problem_field: str, names_choices: bool = False) -> str | None:
    """The form field a core problem belongs to ("data.company_cvr" → "company_cvr"); None when it
    concerns the form as a whole. A problem of the data as a whole goes to `data_field`, or to
    `choice_field` when it names the allowed values (`names_choices`: an unknown official target)."""
    if problem_field == "occurred_on":
        return "occurred_on"
    if problem_field == "data":
        return form.choice_field if names_choices and form.choice_field else form.data_field
    if problem_field.startswith("data."):
        name = problem_field.split(".")[1]
        return name if any(f.name == name for f in form.fields) else None
    return None


# --- the participants of an event ----------------------------------------------------------------------
PARTICIPANT_ROWS = 5  # the empty rows offered, and how many "Flere rækker" adds without JavaScript
MAX_PARTICIPANT_ROWS = 500
ROWS_FIELD = "participant_rows"  # the hidden field with the number of rows shown
MORE_ROWS = "more_rows"  # the value of the "Flere rækker" button (name "action")
PARTICIPANT_CONSULTANT = "participant_consultant"
PARTICIPANT_FIELDS = ("company_cvr", "company_name", "municipality")
_BATCH_FIELD = re.compile(r"^events\[([0-9]+)\]\.(.+)$")


@dataclass(frozen=True)
class ParticipantRow:
    """Row `number` (from 1) of the participants: its fields are named `participant_<n>_<field>`."""

    number: int
    fields: tuple[FormField, ...]

    @property
    def prefix(self) -> str:
        return row_prefix(self.number)

    @property
    def legend(self) -> str:
        return f"Deltager {self.number}"


def row_prefix(number: int) -> str:
    return f"participant_{number}_"


def consultant_field() -> FormField:
    return FormField(
        PARTICIPANT_CONSULTANT,
        FIELD_LABELS[PARTICIPANT_CONSULTANT],
        "text",
        False,
        hint="Står som konsulent på hvert kort forløb. Tom: dit navn.",
    )


def participant_rows(contract: Contract, count: int) -> list[ParticipantRow]:
    """`count` rows of participants with the contract's municipalities (empty: the event's)."""
    towns = tuple((m.name, m.name) for m in contract.municipalities)
    rows = []
    for n in range(1, count + 1):
        p = row_prefix(n)
        rows.append(
            ParticipantRow(
                n,
                (
                    FormField(p + "company_cvr", FIELD_LABELS["company_cvr"], "cvr", False),
                    FormField(p + "company_name", FIELD_LABELS["company_name"], "text", False),
                    FormField(
                        p + "municipality",
                        FIELD_LABELS["municipality"],
                        "select",
                        False,
                        towns,
                        empty_label="Som arrangementet",
                    ),
                ),
            )
        )
    return rows


def row_count(multi: Any) -> int:
    """How many rows of participants the posted form showed (at least the usual, at most the maximum)."""
    text = str(multi.get(ROWS_FIELD) or "")
    shown = int(text) if text.isascii() and text.isdigit() and len(text) < 6 else PARTICIPANT_ROWS
    return max(PARTICIPANT_ROWS, min(shown, MAX_PARTICIPANT_ROWS))


def read_participant_values(multi: Any, count: int) -> dict[str, str]:
    """The rows' values and the participants' consultant as posted, keyed by their field names."""
    names = [row_prefix(n) + f for n in range(1, count + 1) for f in PARTICIPANT_FIELDS]
    values = {}
    for name in [*names, PARTICIPANT_CONSULTANT]:
        value = multi.get(name)
        values[name] = value.strip() if isinstance(value, str) else ""
    return values


def empty_rows(count: int) -> dict[str, str]:
    return {row_prefix(n) + f: "" for n in range(1, count + 1) for f in PARTICIPANT_FIELDS}


def participants_of(values: dict[str, Any], count: int) -> list[tuple[int, Participant]]:
    """The filled-in rows, as (row number, participant). A row counts when any of its fields is
    filled in: a municipality alone is a participant whose company is not named."""
    found = []
    for n in range(1, count + 1):
        cvr, name, town = (str(values.get(row_prefix(n) + f) or "").strip() for f in PARTICIPANT_FIELDS)
        if cvr or name or town:
            found.append(
                (n, Participant(municipality=town or None, company_cvr=cvr or None, company_name=name or None))
            )
    return found


def place_of(form: EventForm, problem_field: str, rows: list[int], names_choices: bool = False) -> str | None:
    """Where a problem of the batch of an event and its participants is shown: `events[0]` is the
    event itself (`field_of`), `events[i]` the participant of `rows[i - 1]` — at the row's field, or at
    the row as a whole (`participant_<n>_`); the consultant and the date at their own fields. A
    problem without an index (a batch of one) is the event's. None: the form as a whole."""
    found = _BATCH_FIELD.match(problem_field)
    if found is None:
        return field_of(form, problem_field, names_choices)
    index, rest = int(found.group(1)), found.group(2)
    if index == 0:
        return field_of(form, rest, names_choices)
    if index > len(rows):
        return None
    if rest == "occurred_on":
        return "occurred_on"  # the event's date: shown once, at the event's field
    prefix = row_prefix(rows[index - 1])
    name = rest.split(".")[1] if rest.startswith("data.") else ""
    if name == "consultant":
        return PARTICIPANT_CONSULTANT
    return prefix + name if name in PARTICIPANT_FIELDS else prefix


def shown_field(problem_field: str) -> str:
    """A problem's field as the form's summary names it: the event's own without "events[0]."."""
    return problem_field.removeprefix("events[0].")
