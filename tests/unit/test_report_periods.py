"""Reporting periods: keys people type, their bounds and months, Danish labels, and clear refusals."""

from __future__ import annotations

from datetime import date

import pytest

from ehsj_core.events.validation import InvalidInput
from ehsj_core.reports.periods import Period, parse_period, period_of, periods_of


def test_a_quarter_key_parses_into_its_bounds_months_and_danish_label() -> None:
    q3 = parse_period("2019Q3", "quarter")
    assert (q3.kind, q3.year, q3.index, q3.key) == ("quarter", 2019, 3, "2019Q3")
    assert (q3.start, q3.end) == (date(2019, 7, 1), date(2019, 9, 30))
    assert q3.months == ("2019-07", "2019-08", "2019-09")
    assert q3.months_to_date == tuple(f"2019-{m:02d}" for m in range(1, 10))
    assert q3.label == "3. kvartal 2019"


def test_a_half_year_and_a_year_parse_too() -> None:
    h1 = parse_period("2019H1", "half_year")
    assert (h1.key, h1.start, h1.end, h1.label) == ("2019H1", date(2019, 1, 1), date(2019, 6, 30), "1. halvår 2019")
    assert h1.months == tuple(f"2019-{m:02d}" for m in range(1, 7))
    h2 = parse_period("2019H2", "half_year")
    assert (h2.start, h2.end, h2.label) == (date(2019, 7, 1), date(2019, 12, 31), "2. halvår 2019")
    year = parse_period("2019", "year")
    assert (year.key, year.index, year.start, year.end, year.label) == (
        "2019",
        1,
        date(2019, 1, 1),
        date(2019, 12, 31),
        "2019",
    )
    assert len(year.months) == 12


def test_keys_are_read_without_regard_to_case_or_surrounding_space() -> None:
    assert parse_period(" 2019q4 ", "quarter") == Period("quarter", 2019, 4)
    assert parse_period("2020h2", "half_year") == Period("half_year", 2020, 2)


def test_every_period_ends_on_the_last_day_of_its_last_month() -> None:
    assert [q.end for q in periods_of("quarter", 2020)] == [
        date(2020, 3, 31),
        date(2020, 6, 30),
        date(2020, 9, 30),
        date(2020, 12, 31),
    ]
    assert parse_period("2020Q1", "quarter").months[1] == "2020-02"  # a leap year changes nothing here


def test_the_periods_of_a_year_cover_it_without_gaps_or_overlap() -> None:
    for kind, count in (("quarter", 4), ("half_year", 2), ("year", 1)):
        periods = periods_of(kind, 2019)
        assert len(periods) == count
        assert periods[0].start == date(2019, 1, 1) and periods[-1].end == date(2019, 12, 31)
        assert [m for p in periods for m in p.months] == [f"2019-{m:02d}" for m in range(1, 13)]


def test_previous_is_the_period_before_in_the_same_year_or_none() -> None:
    assert parse_period("2019Q3", "quarter").previous() == Period("quarter", 2019, 2)
    assert parse_period("2019Q1", "quarter").previous() is None
    assert parse_period("2019H2", "half_year").previous() == Period("half_year", 2019, 1)
    assert parse_period("2019H1", "half_year").previous() is None
    assert parse_period("2019", "year").previous() is None


def test_the_period_of_a_day_contains_it() -> None:
    assert period_of("quarter", date(2019, 9, 30)).key == "2019Q3"
    assert period_of("quarter", date(2019, 10, 1)).key == "2019Q4"
    assert period_of("half_year", date(2019, 7, 1)).key == "2019H2"
    assert period_of("year", date(2019, 7, 1)).key == "2019"
    assert Period("quarter", 2019, 2).contains(date(2019, 6, 30))
    assert not Period("quarter", 2019, 2).contains(date(2019, 7, 1))


def test_as_dict_names_the_period_fully() -> None:
    assert Period("quarter", 2019, 3).as_dict() == {
        "kind": "quarter",
        "year": 2019,
        "index": 3,
        "key": "2019Q3",
        "start": "2019-07-01",
        "end": "2019-09-30",
        "label": "3. kvartal 2019",
    }


@pytest.mark.parametrize(
    ("text", "kind", "says"),
    [
        ("2019Q5", "quarter", "kvartal nummer 5 findes ikke"),
        ("2019Q0", "quarter", "kvartal nummer 0 findes ikke"),
        ("2019H3", "half_year", "halvår nummer 3 findes ikke"),
        ("19Q3", "quarter", "ÅÅÅÅQn"),
        ("2019-Q3", "quarter", "ÅÅÅÅQn"),
        ("", "quarter", "ÅÅÅÅQn"),
        ("2019H1", "quarter", "ikke et halvår"),
        ("2019Q3", "half_year", "ikke et kvartal"),
        ("2019", "quarter", "ikke et helt år"),
        ("2019Q1", "year", "ikke et kvartal"),
        ("1999Q1", "quarter", "mellem 2000 og 2100"),
    ],
)
def test_a_bad_period_is_refused_with_a_danish_problem_and_examples(text: str, kind: str, says: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_period(text, kind)
    [problem] = caught.value.problems
    assert problem.field == "period" and problem.value == text
    assert says in problem.problem
    assert problem.allowed and all(len(example) >= 4 for example in problem.allowed)


def test_the_examples_of_a_refusal_are_the_valid_keys_of_that_year() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_period("2019Q5", "quarter")
    assert caught.value.problems[0].allowed == ["2019Q1", "2019Q2", "2019Q3", "2019Q4"]
    with pytest.raises(InvalidInput) as caught:
        parse_period("2021Q1", "half_year")
    assert caught.value.problems[0].allowed == ["2021H1", "2021H2"]


def test_an_unknown_period_kind_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_period("2019Q1", "month")
    assert caught.value.problems[0].field == "kind"
    assert caught.value.problems[0].allowed == ["quarter", "half_year", "year"]
    with pytest.raises(InvalidInput):
        periods_of("week", 2019)


def test_a_period_cannot_be_made_with_an_index_outside_its_kind() -> None:
    with pytest.raises(ValueError, match="1..4"):
        Period("quarter", 2019, 5)
    with pytest.raises(ValueError, match="1..2"):
        Period("half_year", 2019, 0)
