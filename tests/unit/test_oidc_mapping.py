"""Single sign-on's rules without a provider: groups to a role, and the settings that configure them."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from ehsj_core.oidc import GroupRules, SignInRefused, grant_for, parse_group_map, sso_config
from ehsj_core.settings import Settings

CONSULTANTS = "6f1c0d0e-0000-4000-8000-000000000001"
DIRECTORS = "6f1c0d0e-0000-4000-8000-000000000002"
AUDITORS = "6f1c0d0e-0000-4000-8000-000000000003"
LOLLAND = "6f1c0d0e-0000-4000-8000-000000000004"
NAESTVED = "6f1c0d0e-0000-4000-8000-000000000005"
OTHER_HOUSE = "6f1c0d0e-0000-4000-8000-000000000006"
GROUP_MAP = {
    CONSULTANTS: {"role": "consultant"},
    DIRECTORS: {"role": "director"},
    AUDITORS: {"role": "auditor", "house": "sjaelland"},
    LOLLAND: {"role": "chief", "municipality": "Lolland"},
    NAESTVED: {"role": "chief", "municipality": "Næstved"},
    OTHER_HOUSE: {"role": "director", "house": "hovedstaden"},
}
RULES = GroupRules("groups", parse_group_map(json.dumps(GROUP_MAP)), "sjaelland")


def role_of(*groups: str) -> tuple[str, str | None]:
    grant = grant_for({"groups": list(groups)}, RULES)
    return grant.role, grant.municipality


def refusal(claims: dict[str, object]) -> str:
    with pytest.raises(SignInRefused) as caught:
        grant_for(claims, RULES)
    return caught.value.reason


def sso_settings(**overrides: str) -> Settings:
    values = {
        "oidc_discovery_url": "https://login.microsoftonline.com/t/v2.0/.well-known/openid-configuration",
        "oidc_client_id": "ehsj-app",
        "oidc_group_map": json.dumps(GROUP_MAP),
    } | overrides
    return Settings(environment="test", **values)  # type: ignore[arg-type]


def test_one_mapped_group_gives_its_role() -> None:
    assert role_of("unrelated", CONSULTANTS) == ("consultant", None)
    assert role_of(LOLLAND) == ("chief", "Lolland")


def test_the_grant_that_includes_all_others_wins() -> None:
    assert role_of(CONSULTANTS, DIRECTORS) == ("director", None)
    assert role_of(LOLLAND, CONSULTANTS) == ("consultant", None)
    assert role_of(AUDITORS, DIRECTORS, LOLLAND) == ("director", None)


def test_grants_that_no_one_includes_are_refused_rather_than_guessed() -> None:
    assert "ikke kan forenes" in refusal({"groups": [CONSULTANTS, AUDITORS]})
    assert "ikke kan forenes" in refusal({"groups": [LOLLAND, NAESTVED]})


def test_no_mapped_group_is_refused_with_a_reason() -> None:
    assert "ikke medlem af en gruppe" in refusal({"groups": ["somebody-elses-group"]})
    assert "ikke medlem af en gruppe" in refusal({})
    assert "ikke medlem af en gruppe" in refusal({"groups": 42})


def test_a_grant_for_another_house_gives_nothing_here() -> None:
    assert "ikke medlem af en gruppe" in refusal({"groups": [OTHER_HOUSE]})
    assert role_of(OTHER_HOUSE, CONSULTANTS) == ("consultant", None)


def test_a_single_group_as_a_string_counts() -> None:
    assert grant_for({"groups": DIRECTORS}, RULES).role == "director"


def test_entra_groups_overage_is_explained() -> None:
    claims = {"_claim_names": {"groups": "src1"}, "_claim_sources": {"src1": {"endpoint": "https://graph"}}}
    assert "så mange grupper" in refusal(claims)


def test_app_roles_can_carry_the_groups() -> None:
    rules = GroupRules("roles", parse_group_map('{"EHSJ.Konsulent": {"role": "consultant"}}'), "sjaelland")
    assert grant_for({"roles": ["EHSJ.Konsulent"], "groups": [DIRECTORS]}, rules).role == "consultant"


@pytest.mark.parametrize(
    ("group_map", "expected"),
    [
        ("{not json", "ikke gyldig JSON"),
        ('["consultant"]', "JSON-objekt"),
        ('{"g": {"role": "admin"}}', "ugyldig rolle 'admin'"),
        ('{"g": {"role": "chief"}}', 'skal have "municipality"'),
        ('{"g": {"role": "chief", "municipality": " "}}', "må ikke være tom"),
        ('{"g": {"role": "consultant", "municipality": "Lolland"}}', 'kun en erhvervschef (chief) har "municipality"'),
        ('{"g": {"role": "consultant", "municipalty": "Lolland"}}', "municipalty"),
        ('{"g": "consultant"}', "gruppen 'g' er forkert"),
        ('{"g": {"role": "director", "house": "hovedstaden"}}', "ingen gruppe giver adgang til huset 'sjaelland'"),
    ],
)
def test_a_misconfigured_group_map_stops_the_settings_naming_the_setting(group_map: str, expected: str) -> None:
    with pytest.raises(ValidationError) as caught:
        sso_settings(oidc_group_map=group_map)
    assert "EHSJ_OIDC_GROUP_MAP" in str(caught.value)
    assert expected in str(caught.value)


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        ({"oidc_client_id": " "}, "EHSJ_OIDC_CLIENT_ID"),
        ({"oidc_scopes": "profile email"}, "EHSJ_OIDC_SCOPES"),
        ({"oidc_discovery_url": "http://idp.example/.well-known/openid-configuration"}, "EHSJ_OIDC_DISCOVERY_URL"),
        ({"oidc_groups_claim": " "}, "EHSJ_OIDC_GROUPS_CLAIM"),
    ],
)
def test_incomplete_single_sign_on_settings_name_the_setting(overrides: dict[str, str], setting: str) -> None:
    with pytest.raises(ValidationError, match=setting):
        sso_settings(**overrides)


def test_without_a_discovery_url_single_sign_on_is_off() -> None:
    assert sso_config(Settings(environment="test")) is None
    config = sso_config(sso_settings(oidc_scopes="openid  profile"))
    assert config is not None
    assert config.scopes == "openid profile"
    assert config.grants[LOLLAND].municipality == "Lolland"
