"""The typed read views of `ehsj_core.events.views` against the registry models of `schemas.py`.

A view is what every reader of the log gets instead of a dict, so it must say exactly what the model
stored: the same fields, optional exactly where the model has a default, and `view_data` giving back
the stored data unchanged.
"""

from __future__ import annotations

from typing import Any

import pytest

from ehsj_core.events.schemas import EVENT_TYPES, validate_data
from ehsj_core.events.views import VIEWS, to_view, view_data
from tests.unit.builders import contract, cvr

EFFECT = ["hoj", "nogen", "lav", "slet_ikke", "ved_ikke", "lav", "lav"]
TARGET = "0b7c5a52-3f1e-4d0a-9c1b-2a6f4e8d9c10"

# Per type: a sample with the required fields only, and one with every optional field given.
SAMPLES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "course.completed": (
        {"course_type": "short", "municipality": "Lolland", "consultant": "Anne"},
        {
            "course_type": "growth_plan",
            "company_cvr": cvr(1),
            "company_name": "Havnens Smedie ApS",
            "municipality": "Sorø",
            "consultant": "Anne",
            "topics": ["export", "digital_business_model"],
            "segment": "sme",
            "event_ref": TARGET,
        },
    ),
    "company.referred": (
        {
            "company_cvr": cvr(2),
            "from_course": "action_plan",
            "referred_to": "Innovationsfonden",
            "referral_kind": "other_public",
        },
        {
            "company_cvr": cvr(2),
            "from_course": "development_plan",
            "referred_to": "Vækstfonden",
            "referral_kind": "state_scheme",
            "municipality": "Køge",
        },
    ),
    "meeting.held": (
        {"meeting_kind": "all_actors"},
        {
            "meeting_kind": "council_presentation_offered",
            "title": "Præsentation",
            "municipality": "Faxe",
            "participants": 12,
        },
    ),
    "newsletter.sent": (
        {"channel": "Erhvervsrådets nyhedsbrev", "channel_kind": "local_business_council"},
        {"channel": "Husets nyhedsbrev", "channel_kind": "house", "municipality": "Greve", "recipients": 850},
    ),
    "event.held": (
        {"event_kind": "conference", "title": "Vækstkonference", "municipality": "Roskilde", "participants": 140},
        {"event_kind": "joint_hovedstaden", "title": "Fælles arrangement", "municipality": "Køge", "participants": 0},
    ),
    "evaluation.received": (
        {
            "course_type": "action_plan",
            "company_cvr": cvr(3),
            "nps": 9,
            "satisfaction": 4,
            "consultant_competence": 5,
            "effect": EFFECT,
        },
        {
            "course_type": "development_plan",
            "company_cvr": cvr(3),
            "nps": 0,
            "satisfaction": 1,
            "consultant_competence": 1,
            "effect": ["ved_ikke"] * 7,
        },
    ),
    "agreement.signed": (
        {"partner": "Copenhagen Capacity", "agreement_kind": "copenhagen_capacity"},
        {"partner": "Stevns Kommune", "agreement_kind": "municipality", "municipality": "Stevns"},
    ),
    "staff.designated": (
        {"consultant": "Bo", "role": "digital_expert"},
        {"consultant": "Cai", "role": "cross_region"},
    ),
    "milestone.reached": (
        {"milestone": "8.strategy_2020_draft"},
        {"milestone": "9.companies_mapped", "evidence": "Kortlægning sendt til KKR"},
    ),
    "effect_measurement.reported": (
        {
            "measure": "jobs",
            "year": 2019,
            "customers_growth_pct": 12.5,
            "control_growth_pct": 1,
            "companies": 180,
            "control_companies": 5400,
            "source": "Erhvervsstyrelsen, effektmåling 2021",
            "published_on": "2021-06-30",
        },
        {
            "measure": "turnover",
            "year": 2019,
            "customers_growth_pct": -3.25,
            "control_growth_pct": -4.0,
            "companies": 1,
            "control_companies": 1,
            "source": "Erhvervsstyrelsen",
            "published_on": "2021-06-30",
        },
    ),
    "official_figure.reported": (
        {"target": "3.nps", "year": 2019, "value": 45, "source": "Erhvervsstyrelsen", "published_on": "2020-03-01"},
        {
            "target": "4.effect",
            "year": 2019,
            "value": 71.5,
            "source": "Erhvervsstyrelsen, brugerevaluering",
            "published_on": "2020-03-01",
            "note": "Opgjort over 412 besvarelser",
        },
    ),
    "event.retracted": (
        {"target_event_id": TARGET, "reason": "fejlregistrering"},
        {"target_event_id": TARGET, "reason": "dobbeltregistrering"},
    ),
    "period.closed": (
        {"year": 2019},
        {"year": 2019, "note": "Endelig resultatopgørelse"},
    ),
}


def test_every_event_type_has_a_view_and_a_sample():
    assert VIEWS.keys() == EVENT_TYPES.keys()
    assert SAMPLES.keys() == EVENT_TYPES.keys()


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_a_view_has_exactly_the_fields_of_its_model(event_type):
    assert set(VIEWS[event_type]._fields) == set(EVENT_TYPES[event_type].model_fields)


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_a_view_field_is_optional_exactly_where_the_model_has_a_default(event_type):
    model_optional = {name for name, f in EVENT_TYPES[event_type].model_fields.items() if not f.is_required()}
    assert set(VIEWS[event_type]._field_defaults) == model_optional


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
@pytest.mark.parametrize("which", [0, 1], ids=["required_only", "every_field"])
def test_view_data_of_the_view_gives_back_the_stored_data(event_type, which):
    stored = validate_data(event_type, SAMPLES[event_type][which], contract())
    view = to_view(event_type, stored)
    assert isinstance(view, VIEWS[event_type])
    assert view_data(view) == stored


def test_the_every_field_samples_give_every_field():
    for event_type, (_required, full) in SAMPLES.items():
        stored = validate_data(event_type, full, contract())
        assert stored.keys() == EVENT_TYPES[event_type].model_fields.keys(), event_type
