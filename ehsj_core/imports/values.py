"""Parsing the values of an export the Danish way. Each parser returns (value, problem): exactly one
of them is None. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from ehsj_core.contract.model import Contract
from ehsj_core.imports.readers import Cell

EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01 (Excel counts a 29 February 1900 that never was)
SERIALS = (36526, 73050)  # 2000-01-01 … 2099-12-31: a number outside is not meant as a date
_DMY = re.compile(r"^(\d{1,2})[-./](\d{1,2})[-./](\d{4})(?:[ T]\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)?$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
DATE_PROBLEM = "ugyldig dato: skriv dd-mm-åååå eller åååå-mm-dd (eller en Excel-dato)"

TOPIC_NAMES = {
    "digital forretningsmodel": "digital_business_model",
    "eksport": "export",
    "generationsskifte": "generational_change",
    "ejerskifte": "generational_change",
    "finansiering": "financing",
    "strategi": "strategy",
    "innovation": "innovation",
    "andet": "other",
}
EFFECT_WORDS = {
    "i høj grad": "hoj",
    "i nogen grad": "nogen",
    "i lav grad": "lav",
    "slet ikke": "slet_ikke",
    "ved ikke": "ved_ikke",
}


def text(cell: Cell) -> str:
    """A cell as the text a person sees (numbers without a trailing .0, dates as dd-mm-yyyy)."""
    if type(cell) is str:  # the common case first: every cell of a CSV file
        return cell.strip()
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.strftime("%d-%m-%Y")
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def parse_date(cell: Cell) -> tuple[date | None, str | None]:
    if isinstance(cell, datetime):
        return cell.date(), None
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return _serial(float(cell))
    value = text(cell)
    if not value:
        return None, "feltet er tomt"
    match = _DMY.match(value)
    try:
        if match:
            return date(int(match.group(3)), int(match.group(2)), int(match.group(1))), None
        match = _YMD.match(value)
        if match:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3))), None
    except ValueError:
        return None, "datoen findes ikke"
    number = value.replace(",", ".")
    if re.fullmatch(r"\d+(\.\d+)?", number):
        return _serial(float(number))
    return None, DATE_PROBLEM


def _serial(serial: float) -> tuple[date | None, str | None]:
    if not SERIALS[0] <= serial <= SERIALS[1]:
        return None, DATE_PROBLEM
    return EXCEL_EPOCH + timedelta(days=int(serial)), None


def parse_int(cell: Cell, low: int, high: int) -> tuple[int | None, str | None]:
    """A whole number in [low, high]; "4", "4,0" and 4.0 are all 4 (decimal comma)."""
    if isinstance(cell, bool):
        return None, "skal være et heltal"
    value = text(cell)
    if not value:
        return None, "feltet er tomt"
    try:
        number = Decimal(value.replace(" ", "").replace(",", "."))
    except InvalidOperation:
        return None, f"skal være et heltal fra {low} til {high}"
    if number != number.to_integral_value():
        return None, f"skal være et heltal fra {low} til {high}"
    if not low <= int(number) <= high:
        return None, f"skal ligge fra {low} til {high}"
    return int(number), None


def parse_cvr(cell: Cell) -> str:
    """The CVR as 8 digits when it looks like one ("DK 12 34 56 78" → "12345678"); validation of
    the number itself is `parse_event`'s."""
    value = text(cell).upper().removeprefix("DK").replace(" ", "").replace("-", "")
    return value


@dataclass(frozen=True)
class CourseTypes:
    """A contract's course types as an import looks them up: Danish name or key, any case."""

    lookup: dict[str, str]  # folded name or key → key
    evaluated: frozenset[str]  # the keys of the evaluated (specialised) types
    names: tuple[tuple[str, str], ...]  # key, Danish name

    @classmethod
    def of(cls, contract: Contract) -> CourseTypes:
        lookup: dict[str, str] = {}
        for ct in contract.course_types:
            for name in (ct.name, ct.key, ct.key.replace("_", " ")):
                lookup[name.casefold()] = ct.key
        evaluated = frozenset(ct.key for ct in contract.course_types if ct.evaluated)
        return cls(lookup, evaluated, tuple((ct.key, ct.name) for ct in contract.course_types))


def parse_course_type(cell: Cell, types: CourseTypes, specialised_only: bool = False) -> tuple[str | None, str | None]:
    """The contract's Danish name ("Handlingsplan", "Korte forløb") or the key ("action_plan")."""
    value = text(cell).casefold()
    key = types.lookup.get(value) or types.lookup.get(" ".join(value.split()))
    if key is not None and (not specialised_only or key in types.evaluated):
        return key, None
    if not value:
        return None, "feltet er tomt"
    names = ", ".join(name for k, name in types.names if not specialised_only or k in types.evaluated)
    if key is not None:
        return None, f"forløbstypen evalueres ikke; brug en af: {names}"
    return None, f"ukendt forløbstype; brug en af: {names}"


def parse_topics(cell: Cell) -> tuple[list[str] | None, str | None]:
    """Emner separated by "," or "|": Danish names ("Eksport") or keys ("export")."""
    value = text(cell)
    if not value:
        return [], None
    keys, problem = _topics(value)
    return (None if keys is None else list(keys)), problem


@lru_cache(maxsize=4096)  # an export repeats a handful of combinations
def _topics(value: str) -> tuple[tuple[str, ...] | None, str | None]:
    keys, unknown = [], []
    for part in re.split(r"[,|]", value):
        name = " ".join(part.split()).casefold()
        if not name:
            continue
        key = TOPIC_NAMES.get(name) or (name if name in TOPIC_NAMES.values() else None)
        if key is None:
            unknown.append(part.strip())
        elif key not in keys:
            keys.append(key)
    if unknown:
        allowed = ", ".join(n.capitalize() for n in TOPIC_NAMES)
        return None, f"ukendt emne: {', '.join(unknown)}; brug: {allowed}"
    return tuple(keys), None


def parse_effect(cell: Cell) -> tuple[str | None, str | None]:
    """One of the 7 effect answers in words ("i høj grad" …) or as its key ("hoj" …)."""
    value = " ".join(text(cell).split()).casefold()
    if not value:
        return None, "feltet er tomt"
    answer = EFFECT_WORDS.get(value) or (value if value in EFFECT_WORDS.values() else None)
    if answer is None:
        return None, f"ukendt svar; brug: {', '.join(EFFECT_WORDS)}"
    return answer, None


def municipality_name(cell: Cell) -> str:
    """ "Lolland Kommune" → "Lolland"; the contract's spelling is `parse_event`'s to find."""
    value = " ".join(text(cell).split())
    return value[: -len(" kommune")] if value.casefold().endswith(" kommune") else value


MEASURE_WORDS = {
    "beskæftigelse": "jobs",
    "jobs": "jobs",
    "job": "jobs",
    "arbejdspladser": "jobs",
    "omsætning": "turnover",
    "turnover": "turnover",
}
NUMBER_PROBLEM = "skal være et tal (fx 12,5 eller 12.5)"
_SPACES = str.maketrans("", "", " \u00a0\u202f\u2009")  # a space, no-break and thin spaces: thousands
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+$")  # 1.234 or 12.345.678: the Danish thousands point


def parse_number(cell: Cell) -> tuple[float | None, str | None]:
    """A number with a decimal comma or point: "12,5", "12.5", "-3,25 %", or a spreadsheet's number
    cell. One mark is the decimal mark; thousands may be grouped by the other ("1.234,5", "1,234.5") or
    by spaces. A trailing "%" is allowed (the value stays in percent: "12,5 %" is 12.5)."""
    if isinstance(cell, bool):
        return None, NUMBER_PROBLEM
    if isinstance(cell, int | float):
        return float(cell), None
    value = text(cell).translate(_SPACES).replace("\u2212", "-").removesuffix("%")
    if not value:
        return None, "feltet er tomt"
    sign, digits = (value[0], value[1:]) if value[0] in "+-" else ("", value)
    for pattern, thousands, decimal in _NUMBER_FORMS:
        if pattern.fullmatch(digits):
            return float(sign + digits.replace(thousands, "").replace(decimal, ".")), None
    return None, NUMBER_PROBLEM


_NUMBER_FORMS = (  # (the form, its thousands mark, its decimal mark)
    (re.compile(r"\d+(?:,\d+)?|,\d+"), "", ","),
    (re.compile(r"\d+(?:\.\d+)?|\.\d+"), "", "."),
    (re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?"), ".", ","),
    (re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?"), ",", "."),
)


def parse_count(cell: Cell, low: int, high: int) -> tuple[int | None, str | None]:
    """A whole number in [low, high], with thousands written the Danish way ("1.234", "1 234") or not."""
    if isinstance(cell, str):
        value = cell.translate(_SPACES)
        if _THOUSANDS.match(value):
            value = value.replace(".", "")
        return parse_int(value, low, high)
    return parse_int(cell, low, high)


def parse_measure(cell: Cell) -> tuple[str | None, str | None]:
    """What an effect measurement measures: "Beskæftigelse" (jobs) or "Omsætning" (turnover), or the key."""
    value = " ".join(text(cell).split()).casefold()
    if not value:
        return None, "feltet er tomt"
    measure = MEASURE_WORDS.get(value)
    if measure is None:
        return None, "ukendt mål; brug Beskæftigelse eller Omsætning"
    return measure, None
