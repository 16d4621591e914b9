"""The import formats, and mapping one row to an event envelope. Pure.

Four formats: the CRM's export (courses), the evaluation system's export (answers), and two files of
Erhvervsstyrelsen's — its effect measurement of goal 2 and its official figures of targets — which
only the director may import (`Format.permission`, the rule book's `report_official`).

A format names its columns (the Danish header first, then accepted aliases; case, spaces, `-` and
`_` do not matter), the event type a row becomes, and the content key its deterministic event id is
made from (uuid5): the same row in a later export gets the same id, so importing it again adds
nothing.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ehsj_core.events.validation import Problem
from ehsj_core.imports import values as v
from ehsj_core.imports.readers import Cell

ColumnProblem = tuple[str, str]  # (column field, problem)


@dataclass(frozen=True)
class Column:
    field: str  # our name for it
    title: str  # the header as documented (README)
    aliases: tuple[str, ...] = ()
    required: bool = True


@dataclass(frozen=True)
class Format:
    kind: str
    title: str
    event_type: str
    columns: tuple[Column, ...]
    namespace: uuid.UUID
    build: Callable[[dict[str, Cell], v.CourseTypes], tuple[dict[str, Any], list[ColumnProblem]]]
    key: Callable[[str, dict[str, Any]], str]  # (occurred_on, validated data) → content key
    fields: dict[str, str]  # a `parse_event` problem field (data.x) → column field
    # The permission (users.PERMISSIONS) a role needs to import the format at all, beyond `append`.
    permission: str | None = None
    # Rows with the same content key are one row written twice (a figure given twice in one
    # publication): the second is reported instead of becoming a second event.
    unique: bool = False
    # The column a problem about the data as a whole (a model validator's) is about; None: the row.
    data_column: Callable[[Problem], str] | None = None


@dataclass
class MappedRow:
    envelope: dict[str, Any]  # type, occurred_on (ISO, or None when unreadable), data
    problems: list[ColumnProblem] = field(default_factory=list)


def normalise(header: str) -> str:
    return " ".join(re.sub(r"[-_.]", " ", header.replace("\ufeff", "")).casefold().split())


def locate(headers: list[str], fmt: Format) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Column field → index in the row; (column, problem) for each missing or doubled column."""
    where: dict[str, int] = {}
    problems: list[tuple[str, str]] = []
    names = [normalise(h) for h in headers]
    for column in fmt.columns:
        wanted = {normalise(column.title), *map(normalise, column.aliases)}
        found = [i for i, name in enumerate(names) if name in wanted]
        if len(found) > 1:
            problems.append((column.title, f"kolonnen findes flere gange ({', '.join(headers[i] for i in found)})"))
        elif found:
            where[column.field] = found[0]
        elif column.required:
            problems.append((column.title, "kolonnen mangler"))
    return where, problems


def map_row(
    fmt: Format,
    cells: list[Cell],
    where: dict[str, int],
    types: v.CourseTypes,
    occurred_on: date | None,
    date_problem: str | None,
) -> MappedRow:
    """A row as an envelope; `occurred_on` is parsed first by the caller (it picks the contract)."""
    size = len(cells)
    row = {name: (cells[i] if i < size else None) for name, i in where.items()}
    data, problems = fmt.build(row, types)
    if date_problem:
        problems.insert(0, ("date", date_problem))
    envelope = {
        "type": fmt.event_type,
        "occurred_on": None if occurred_on is None else occurred_on.isoformat(),
        "data": data,
    }
    return MappedRow(envelope, problems)


def event_id(fmt: Format, house: str, key: str, occurrence: int) -> str:
    """uuid5 of the format, the house, the content key and the how-manieth time in the file the key
    occurs (two identical rows are two events; the same file again gives the same ids). Computed as
    `str(uuid.uuid5(fmt.namespace, name))` does, without building UUID objects (bulk imports)."""
    digest = bytearray(hashlib.sha1(fmt.namespace.bytes + f"{house}|{key}|{occurrence}".encode()).digest()[:16])
    digest[6] = digest[6] & 0x0F | 0x50  # version 5
    digest[8] = digest[8] & 0x3F | 0x80  # RFC 4122 variant
    x = digest.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


# --- the CRM export ---------------------------------------------------------------------------------------
def _crm(row: dict[str, Cell], types: v.CourseTypes) -> tuple[dict[str, Any], list[ColumnProblem]]:
    problems: list[ColumnProblem] = []
    data: dict[str, Any] = {}
    course_type, problem = v.parse_course_type(row.get("course_type"), types)
    if problem:
        problems.append(("course_type", problem))
    data["course_type"] = course_type or "short"  # a stand-in, so the other fields are still checked
    cvr = v.parse_cvr(row.get("cvr"))
    if cvr:
        data["company_cvr"] = cvr
    elif course_type not in (None, "short"):
        problems.append(("cvr", "CVR-nummer skal angives for handlings-, vækst- og udviklingsplaner"))
    name = v.text(row.get("company"))
    if name:
        data["company_name"] = name
    data["municipality"] = v.municipality_name(row.get("municipality"))
    data["consultant"] = v.text(row.get("consultant"))
    topics, problem = v.parse_topics(row.get("topics"))
    if problem:
        problems.append(("topics", problem))
    data["topics"] = topics or []
    return data, problems


def _crm_key(occurred_on: str, d: dict[str, Any]) -> str:
    cvr = d.get("company_cvr", "")
    company = "" if cvr else d.get("company_name", "").casefold()
    return f"{occurred_on}|{d['course_type']}|{cvr}|{d['municipality']}|{d['consultant'].casefold()}|{company}"


CRM = Format(
    kind="crm",
    title="CRM-eksport",
    event_type="course.completed",
    columns=(
        Column("date", "Dato", ("date", "occurred on", "forløbsdato", "afsluttet")),
        Column("course_type", "Forløbstype", ("forlobstype", "ydelse", "course type")),
        Column("cvr", "CVR", ("cvr nummer", "cvr nr", "company cvr")),
        Column("company", "Virksomhed", ("virksomhedsnavn", "firmanavn", "company name"), required=False),
        Column("municipality", "Kommune", ("municipality",)),
        Column("consultant", "Konsulent", ("forretningsudvikler", "consultant")),
        Column("topics", "Emner", ("emne", "topics"), required=False),
    ),
    namespace=uuid.UUID("0c8f5a52-3a51-5f4e-9a0f-6b7e2c3d2019"),
    build=_crm,
    key=_crm_key,
    fields={
        "occurred_on": "date",
        "data.course_type": "course_type",
        "data.company_cvr": "cvr",
        "data.company_name": "company",
        "data.municipality": "municipality",
        "data.consultant": "consultant",
        "data.topics": "topics",
    },
)


# --- the evaluation system's export ----------------------------------------------------------------------
EFFECT_COLUMNS = tuple(f"effect_{n}" for n in range(1, 8))


def _evaluation(row: dict[str, Cell], types: v.CourseTypes) -> tuple[dict[str, Any], list[ColumnProblem]]:
    problems: list[ColumnProblem] = []
    course_type, problem = v.parse_course_type(row.get("course_type"), types, specialised_only=True)
    if problem:
        problems.append(("course_type", problem))
    data: dict[str, Any] = {"course_type": course_type or "action_plan", "company_cvr": v.parse_cvr(row.get("cvr"))}
    for name, key, low, high in (
        ("nps", "nps", 0, 10),
        ("satisfaction", "satisfaction", 1, 5),
        ("competence", "consultant_competence", 1, 5),
    ):
        number, problem = v.parse_int(row.get(name), low, high)
        if problem:
            problems.append((name, problem))
        data[key] = number if number is not None else low
    effect = []
    for name in EFFECT_COLUMNS:
        answer, problem = v.parse_effect(row.get(name))
        if problem:
            problems.append((name, problem))
        effect.append(answer or "ved_ikke")
    data["effect"] = effect
    return data, problems


def _evaluation_key(occurred_on: str, d: dict[str, Any]) -> str:
    return f"{occurred_on}|{d['course_type']}|{d['company_cvr']}"


EVALUATIONS = Format(
    kind="evaluations",
    title="evalueringseksport",
    event_type="evaluation.received",
    columns=(
        Column("date", "Dato", ("date", "besvaret", "besvarelsesdato", "svardato")),
        Column("cvr", "CVR", ("cvr nummer", "cvr nr", "company cvr")),
        Column("course_type", "Forløbstype", ("forlobstype", "ydelse", "course type")),
        Column("nps", "NPS", ("anbefaling",)),
        Column("satisfaction", "Tilfredshed", ("generel tilfredshed", "satisfaction")),
        Column(
            "competence", "Kompetence", ("konsulentens kompetencer", "konsulentkompetence", "consultant competence")
        ),
        *(Column(f"effect_{n}", f"Effekt {n}", (f"effekt{n}", f"effect {n}")) for n in range(1, 8)),
    ),
    namespace=uuid.UUID("7a1e6c0d-52b4-5d39-8e77-1f4b9c2a2019"),
    build=_evaluation,
    key=_evaluation_key,
    fields={
        "occurred_on": "date",
        "data.course_type": "course_type",
        "data.company_cvr": "cvr",
        "data.nps": "nps",
        "data.satisfaction": "satisfaction",
        "data.consultant_competence": "competence",
        **{f"data.effect.{n - 1}": f"effect_{n}" for n in range(1, 8)},
        "data.effect": "effect_1",
    },
)


# --- Erhvervsstyrelsen's files --------------------------------------------------------------------------
PUBLISHED = Column("date", "Offentliggjort", ("offentliggjort den", "offentliggørelse", "publiceret", "published on"))
YEAR = Column("year", "År", ("aar", "år", "kontraktår", "year"))
SOURCE = Column("source", "Kilde", ("source",))
OFFICIAL = "report_official"


def _published(row: dict[str, Cell], data: dict[str, Any]) -> None:
    """`published_on` is the publication date, which is also the row's `occurred_on`: a date the
    caller could not read is reported there, at the column, once."""
    day, _problem = v.parse_date(row.get("date"))
    if day is not None:
        data["published_on"] = day.isoformat()


def _year(row: dict[str, Cell], data: dict[str, Any], problems: list[ColumnProblem]) -> None:
    year, problem = v.parse_int(row.get("year"), 2000, 2100)
    if problem:
        problems.append(("year", problem))
    data["year"] = year if year is not None else 2000


def _effect_measurement(row: dict[str, Cell], _types: v.CourseTypes) -> tuple[dict[str, Any], list[ColumnProblem]]:
    problems: list[ColumnProblem] = []
    measure, problem = v.parse_measure(row.get("measure"))
    if problem:
        problems.append(("measure", problem))
    data: dict[str, Any] = {"measure": measure or "jobs"}
    _year(row, data, problems)
    for name in ("customers_growth_pct", "control_growth_pct"):
        number, problem = v.parse_number(row.get(name))
        if problem:
            problems.append((name, problem))
        data[name] = number if number is not None else 0.0
    for name in ("companies", "control_companies"):
        count, problem = v.parse_count(row.get(name), 1, 10_000_000)
        if problem:
            problems.append((name, problem))
        data[name] = count if count is not None else 1
    data["source"] = v.text(row.get("source"))
    _published(row, data)
    return data, problems


def _effect_measurement_key(occurred_on: str, d: dict[str, Any]) -> str:
    return f"{occurred_on}|{d['year']}|{d['measure']}"


EFFECT_MEASUREMENTS = Format(
    kind="effect-measurements",
    title="effektmåling fra Erhvervsstyrelsen",
    event_type="effect_measurement.reported",
    columns=(
        YEAR,
        Column("measure", "Mål", ("måling", "parameter", "målt på", "measure")),
        Column(
            "customers_growth_pct", "Vækst kunder (%)", ("vækst kunder", "vækst hos kunder (%)", "customers growth")
        ),
        Column("control_growth_pct", "Vækst kontrolgruppe (%)", ("vækst kontrolgruppe", "control growth")),
        Column("companies", "Antal kunder", ("kunder", "antal virksomheder", "companies")),
        Column("control_companies", "Antal i kontrolgruppe", ("antal kontrolgruppe", "control companies")),
        SOURCE,
        PUBLISHED,
    ),
    namespace=uuid.UUID("3d0b9f64-8c21-5e7a-b4c3-2e5f1a6d2019"),
    build=_effect_measurement,
    key=_effect_measurement_key,
    fields={
        "occurred_on": "date",
        "data.published_on": "date",
        "data.year": "year",
        "data.measure": "measure",
        "data.customers_growth_pct": "customers_growth_pct",
        "data.control_growth_pct": "control_growth_pct",
        "data.companies": "companies",
        "data.control_companies": "control_companies",
        "data.source": "source",
    },
    permission=OFFICIAL,
    unique=True,
)


def _official_figure(row: dict[str, Cell], _types: v.CourseTypes) -> tuple[dict[str, Any], list[ColumnProblem]]:
    problems: list[ColumnProblem] = []
    data: dict[str, Any] = {"target": "".join(v.text(row.get("target")).split())}
    _year(row, data, problems)
    value, problem = v.parse_number(row.get("value"))
    if problem:
        problems.append(("value", problem))
    data["value"] = value if value is not None else 0.0
    data["source"] = v.text(row.get("source"))
    _published(row, data)
    note = v.text(row.get("note"))
    if note:
        data["note"] = note
    return data, problems


def _official_figure_key(occurred_on: str, d: dict[str, Any]) -> str:
    return f"{occurred_on}|{d['year']}|{d['target']}"


def _official_data_column(problem: Problem) -> str:
    """The schema's check of the target against the contract: an unknown target names the allowed
    ones; a value outside the target's range does not."""
    return "target" if problem.allowed else "value"


OFFICIAL_FIGURES = Format(
    kind="official-figures",
    title="fil med Erhvervsstyrelsens officielle tal",
    event_type="official_figure.reported",
    columns=(
        YEAR,
        Column("target", "Mål", ("måltal", "delmål", "target")),
        Column("value", "Værdi", ("vaerdi", "tal", "resultat", "value")),
        SOURCE,
        PUBLISHED,
        Column("note", "Bemærkning", ("bemærkninger", "kommentar", "note"), required=False),
    ),
    namespace=uuid.UUID("b5e2c7a1-4f3d-5b86-9d0e-8a7c6f1e2019"),
    build=_official_figure,
    key=_official_figure_key,
    fields={
        "occurred_on": "date",
        "data.published_on": "date",
        "data.year": "year",
        "data.target": "target",
        "data.value": "value",
        "data.source": "source",
        "data.note": "note",
    },
    permission=OFFICIAL,
    unique=True,
    data_column=_official_data_column,
)
FORMATS = {f.kind: f for f in (CRM, EVALUATIONS, EFFECT_MEASUREMENTS, OFFICIAL_FIGURES)}


def column_of(fmt: Format, problem_field: str) -> str:
    """The column a `parse_event` problem is about ("" for the row as a whole)."""
    if problem_field in fmt.fields:
        return fmt.fields[problem_field]
    parent = problem_field.rsplit(".", 1)[0]
    return fmt.fields.get(parent, "")
