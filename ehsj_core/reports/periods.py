"""Reporting periods of a contract year: quarters, half-years and the year itself.

A period is named by a key a person can type and a URL can carry: "2019Q3", "2019H1", "2019".

Two kinds of report are not tied to the calendar alone, and their ledger periods say which one they
are (the ledger's `period` column holds at most 16 characters):
- a status KKR asked for (`annual_status` on request): "2019-" and 11 letters and digits derived
  from the client's request key (`request_period`), one period per request;
- the final statement of a close (`final_statement`): "2019" for the year's first close, "2019-2",
  "2019-3" … for a close after a reopening (`closing_period`).
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from ehsj_core.events.validation import InvalidInput, Problem
from ehsj_core.reports.labels import MONTHS

PeriodKind = Literal["quarter", "half_year", "year"]
PERIOD_KINDS: tuple[PeriodKind, ...] = ("quarter", "half_year", "year")
_COUNT = {"quarter": 4, "half_year": 2, "year": 1}  # periods per year
_MONTHS = {"quarter": 3, "half_year": 6, "year": 12}  # months per period
_LETTER = {"quarter": "Q", "half_year": "H", "year": ""}
_NOUN = {"quarter": "kvartal", "half_year": "halvår", "year": ""}
_PATTERN = re.compile(r"^(\d{4})(?:([QqHh])(\d))?$")
FIRST_YEAR, LAST_YEAR = 2000, 2100  # the years a contract may have (Contract.year)
REQUEST_TOKEN_LENGTH = 11  # "2019-" + 11 = 16 characters, the ledger's period column
_REQUEST = re.compile(r"^(\d{4})-([a-z2-7]{11})$")  # REQUEST_TOKEN_LENGTH letters and digits
_CLOSING = re.compile(r"^(\d{4})(?:-([2-9]|[1-9]\d{1,2}))?$")
REQUEST_KEY = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")  # what a client may send as its request key


@dataclass(frozen=True)
class Period:
    """One reporting period; everything but kind, year and index is derived from them."""

    kind: PeriodKind
    year: int
    index: int = 1

    def __post_init__(self) -> None:
        if self.kind not in _COUNT:
            raise ValueError(f"unknown period kind {self.kind!r}; allowed: {', '.join(PERIOD_KINDS)}")
        if not 1 <= self.index <= _COUNT[self.kind]:
            raise ValueError(f"a {self.kind} index lies in 1..{_COUNT[self.kind]}, not {self.index}")

    @property
    def key(self) -> str:
        """ "2019Q3", "2019H1" or "2019"."""
        letter = _LETTER[self.kind]
        return f"{self.year}{letter}{self.index}" if letter else str(self.year)

    @property
    def first_month(self) -> int:
        return (self.index - 1) * _MONTHS[self.kind] + 1

    @property
    def start(self) -> date:
        return date(self.year, self.first_month, 1)

    @property
    def end(self) -> date:
        """The last day of the period."""
        last = self.first_month + _MONTHS[self.kind] - 1
        following = date(self.year + 1, 1, 1) if last == 12 else date(self.year, last + 1, 1)
        return following - timedelta(days=1)

    @property
    def months(self) -> tuple[str, ...]:
        """The months of the period as "YYYY-MM", in order."""
        return tuple(f"{self.year}-{m:02d}" for m in range(self.first_month, self.first_month + _MONTHS[self.kind]))

    @property
    def months_to_date(self) -> tuple[str, ...]:
        """The months of the year up to and including the period's last month (year to date)."""
        return tuple(f"{self.year}-{m:02d}" for m in range(1, self.end.month + 1))

    @property
    def label(self) -> str:
        """Danish: "3. kvartal 2019", "1. halvår 2019", "2019"."""
        noun = _NOUN[self.kind]
        return f"{self.index}. {noun} {self.year}" if noun else str(self.year)

    @property
    def span_label(self) -> str:
        """Danish: "juli–september 2019"."""
        return f"{MONTHS[self.start.month - 1]}–{MONTHS[self.end.month - 1]} {self.year}"

    def previous(self) -> Period | None:
        """The period before this one in the same year, or None for the first."""
        return None if self.index == 1 else Period(self.kind, self.year, self.index - 1)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "year": self.year,
            "index": self.index,
            "key": self.key,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "label": self.label,
        }


def periods_of(kind: str, year: int) -> list[Period]:
    """Every period of the kind in the year, in order."""
    checked = _kind(kind)
    return [Period(checked, year, i) for i in range(1, _COUNT[checked] + 1)]


def period_of(kind: str, day: date) -> Period:
    """The period of the kind that contains `day`."""
    checked = _kind(kind)
    return Period(checked, day.year, (day.month - 1) // _MONTHS[checked] + 1)


def parse_period(text: str, kind: str) -> Period:
    """ "2019Q3" as a quarter, "2019H1" as a half-year, "2019" as a year; else `InvalidInput`."""
    checked = _kind(kind)
    raw = text.strip() if isinstance(text, str) else ""
    match = _PATTERN.match(raw)
    year = int(match.group(1)) if match else None
    examples = [p.key for p in periods_of(checked, year if year and FIRST_YEAR <= year <= LAST_YEAR else 2019)]
    noun = {"quarter": "et kvartal", "half_year": "et halvår", "year": "et år"}[checked]
    shape = {"quarter": "ÅÅÅÅQn (n = 1–4)", "half_year": "ÅÅÅÅHn (n = 1–2)", "year": "ÅÅÅÅ"}[checked]

    def refuse(problem: str) -> InvalidInput:
        return InvalidInput([Problem("period", text, problem, examples)])

    if match is None or year is None:
        raise refuse(f"skal angive {noun} som {shape}, fx {examples[-1]}")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise refuse(f"året skal ligge mellem {FIRST_YEAR} og {LAST_YEAR}")
    letter, digit = match.group(2), match.group(3)
    given = "year" if letter is None else {"Q": "quarter", "H": "half_year"}[letter.upper()]
    if given != checked:
        raise refuse(f"her skal angives {noun} ({shape}), ikke {_article(given)}")
    index = 1 if digit is None else int(digit)
    if not 1 <= index <= _COUNT[checked]:
        raise refuse(f"{_NOUN[checked]} nummer {index} findes ikke; det skal være 1–{_COUNT[checked]}")
    return Period(checked, year, index)


def _article(kind: str) -> str:
    return {"quarter": "et kvartal", "half_year": "et halvår", "year": "et helt år"}[kind]


def _kind(kind: str) -> PeriodKind:
    for known in PERIOD_KINDS:
        if kind == known:
            return known
    raise InvalidInput([Problem("kind", kind, "ukendt periodetype", list(PERIOD_KINDS))])


# --- periods of the reports that do not follow the calendar alone --------------------------------------
def request_period(year: int, request_key: str) -> str:
    """The ledger period of one request for a status ("2019-k3j5h2m4x9q"): the year and the first 55
    bits of SHA-256 of the year and the client's key, in lower-case base32. The same key gives the same
    period, so a retried request finds its ledger rows and sends nothing again."""
    checked = request_key.strip() if isinstance(request_key, str) else ""
    if not REQUEST_KEY.match(checked):
        problem = "anmodningsnøglen skal være 8–128 tegn: bogstaver, cifre og ._:- (fx et UUID)"
        raise InvalidInput([Problem("request_key", request_key, problem)])
    raw = hashlib.sha256(f"{year}:{checked}".encode()).digest()
    token = base64.b32encode(raw).decode("ascii").lower()[:REQUEST_TOKEN_LENGTH]
    return f"{year}-{token}"


def is_request_period(text: str) -> bool:
    return bool(_REQUEST.match(text))


def closing_period(year: int, ordinal: int) -> str:
    """The ledger period of the final statement of the year's `ordinal`-th close: "2019", "2019-2" …"""
    return str(year) if ordinal == 1 else f"{year}-{ordinal}"


def parse_closing_period(text: str) -> tuple[int, int]:
    """ "2019" → (2019, 1); "2019-2" → (2019, 2): the year and which of its closes."""
    raw = text.strip() if isinstance(text, str) else ""
    match = _CLOSING.match(raw)
    if match is None or not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
        problem = (
            "skal angive året (ÅÅÅÅ), eller ÅÅÅÅ-n for årets n'te lukning efter en genåbning, fx 2019 eller 2019-2"
        )
        raise InvalidInput([Problem("period", text, problem, ["2019", "2019-2"])])
    return int(match.group(1)), int(match.group(2) or 1)
