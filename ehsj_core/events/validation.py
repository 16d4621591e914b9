"""Turning untrusted input into validated new events, with problems users can act on.

Every problem names the field, the value given, what is wrong (in Danish: users read these next to a
form field) and, where the choice is closed, what is allowed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError

from ehsj_core.contract.loader import ContractBook
from ehsj_core.events.schemas import EVENT_TYPES, YEAR_IN_DATA, validate_data

EARLIEST_DATE = date(2000, 1, 1)
ENVELOPE_FIELDS = ("event_id", "type", "occurred_on", "data")


@dataclass(frozen=True)
class Problem:
    field: str
    value: Any
    problem: str
    allowed: list[str] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "value": self.value, "problem": self.problem, "allowed": self.allowed}


@dataclass
class InvalidInput(Exception):
    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(f"{p.field}: {p.problem} ({p.value!r})" for p in self.problems)


class UnknownReference(InvalidInput):
    """Invalid input that names what does not exist (a log position after the head, a recipient's id):
    every entry point refuses it as invalid input, the API with a 404."""


@dataclass(frozen=True)
class NewEvent:
    """A validated event, ready to append."""

    event_id: str
    type: str
    occurred_on: date
    house: str
    data: dict[str, Any]


# Danish texts for Pydantic's own error types; custom validators already speak Danish.
_MESSAGES: dict[str, str] = {
    "missing": "feltet mangler",
    "extra_forbidden": "ukendt felt",
    "literal_error": "ugyldig værdi",
    "int_type": "skal være et heltal",
    "int_parsing": "skal være et heltal",
    "int_from_float": "skal være et heltal",
    "float_type": "skal være et tal",
    "float_parsing": "skal være et tal",
    "finite_number": "skal være et endeligt tal",
    "string_type": "skal være tekst",
    "string_too_short": "må ikke være tom",
    "string_too_long": "er for lang (højst {max_length} tegn)",
    "string_pattern_mismatch": "har et ugyldigt format",
    "greater_than_equal": "skal være mindst {ge}",
    "less_than_equal": "må højst være {le}",
    "too_short": "skal have præcis {min_length} svar",
    "too_long": "skal have præcis {max_length} svar",
    "tuple_type": "skal være en liste",
    "list_type": "skal være en liste",
    "model_type": "skal være et objekt",
    "dict_type": "skal være et objekt",
    "bool_type": "skal være sand eller falsk",
    "json_invalid": "ugyldig JSON",
    "date_parsing": "skal være en dato (ÅÅÅÅ-MM-DD)",
    "date_from_datetime_parsing": "skal være en dato (ÅÅÅÅ-MM-DD)",
    "date_type": "skal være en dato (ÅÅÅÅ-MM-DD)",
}


def _translate(err: Any) -> tuple[str, list[str] | None]:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    allowed = ctx.get("allowed")
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        allowed = [part.strip().strip("'") for part in expected.replace(" or ", ",").split(",") if part.strip()]
    template = _MESSAGES.get(kind)
    if template is None:
        return err["msg"], allowed
    try:
        return template.format(**ctx), allowed
    except (KeyError, IndexError):
        return template, allowed


def problem_from_error(err: Any, field_name: str, known_fields: list[str] | None = None) -> Problem:
    """One Pydantic error (a dict of `ValidationError.errors()`) as a Danish problem."""
    text, allowed = _translate(err)
    if err["type"] == "extra_forbidden" and known_fields is not None:
        allowed = known_fields
    value = err.get("input") if err["type"] != "missing" else None
    return Problem(field_name, _jsonable(value), text, allowed)


def problems_from_validation_error(exc: ValidationError, prefix: str, model_fields: list[str]) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        field_name = ".".join([prefix, *loc]) if loc else prefix
        problems.append(problem_from_error(err, field_name, model_fields))
    return problems


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def parse_occurred_on(value: Any, today: date) -> tuple[date | None, str | None]:
    if not isinstance(value, str):
        return None, "skal være en dato (ÅÅÅÅ-MM-DD)"
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        return None, "skal være en dato (ÅÅÅÅ-MM-DD)"
    if len(value) != 10:
        return None, "skal være en dato (ÅÅÅÅ-MM-DD)"
    if parsed > today:
        return None, f"må ikke ligge efter i dag ({today.isoformat()})"
    if parsed < EARLIEST_DATE:
        return None, f"må ikke ligge før {EARLIEST_DATE.isoformat()}"
    return parsed, None


def parse_event(raw: Any, book: ContractBook, house: str, today: date, prefix: str = "") -> NewEvent:
    """Validate one event envelope and its data; raises `InvalidInput` with every problem found."""
    p = (prefix + ".") if prefix else ""
    if not isinstance(raw, dict):
        raise InvalidInput([Problem(prefix or "(body)", _jsonable(raw), "skal være et objekt")])
    problems: list[Problem] = []
    for key in raw:
        if key not in ENVELOPE_FIELDS:
            problems.append(Problem(f"{p}{key}", _jsonable(raw[key]), "ukendt felt", list(ENVELOPE_FIELDS)))

    event_id = raw.get("event_id")
    if event_id is None:
        event_id = str(uuid.uuid4())
    else:
        try:
            event_id = str(uuid.UUID(str(event_id))) if isinstance(event_id, str) else None
        except ValueError:
            event_id = None
        if event_id is None:
            problems.append(Problem(f"{p}event_id", _jsonable(raw.get("event_id")), "skal være et UUID"))

    event_type = raw.get("type")
    if not isinstance(event_type, str) or event_type not in EVENT_TYPES:  # a list or an object is no key
        problem = "feltet mangler" if event_type is None else "ukendt hændelsestype"
        problems.append(Problem(f"{p}type", _jsonable(event_type), problem, sorted(EVENT_TYPES)))

    occurred_on, date_problem = parse_occurred_on(raw.get("occurred_on"), today)
    if date_problem:
        problems.append(Problem(f"{p}occurred_on", _jsonable(raw.get("occurred_on")), date_problem))

    data = raw.get("data")
    if not isinstance(data, dict):
        problems.append(Problem(f"{p}data", _jsonable(data), "skal være et objekt"))

    if problems or occurred_on is None or not isinstance(data, dict) or not isinstance(event_type, str):
        raise InvalidInput(problems)

    year = occurred_on.year
    if event_type in YEAR_IN_DATA:  # counts in the contract year it names: checked against that one
        named = data.get("year")
        if isinstance(named, int) and not isinstance(named, bool) and book.get(house, named) is None:
            loaded = ", ".join(map(str, book.years(house))) or "ingen"
            problem = f"der er ingen kontrakt for {named}; indlæste år: {loaded}"
            raise InvalidInput([Problem(f"{p}data.year", named, problem)])
        if isinstance(named, int) and named > occurred_on.year:
            problem = f"kan ikke indberettes før året: datoen ({occurred_on.isoformat()}) ligger før {named}"
            raise InvalidInput([Problem(f"{p}data.year", named, problem)])
        year = named if isinstance(named, int) and not isinstance(named, bool) else year
    contract = book.for_validation(house, year)
    if contract is None:
        raise InvalidInput(
            [Problem(f"{p}occurred_on", raw.get("occurred_on"), "der er ingen kontrakt indlæst for huset")]
        )
    try:
        normalised = validate_data(event_type, data, contract)
    except ValidationError as exc:
        fields = list(EVENT_TYPES[event_type].model_fields)
        raise InvalidInput(problems_from_validation_error(exc, f"{p}data", fields)) from None
    return NewEvent(str(event_id), event_type, occurred_on, house, normalised)


def parse_events(raws: list[Any], book: ContractBook, house: str, today: date) -> list[NewEvent]:
    """Validate a batch; every bad item is reported, by index, before anything is stored."""
    events: list[NewEvent] = []
    problems: list[Problem] = []
    for index, raw in enumerate(raws):
        try:
            events.append(parse_event(raw, book, house, today, prefix=f"events[{index}]"))
        except InvalidInput as exc:
            problems.extend(exc.problems)
    if problems:
        raise InvalidInput(problems)
    return events
