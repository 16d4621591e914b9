"""Reading exports the Danish way: encodings, separators, dates, numbers, words; the row mapping."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import pytest

from ehsj_core.imports import values as v
from ehsj_core.imports.mapping import CRM, EVALUATIONS, event_id, locate
from ehsj_core.imports.readers import CP1252, UTF8, Cell, decode, read_sheet
from tests.unit.builders import contract


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("04-03-2019", date(2019, 3, 4)),
        ("4-3-2019", date(2019, 3, 4)),
        ("04.03.2019", date(2019, 3, 4)),
        ("2019-03-04", date(2019, 3, 4)),
        ("2019-03-04 13:45:00", date(2019, 3, 4)),
        ("04-03-2019 13:45", date(2019, 3, 4)),
        ("43528", date(2019, 3, 4)),
        (43528, date(2019, 3, 4)),
        (43528.5, date(2019, 3, 4)),
        (datetime(2019, 3, 4, 10, 0), date(2019, 3, 4)),
    ],
)
def test_dates_are_read_in_danish_iso_and_excel_serial_form(cell: Cell, expected: date) -> None:
    assert v.parse_date(cell) == (expected, None)


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        ("31-02-2019", "datoen findes ikke"),
        ("2019/03/04", v.DATE_PROBLEM),
        ("4. marts 2019", v.DATE_PROBLEM),
        ("12", v.DATE_PROBLEM),  # a number, but no date of the contract years
        ("", "feltet er tomt"),
        (None, "feltet er tomt"),
    ],
)
def test_a_date_that_is_not_one_is_a_danish_problem(cell: Cell, problem: str) -> None:
    assert v.parse_date(cell) == (None, problem)


@pytest.mark.parametrize(("cell", "expected"), [("9", 9), ("9,0", 9), (9.0, 9), (" 10 ", 10), ("0", 0)])
def test_whole_numbers_accept_the_decimal_comma(cell: Cell, expected: int) -> None:
    assert v.parse_int(cell, 0, 10) == (expected, None)


@pytest.mark.parametrize(
    ("cell", "problem"), [("8,5", "heltal"), ("11", "fra 0 til 10"), ("ni", "heltal"), ("", "tomt")]
)
def test_a_bad_number_names_the_range(cell: str, problem: str) -> None:
    number, text = v.parse_int(cell, 0, 10)
    assert number is None and text is not None and problem in text


def test_course_types_are_the_contracts_danish_names_or_keys() -> None:
    types = v.CourseTypes.of(contract())
    assert v.parse_course_type("Handlingsplan", types) == ("action_plan", None)
    assert v.parse_course_type(" korte  FORLØB ", types) == ("short", None)
    assert v.parse_course_type("growth_plan", types) == ("growth_plan", None)
    key, problem = v.parse_course_type("Korte forløb", types, specialised_only=True)
    assert key is None and problem is not None and "evalueres ikke" in problem
    key, problem = v.parse_course_type("Konsulentforløb", types)
    assert key is None and problem is not None and "Handlingsplan" in problem


def test_topics_and_effect_answers_are_danish_words() -> None:
    assert v.parse_topics("Eksport, Digital forretningsmodel | eksport") == (["export", "digital_business_model"], None)
    assert v.parse_topics("") == ([], None)
    assert v.parse_topics("Eksport, Bæredygtighed")[1] is not None
    assert [v.parse_effect(w)[0] for w in ("i høj grad", "I nogen grad", "i lav grad", "slet ikke", "Ved ikke")] == [
        "hoj",
        "nogen",
        "lav",
        "slet_ikke",
        "ved_ikke",
    ]
    assert v.parse_effect("måske")[0] is None


def test_cvr_and_municipality_are_tidied_not_judged() -> None:
    assert v.parse_cvr("DK 29 18 47 39") == "29184739"
    assert v.parse_cvr(29184739.0) == "29184739"
    assert v.municipality_name("Lolland Kommune") == "Lolland"


def test_utf8_with_or_without_bom_and_windows_1252_are_told_apart() -> None:
    text = "Kommune\nKøge\n"
    assert decode(text.encode("utf-8")) == (text, UTF8, {})
    assert decode(b"\xef\xbb\xbf" + text.encode("utf-8")) == (text, UTF8, {})
    assert decode(text.encode("cp1252")) == (text, CP1252, {})


def test_a_windows_1252_line_in_a_utf8_file_is_a_problem_of_that_line() -> None:
    data = "Kommune\nKøge\n".encode() + "Sorø\n".encode("cp1252") + "Næstved\n".encode()
    _text, encoding, problems = decode(data)
    assert encoding == UTF8 and list(problems) == [3]


def test_utf16_is_refused_as_a_whole() -> None:
    sheet = read_sheet("Dato;Kommune\n".encode("utf-16"))
    assert sheet.file_problems and "UTF-16" in sheet.file_problems[0]


def test_the_separator_is_found_in_the_header_and_rows_keep_spreadsheet_numbers() -> None:
    sheet = read_sheet(b'Dato,Kommune\n01-02-2019,Sor\xc3\xb8\n\n02-02-2019,"Greve, by"\n')
    assert sheet.headers == ["Dato", "Kommune"]
    assert sheet.rows == [(2, ["01-02-2019", "Sorø"]), (4, ["02-02-2019", "Greve, by"])]


def test_headers_match_whatever_the_case_and_punctuation() -> None:
    where, problems = locate(["DATO", "forløbstype", "CVR-nummer", "Kommune", "Konsulent", "Noter"], CRM)
    assert problems == [] and where == {"date": 0, "course_type": 1, "cvr": 2, "municipality": 3, "consultant": 4}
    _where, problems = locate(["Dato", "CVR", "Forløbstype", "NPS", "Tilfredshed", "Kompetence"], EVALUATIONS)
    assert problems == [(f"Effekt {n}", "kolonnen mangler") for n in range(1, 8)]


def test_the_fast_event_id_is_the_standard_uuid5() -> None:
    expected = str(uuid.uuid5(CRM.namespace, "sjaelland|2019-03-04|short||Lolland|karen||2"))
    assert event_id(CRM, "sjaelland", "2019-03-04|short||Lolland|karen|", 2) == expected
