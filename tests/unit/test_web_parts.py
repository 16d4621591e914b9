"""The pure parts of the web app and of sign-in: forms to envelopes, chart geometry, passwords, the secret."""

from __future__ import annotations

import warnings

import pytest
from pydantic import ValidationError

from ehsj_core.contract.loader import read_contract_folder
from ehsj_core.events.rulebook import may_retract
from ehsj_core.passwords import hash_password, password_problem, verify_password
from ehsj_core.projections.status import TargetStatus
from ehsj_core.settings import Settings
from ehsj_core.users import Principal
from services.api.web.auth import safe_next
from services.api.web.forms import event_forms, field_of, raw_event
from services.api.web.svg import bar_geometry, nice_ceiling
from tests.conftest import CONTRACTS
from tests.unit.builders import sjaelland_contract

CONTRACT = sjaelland_contract(read_contract_folder(CONTRACTS))
FORMS = event_forms(CONTRACT)


def target(
    kind: str, actual: float | None, target: float | None = None, expected: float | None = None, **extra: object
) -> TargetStatus:
    values: dict[str, object] = {
        "key": "k",
        "kind": kind,
        "label": "L",
        "actual": actual,
        "target": target,
        "target_min": None,
        "target_max": None,
        "unit": None,
        "status": "on_track",
        "status_label": "i rute",
        "fulfilment_pct": None,
        "expected_by_now": expected,
        "deadline": None,
        "reached_on": None,
        "note": None,
    }
    values.update(extra)
    return TargetStatus(**values)  # type: ignore[arg-type]


def test_a_form_becomes_the_api_envelope_with_empty_optional_fields_left_out() -> None:
    values = {
        "occurred_on": " 2019-05-02 ",
        "course_type": "action_plan",
        "company_cvr": " 10000009 ",
        "company_name": "",
        "municipality": "Lolland",
        "consultant": "Karen",
        "topics": ["export"],
        "segment": "",
    }
    assert raw_event(FORMS["forloeb"], values, "id-1") == {
        "event_id": "id-1",
        "type": "course.completed",
        "occurred_on": "2019-05-02",
        "data": {
            "course_type": "action_plan",
            "company_cvr": "10000009",
            "municipality": "Lolland",
            "consultant": "Karen",
            "topics": ["export"],
        },
    }


def test_whole_numbers_become_numbers_and_anything_else_is_left_for_the_core_to_refuse() -> None:
    form = FORMS["arrangement"]
    base = {"occurred_on": "2019-05-02", "event_kind": "event", "title": "T", "municipality": "Køge"}
    assert raw_event(form, {**base, "participants": "140"}, "x")["data"]["participants"] == 140
    assert raw_event(form, {**base, "participants": "mange"}, "x")["data"]["participants"] == "mange"
    answers = raw_event(
        FORMS["evaluering"], {"occurred_on": "2019-05-02", "effect": ["hoj", "", "", "", "", "", ""]}, "x"
    )
    assert answers["data"]["effect"] == ["hoj", "", "", "", "", "", ""]


def test_problems_of_the_core_land_at_the_form_field_they_concern() -> None:
    course = FORMS["forloeb"]
    assert field_of(course, "data.company_cvr") == "company_cvr"
    assert field_of(course, "data") == "company_cvr"  # "CVR required for a specialised course"
    assert field_of(FORMS["moede"], "data") == "municipality"
    assert field_of(FORMS["evaluering"], "data.effect.3") == "effect"
    assert field_of(course, "occurred_on") == "occurred_on"
    assert field_of(course, "event_id") is None


def test_the_forms_offer_the_contracts_choices_in_danish() -> None:
    course = {f.name: f for f in FORMS["forloeb"].fields}
    assert ("action_plan", "Handlingsplan") in course["course_type"].choices
    assert len(course["municipality"].choices) == 17
    milestones = dict(next(f for f in FORMS["milepael"].fields if f.name == "milestone").choices)
    assert milestones["5B.code_of_conduct"].startswith("Mål 5B: ")


def test_the_bar_shows_actual_pace_and_target_as_shares_of_its_scale() -> None:
    assert bar_geometry(target("count", 150, 300, 200)) == (0.5, 200 / 300, None)
    assert bar_geometry(target("count", 400, 300, 310)) == (1.0, 1.0, None)
    assert bar_geometry(target("rate", 85.0, 80)) == (0.85, None, 0.8)
    assert bar_geometry(target("score", 0, 50)) == (0.5, None, 0.75)
    assert bar_geometry(target("milestone", 1)) == (1.0, None, None)
    assert bar_geometry(target("max_deviation", 1.0, 2)) == (0.25, None, 0.5)


@pytest.mark.parametrize(
    ("value", "ceiling"), [(0, 1), (0.7, 1), (7, 10), (13, 20), (230, 250), (463, 500), (1_001, 2_000)]
)
def test_chart_axes_end_on_a_round_number(value: float, ceiling: float) -> None:
    assert nice_ceiling(value) == ceiling


def test_passwords_are_argon2_hashes_that_verify_and_short_ones_are_refused() -> None:
    stored = hash_password("en-lang-adgangskode")
    assert stored.startswith("$argon2id$")
    assert verify_password("en-lang-adgangskode", stored) == (True, None)
    assert verify_password("forkert-adgangskode", stored)[0] is False
    assert verify_password("hvad-som-helst", None) == (False, None)
    assert verify_password("hvad-som-helst", "not-a-hash") == (False, None)
    assert password_problem("kort") == "adgangskoden skal have mindst 10 tegn"
    assert password_problem(" " * 12) is not None
    assert password_problem("en-lang-adgangskode") is None


def test_production_refuses_a_missing_or_placeholder_secret_key() -> None:
    for key in (None, "changethis", "x" * 31):
        with pytest.raises(ValidationError, match="EHSJ_SECRET_KEY"):
            Settings(environment="production", secret_key=key)
    assert Settings(environment="production", secret_key="k" * 40).secret_key is not None


def test_outside_production_a_missing_key_becomes_a_random_one_and_a_placeholder_warns() -> None:
    first, second = Settings(environment="development"), Settings(environment="development")
    assert first.secret_key is not None and second.secret_key is not None
    assert first.secret_key.get_secret_value() != second.secret_key.get_secret_value()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Settings(environment="test", secret_key="changethis")
    assert any("placeholder" in str(w.message) for w in caught)


def test_a_chief_sees_only_their_own_municipality_and_retracts_nothing() -> None:
    chief = Principal(1, "Lars", "chief", "Lolland")
    assert chief.may_see_municipality("lolland") and not chief.may_see_municipality("Sorø")
    assert not may_retract(chief, "Lars")
    consultant = Principal(2, "Karen", "consultant", None)
    assert (
        consultant.may_see_municipality("Sorø")
        and may_retract(consultant, "Karen")
        and not may_retract(consultant, "Kim")
    )
    assert may_retract(Principal(3, "Dorte", "director", None), "Kim")


def test_after_signing_in_the_browser_only_goes_to_a_page_of_this_site() -> None:
    assert safe_next("/historik?type=x") == "/historik?type=x"
    for unsafe in ("//evil.example", "https://evil.example", "/\\\\evil", None, 7):
        assert safe_next(unsafe) == "/"
