"""`sign_in_oidc` on SQLite and PostgreSQL: found by (issuer, subject), created once, its role set from
the groups at every sign-in, never another user's name, disabled users kept out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from ehsj_core.accounts import disable_user, sign_in
from ehsj_core.oidc import GroupRules, SignInRefused, parse_group_map, sign_in_oidc
from ehsj_core.settings import Settings
from ehsj_core.tracker import Tracker
from ehsj_core.users import create_user, users_table
from services.api.app import create_app
from tests.conftest import CONTRACTS
from tests.mailsink import free_port

ISSUER = "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0"
GRANTS = parse_group_map(
    json.dumps(
        {
            "consultants": {"role": "consultant"},
            "directors": {"role": "director"},
            "lolland": {"role": "chief", "municipality": "LOLLAND"},
            "atlantis": {"role": "chief", "municipality": "Atlantis"},
        }
    )
)
RULES = GroupRules("groups", GRANTS, "sjaelland", municipalities=("Lolland", "Næstved"))
KAREN = {"name": "Karen Holm", "email": "karen@ehsj.example", "groups": ["consultants"]}


def users(engine: Engine) -> list[tuple[str, str, str | None, str | None]]:
    t = users_table
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.name, t.c.role, t.c.municipality, t.c.oidc_subject).order_by(t.c.id))
        return [tuple(r) for r in rows]


def test_the_first_sign_in_creates_the_user_and_later_ones_find_them(engine: Engine) -> None:
    first = sign_in_oidc(engine, ISSUER, "sub-1", KAREN, RULES)
    again = sign_in_oidc(engine, ISSUER, "sub-1", KAREN | {"name": "Karen Holm-Jensen"}, RULES)
    assert (first.name, first.role, first.municipality) == ("Karen Holm", "consultant", None)
    assert again == first  # the name stays: it is what the log records the events under
    assert users(engine) == [("Karen Holm", "consultant", None, "sub-1")]
    assert sign_in(engine, "Karen Holm", "any password at all") is None


def test_the_groups_set_the_role_at_every_sign_in(engine: Engine) -> None:
    sign_in_oidc(engine, ISSUER, "sub-1", KAREN, RULES)
    promoted = sign_in_oidc(engine, ISSUER, "sub-1", KAREN | {"groups": ["consultants", "directors"]}, RULES)
    assert promoted.role == "director"
    moved = sign_in_oidc(engine, ISSUER, "sub-1", KAREN | {"groups": ["lolland"]}, RULES)
    assert (moved.role, moved.municipality) == ("chief", "Lolland")  # spelled as the contract does
    assert users(engine) == [("Karen Holm", "chief", "Lolland", "sub-1")]
    with pytest.raises(SignInRefused, match="ikke medlem af en gruppe"):
        sign_in_oidc(engine, ISSUER, "sub-1", KAREN | {"groups": []}, RULES)


def test_a_taken_name_is_never_taken_over(engine: Engine) -> None:
    create_user(engine, "Karen Holm", "director", password="korrekt-hest-batteri")
    newcomer = sign_in_oidc(engine, ISSUER, "sub-1", KAREN, RULES)
    namesake = sign_in_oidc(engine, ISSUER, "sub-2", KAREN | {"email": None}, RULES)
    other_issuer = sign_in_oidc(engine, "https://idp.example", "sub-1", KAREN, RULES)
    assert newcomer.name == "Karen Holm (karen@ehsj.example)"
    assert newcomer.role == "consultant"
    assert namesake.name == "Karen Holm (2)"
    assert other_issuer.name == "Karen Holm (3)"  # the same subject at another provider is somebody else
    assert len({newcomer.id, namesake.id, other_issuer.id}) == 3


def test_a_user_disabled_here_stays_out(engine: Engine) -> None:
    user = sign_in_oidc(engine, ISSUER, "sub-1", KAREN, RULES)
    disable_user(engine, user.name)
    with pytest.raises(SignInRefused, match="deaktiveret") as caught:
        sign_in_oidc(engine, ISSUER, "sub-1", KAREN, RULES)
    assert caught.value.status == 403


def test_a_chief_of_a_municipality_the_contract_does_not_know_is_refused(engine: Engine) -> None:
    with pytest.raises(SignInRefused, match="Atlantis"):
        sign_in_oidc(engine, ISSUER, "sub-9", KAREN | {"groups": ["atlantis"]}, RULES)
    assert users(engine) == []


def test_a_provider_that_does_not_answer_gets_a_danish_page_not_a_traceback(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'sso.sqlite3'}",
        contracts_dir=CONTRACTS,
        environment="test",
        oidc_discovery_url=f"http://127.0.0.1:{free_port()}/.well-known/openid-configuration",  # nobody there
        oidc_client_id="ehsj",
        oidc_group_map=json.dumps({"consultants": {"role": "consultant"}}),
    )
    tracker = Tracker(settings)
    with TestClient(create_app(settings, tracker), base_url="https://testserver") as client:
        sign_in_page = client.get("/log-ind")
        answer = client.get("/log-ind/sso", follow_redirects=False)
    tracker.engine.dispose()
    assert "Log ind med organisationens konto" in sign_in_page.text
    assert answer.status_code == 502
    assert "svarer ikke lige nu" in answer.text
