"""Importing one export file: read, map, validate every row with the API's rules (`parse_event`),
report problems by row and column, then store — nothing when a row is bad, unless `skip_bad`.

Every row is checked before anything is stored. The good rows are then appended in batches of
`BATCH` (each atomic); since every row's event id is deterministic, an import that was interrupted is
completed by running it again, and a file imported twice adds nothing.

Erhvervsstyrelsen's files (`effect-measurements`, `official-figures`) need the permission of their
format (`report_official`, the director's): any other role's import is refused whole, with the rule
book's problem (a 403), before a row is read. An evaluation import also lists the answers that follow
no course of their type for the company (`UnmatchedAnswer`): a warning, not a refusal — they are
stored, and count once the course is registered.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ehsj_core.contract.loader import ContractBook
from ehsj_core.errors import NotFound
from ehsj_core.events import rulebook
from ehsj_core.events.reader import CourseAnswered, LogReader
from ehsj_core.events.rulebook import Appender
from ehsj_core.events.store import EventStore
from ehsj_core.events.validation import InvalidInput, NewEvent, Problem, parse_event
from ehsj_core.imports import values as v
from ehsj_core.imports.limits import ImportLimits
from ehsj_core.imports.mapping import FORMATS, Format, column_of, event_id, locate, map_row
from ehsj_core.imports.readers import Cell, Sheet, read_sheet

BATCH = 5_000
LOOKUP = 2_000  # answers looked up against the log per progress step
EVALUATION, COURSE = "evaluation.received", "course.completed"
# The rule book's words for a role without `report_official` (rulebook._judge): the import refuses
# the whole file with them before reading it; tests/integration/test_imports_official.py holds the
# two to the same text.
OFFICIAL_ONLY = rulebook.OFFICIAL_ONLY
UNMATCHED = (
    "svaret følger intet forløb af typen for virksomheden og tæller ikke med; registrér forløbet, så tæller svaret"
)


@dataclass(frozen=True)
class Destination:
    """Where an import goes: the store the rule book appends to, the contracts the rows are checked
    against, the installation's house, and today (no row may lie after it)."""

    store: EventStore
    book: ContractBook
    house: str
    today: date


Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class RowProblem:
    row: int  # the row number in the spreadsheet (the header is row 1); 0 for the file as a whole
    column: str  # the column's header, "" for the row as a whole
    value: str
    problem: str  # Danish
    allowed: list[str] | None = None  # where the choice is closed (municipalities, …)

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "problem": self.problem,
            "allowed": self.allowed,
        }


@dataclass(frozen=True)
class UnmatchedAnswer:
    """An evaluation that follows no course of its type for the company, on or before its date (none
    stored and not retracted, none earlier in the import): it counts in no year (projections/facts.py)
    until the course is registered. A warning: the row is stored all the same."""

    row: int
    company_cvr: str
    course_type: str  # the key
    course_type_name: str  # the contract's Danish name
    answered_on: date
    problem: str = UNMATCHED

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "company_cvr": self.company_cvr,
            "course_type": self.course_type,
            "course_type_name": self.course_type_name,
            "answered_on": self.answered_on.isoformat(),
            "problem": self.problem,
        }


@dataclass
class ImportReport:
    kind: str
    filename: str
    encoding: str
    rows: int = 0  # data rows read
    valid: int = 0  # rows that passed every check
    stored: int = 0  # new events appended
    duplicates: int = 0  # rows already in the log (an earlier import of the same rows)
    problems: list[RowProblem] = field(default_factory=list)
    bad_rows_csv: bytes | None = None  # with skip_bad: the bad rows and what is wrong, to fix and re-import
    unmatched: list[UnmatchedAnswer] = field(default_factory=list)  # warnings: stored, but counted nowhere yet

    @property
    def bad_rows(self) -> int:
        return len({p.row for p in self.problems})

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "filename": self.filename,
            "encoding": self.encoding,
            "rows": self.rows,
            "valid": self.valid,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "bad_rows": self.bad_rows,
            "problems": [p.as_dict() for p in self.problems],
            "unmatched": [u.as_dict() for u in self.unmatched],
        }


def import_file(
    dest: Destination,
    kind: str,
    data: bytes,
    filename: str = "",
    *,
    by: Appender,
    skip_bad: bool = False,
    progress: Progress | None = None,
    limits: ImportLimits | None = None,
) -> ImportReport:
    """`limits`: the installation's (`ImportLimits.of(settings)`); None, the settings' defaults. A file
    past one is refused whole, as a problem of the file (row 0), before a row of it is checked."""
    problem = rulebook.append_problem(by.role)
    if problem is not None:
        raise rulebook.Forbidden([Problem("role", by.role, problem)])
    fmt = FORMATS[kind]
    if fmt.permission is not None and not rulebook.permitted(by.role, fmt.permission):
        raise rulebook.Forbidden([Problem("type", fmt.event_type, OFFICIAL_ONLY)])
    sheet = read_sheet(data, filename, limits)
    report = ImportReport(kind, filename, sheet.encoding, rows=len(sheet.rows))
    if sheet.file_problems:
        report.problems = [RowProblem(0, "", filename, p) for p in sheet.file_problems]
        return report
    where, header_problems = locate(sheet.headers, fmt)
    if header_problems:
        report.problems = [RowProblem(1, column, "", problem) for column, problem in header_problems]
        for other in FORMATS.values():
            if other is not fmt and not locate(sheet.headers, other)[1]:
                hint = f"filen ligner en {other.title}: vælg importtypen {other.kind} (ehsj import {other.kind})"
                report.problems.append(RowProblem(1, "", "", hint))
        return report
    events, problems = _check_rows(dest, fmt, sheet, where, progress)
    logged, known = _against_the_log(dest, events, by, sheet.headers[where["date"]])
    problems += logged
    report.duplicates = len(known)
    report.problems = sorted(problems, key=lambda p: p.row)
    bad = {p.row for p in problems}
    good = [(number, e) for number, e in events if number not in bad]
    report.valid = len(good)
    report.unmatched = _unmatched(dest, good, progress)
    if problems and not skip_bad:
        return report
    if skip_bad and problems:
        report.bad_rows_csv = bad_rows_csv(sheet, problems)
    new = [e for _number, e in good if e.event_id not in known]
    for start in range(0, len(new), BATCH):
        results = rulebook.submit(dest.store, new[start : start + BATCH], by, dest.house)
        report.stored += sum(not r.duplicate for r in results)
        report.duplicates += sum(r.duplicate for r in results)
        if progress:
            progress("Gemmer", min(start + BATCH, len(new)), len(new))
    return report


def _check_rows(
    dest: Destination, fmt: Format, sheet: Sheet, where: dict[str, int], progress: Progress | None
) -> tuple[list[tuple[int, NewEvent]], list[RowProblem]]:
    """Every row mapped and validated; the valid ones with their deterministic event ids."""
    book, house, today = dest.book, dest.house, dest.today
    titles = {c.field: (sheet.headers[where[c.field]] if c.field in where else c.title) for c in fmt.columns}
    current = book.for_validation(house, today.year)
    if current is None:
        raise NotFound("der er ingen kontrakt indlæst; kør `ehsj init`")
    fallback = v.CourseTypes.of(current)
    vocabularies: dict[int, v.CourseTypes] = {}
    occurrences: dict[str, int] = {}
    first_rows: dict[str, int] = {}  # content key → the row it first occurs in (`Format.unique`)
    events: list[tuple[int, NewEvent]] = []
    problems: list[RowProblem] = []
    date_column = where["date"]
    total = len(sheet.rows)
    for done, (number, cells) in enumerate(sheet.rows, start=1):
        if progress and done % 2_000 == 0:
            progress("Kontrollerer", done, total)
        if number in sheet.row_problems:
            problems.append(RowProblem(number, "", v.text(_joined(cells)), sheet.row_problems[number]))
            continue
        day, date_problem = v.parse_date(cells[date_column] if date_column < len(cells) else None)
        types = fallback if day is None else vocabularies.get(day.year)
        if types is None and day is not None:
            contract = book.for_validation(house, day.year)
            types = vocabularies[day.year] = fallback if contract is None else v.CourseTypes.of(contract)
        assert types is not None
        mapped = map_row(fmt, cells, where, types, day, date_problem)
        row_problems = [RowProblem(number, titles[f], v.text(_cell(cells, where, f)), p) for f, p in mapped.problems]
        reported = {f for f, _p in mapped.problems}
        envelope = mapped.envelope
        if envelope["occurred_on"] is None:
            envelope = {**envelope, "occurred_on": today.isoformat()}  # a stand-in: the data is still checked
        try:
            event = parse_event(envelope, book, house, today)
        except InvalidInput as exc:
            for p in exc.problems:
                column = column_of(fmt, p.field)
                if p.field == "data" and fmt.data_column is not None:
                    column = fmt.data_column(p)
                if column in reported or (not column and reported):
                    continue
                value = v.text(_cell(cells, where, column)) if column else ""
                row_problems.append(RowProblem(number, titles.get(column, ""), value, p.problem, p.allowed))
            problems.extend(row_problems)
            continue
        if row_problems:
            problems.extend(row_problems)
            continue
        key = fmt.key(event.occurred_on.isoformat(), event.data)
        if fmt.unique and key in first_rows:
            problem = f"rækken gentager række {first_rows[key]} (samme år, mål og offentliggørelse); fjern den ene"
            problems.append(RowProblem(number, "", "", problem))
            continue
        first_rows.setdefault(key, number)
        occurrences[key] = occurrences.get(key, 0) + 1
        new_id = event_id(fmt, house, key, occurrences[key])
        events.append((number, NewEvent(new_id, event.type, event.occurred_on, event.house, event.data)))
    if progress:
        progress("Kontrollerer", total, total)
    return events, problems


def _against_the_log(
    dest: Destination, events: list[tuple[int, NewEvent]], by: Appender, date_title: str
) -> tuple[list[RowProblem], set[str]]:
    """What the rule book would say of every row now (`rulebook.review`): rows already in the log
    (duplicates, or the same id with other content) and rows it refuses (a closed year, the role).
    Returns the problems by row and the ids of the rows already stored; the append decides again."""
    decision = rulebook.review(dest.store, [e for _n, e in events], by, dest.house)
    # A role the rule book refuses the type itself (not a row's year) is refused the whole file, as
    # the API refuses it an event: a 403 with the rule book's words. (`import_file` checks the
    # format's permission first; this holds should the rule book forbid more.)
    by_type = {
        r.problem.problem: r for r in decision.refusals if r.forbidden and r.problem.field.rsplit(".", 1)[-1] == "type"
    }
    if by_type:
        raise rulebook.Forbidden(
            [Problem("type", r.problem.value, r.problem.problem, r.problem.allowed) for r in by_type.values()]
        )
    problems: list[RowProblem] = []
    for index, _event_id, position in decision.conflicts:
        problem = (
            f"rækken er importeret før (position {position}) med andet indhold; "
            "ret den i loggen med en tilbagekaldelse og en ny registrering"
        )
        problems.append(RowProblem(events[index][0], "", "", problem))
    for refusal in decision.refusals:
        number, event = events[refusal.index]
        on_date = refusal.problem.field.endswith("occurred_on")
        column, value = (date_title, _day(event.occurred_on)) if on_date else ("", "")
        problems.append(RowProblem(number, column, value, refusal.problem.problem, refusal.problem.allowed))
    conflicting = {event_id for _i, event_id, _p in decision.conflicts}
    known = {r.event_id for r in decision.results if r.duplicate and r.event_id not in conflicting}
    return problems, known


def _unmatched(dest: Destination, rows: list[tuple[int, NewEvent]], progress: Progress | None) -> list[UnmatchedAnswer]:
    """The evaluations among `rows` that follow no course of their type for the company on or before
    the answer: none stored and not retracted (`LogReader.latest_courses`), none in an earlier row."""
    answers = [(n, e) for n, e in rows if e.type == EVALUATION]
    if not answers:
        return []
    keys: list[CourseAnswered] = [(e.data["course_type"], e.data["company_cvr"], e.occurred_on) for _n, e in answers]
    log = LogReader(dest.store.engine)
    found: dict[CourseAnswered, date] = {}
    for start in range(0, len(keys), LOOKUP):
        found.update(log.latest_courses(dest.house, keys[start : start + LOOKUP]))
        if progress:
            progress("Finder forløbene", min(start + LOOKUP, len(keys)), len(keys))
    earliest: dict[tuple[str, str], date] = {}  # (course type, CVR) → the earliest course in an earlier row
    unmatched: list[UnmatchedAnswer] = []
    names = _course_type_names(dest)
    for number, event in rows:
        data = event.data
        if event.type == COURSE and data.get("company_cvr"):
            pair = (data["course_type"], data["company_cvr"])
            earliest[pair] = min(earliest.get(pair, event.occurred_on), event.occurred_on)
            continue
        if event.type != EVALUATION:
            continue
        pair = (data["course_type"], data["company_cvr"])
        before = earliest.get(pair)
        if (*pair, event.occurred_on) in found or (before is not None and before <= event.occurred_on):
            continue
        name = names.get(data["course_type"], data["course_type"])
        unmatched.append(UnmatchedAnswer(number, data["company_cvr"], data["course_type"], name, event.occurred_on))
    return unmatched


def _course_type_names(dest: Destination) -> dict[str, str]:
    contract = dest.book.for_validation(dest.house, dest.today.year)
    return {} if contract is None else {ct.key: ct.name for ct in contract.course_types}


def _day(day: date) -> str:
    return day.strftime("%d-%m-%Y")


def _cell(cells: list[Cell], where: dict[str, int], column: str) -> Cell:
    index = where.get(column)
    return cells[index] if index is not None and index < len(cells) else None


def _joined(cells: list[Cell]) -> str:
    return ";".join(v.text(c) for c in cells)


def bad_rows_csv(sheet: Sheet, problems: list[RowProblem]) -> bytes:
    """The bad rows as a CSV (UTF-8 with BOM, `;`) with a last column "Fejl": fix and import it again
    (the extra column is ignored)."""
    by_row: dict[int, list[str]] = {}
    for p in problems:
        by_row.setdefault(p.row, []).append(f"{p.column}: {p.problem}" if p.column else p.problem)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([*sheet.headers, "Fejl"])
    for number, cells in sheet.rows:
        if number in by_row:
            writer.writerow([*(v.text(c) for c in cells), " | ".join(by_row[number])])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
