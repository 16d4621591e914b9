"""Single sign-on in Chromium against a real OpenID Connect provider (tests/oidc_provider.py): the
role comes from the group claim, a person without a mapped group is refused, signing out ends it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from ehsj_core.accounts import sign_in as password_sign_in
from ehsj_core.db import create_db_engine
from ehsj_core.settings import Settings
from ehsj_core.setup import initialise
from ehsj_core.tracker import Tracker
from ehsj_core.users import users_table
from tests.conftest import CONTRACTS
from tests.e2e.conftest import ARTIFACTS, LiveApp, served
from tests.oidc_provider import Provider, oidc_provider

# The test provider (oidc-provider-mock) still uses Authlib's older signing hook; not our code.
pytestmark = pytest.mark.filterwarnings("ignore:get_jwt_config.*is deprecated:DeprecationWarning")
CONSULTANTS, CHIEFS_LOLLAND, CANTEEN = "grp-konsulenter", "grp-erhvervschef-lolland", "grp-kantine"
GROUP_MAP = {CONSULTANTS: {"role": "consultant"}, CHIEFS_LOLLAND: {"role": "chief", "municipality": "lolland"}}
PEOPLE = {
    "sub-karen": {"name": "Karen Sso", "email": "karen@ehsj.example", "groups": [CONSULTANTS, CANTEEN]},
    "sub-lars": {"name": "Lars Sso", "email": "lars@lolland.example", "groups": [CHIEFS_LOLLAND]},
    "sub-kurt": {"name": "Kurt Kantine", "email": "kurt@ehsj.example", "groups": [CANTEEN]},
}


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with oidc_provider(PEOPLE) as running:
        yield running


@pytest.fixture
def sso_app(tmp_path: Path, provider: Provider) -> Iterator[LiveApp]:
    """The app on a real uvicorn with single sign-on configured against the provider."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'sso.sqlite3'}",
        contracts_dir=CONTRACTS,
        environment="test",
        outbox_dir=tmp_path / "outbox",
        oidc_discovery_url=provider.discovery_url,
        oidc_client_id="ehsj-test",
        oidc_client_secret="not-checked-by-the-test-provider",
        oidc_group_map=json.dumps(GROUP_MAP),
    )
    engine = create_db_engine(settings.database_url)
    initialise(engine, settings.contracts_dir)
    tracker = Tracker(settings, engine)
    try:
        with served(settings, tracker) as app:
            yield app
    finally:
        engine.dispose()


def sign_in_with_sso(page: Page, app: LiveApp, subject: str, path: str = "/", screenshot: str | None = None) -> None:
    """Open `path`, be sent to sign in, press the organisation's button, choose the account at the provider."""
    page.goto(app.url(path))
    if screenshot:
        (ARTIFACTS / "screens").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "screens" / screenshot), full_page=True)
    page.get_by_role("link", name="Log ind med organisationens konto").click()
    page.get_by_role("button", name=subject, exact=True).click()


def user_row(app: LiveApp, subject: str) -> sa.Row[tuple[object, ...]] | None:
    t = users_table
    with app.tracker.engine.connect() as conn:
        return conn.execute(sa.select(t).where(t.c.oidc_subject == subject)).first()


def test_a_consultant_signs_in_with_the_organisations_account_and_may_log(
    page: Page, sso_app: LiveApp, provider: Provider
) -> None:
    with page.expect_request(lambda r: "/oauth2/authorize" in r.url) as asked:
        sign_in_with_sso(page, sso_app, "sub-karen", path="/registrer", screenshot="log-ind-sso-desktop.png")
    page.wait_for_url(sso_app.url("/registrer"))
    query = parse_qs(urlsplit(asked.value.url).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]
    assert query["redirect_uri"] == [sso_app.url("/log-ind/sso/callback")]
    expect(page.locator(".who")).to_have_text("Karen Sso · Konsulent")
    expect(page.get_by_role("navigation", name="Hovedmenu").get_by_role("link", name="Registrér")).to_be_visible()

    row = user_row(sso_app, "sub-karen")
    assert row is not None
    assert (row.name, row.role, row.password_hash) == ("Karen Sso", "consultant", None)
    assert row.oidc_issuer == provider.issuer
    assert password_sign_in(sso_app.tracker.engine, "Karen Sso", "korrekt-hest-batteri") is None  # has none


def test_a_chief_gets_their_municipality_from_the_group_claim(page: Page, sso_app: LiveApp) -> None:
    sign_in_with_sso(page, sso_app, "sub-lars")
    page.wait_for_url(sso_app.url("/"))
    expect(page.locator(".who")).to_have_text("Lars Sso · Erhvervschef (Lolland)")
    menu = page.get_by_role("navigation", name="Hovedmenu")
    expect(menu.get_by_role("link")).to_have_text(["Overblik", "Lolland Kommune"])
    answer = page.goto(sso_app.url("/kommuner/Lolland"))
    assert answer is not None and answer.status == 200
    answer = page.goto(sso_app.url("/historik"))
    assert answer is not None and answer.status == 403


def test_a_person_without_a_mapped_group_is_refused_in_danish(page: Page, sso_app: LiveApp) -> None:
    with page.expect_response(lambda r: "/log-ind/sso/callback" in r.url) as callback:
        sign_in_with_sso(page, sso_app, "sub-kurt")
    assert callback.value.status == 403
    expect(page.get_by_role("heading", name="Log ind lykkedes ikke")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("ikke medlem af en gruppe, der giver adgang")
    assert user_row(sso_app, "sub-kurt") is None
    page.goto(sso_app.url("/"))
    page.wait_for_url("**/log-ind")


def test_signing_out_ends_the_single_sign_on_session_here_and_at_the_provider(page: Page, sso_app: LiveApp) -> None:
    sign_in_with_sso(page, sso_app, "sub-karen")
    page.wait_for_url(sso_app.url("/"))
    page.get_by_role("button", name="Log ud").click()
    page.wait_for_url("**/log-ind?logget_ud=1")
    page.goto(sso_app.url("/historik"))
    page.wait_for_url("**/log-ind?next=%2Fhistorik")

    page.goto(sso_app.url("/log-ind?logget_ud=1"))
    page.get_by_role("link", name="Log også ud af organisationens konto").click()
    page.get_by_role("button", name="End session").click()  # the provider's own page
    page.wait_for_url(sso_app.url("/log-ind"))
    expect(page.get_by_role("link", name="Log ind med organisationens konto")).to_be_visible()


def test_a_forged_or_stale_return_from_the_provider_is_refused(page: Page, sso_app: LiveApp) -> None:
    answer = page.goto(sso_app.url("/log-ind/sso/callback?code=stolen&state=guessed"))
    assert answer is not None and answer.status == 400
    expect(page.get_by_role("alert")).to_contain_text("Start forfra")
    answer = page.goto(sso_app.url("/log-ind/sso/callback?error=access_denied&state=x"))
    assert answer is not None and answer.status == 403
