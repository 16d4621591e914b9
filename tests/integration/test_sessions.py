"""Server-side web sessions and named API tokens, through the test client on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from itsdangerous import Signer
from sqlalchemy.engine import Engine

from ehsj_core.accounts import disable_user, list_accounts, set_password
from ehsj_core.db import create_db_engine
from ehsj_core.migrate import MIGRATIONS
from ehsj_core.sessions import sessions_table
from ehsj_core.settings import Settings
from ehsj_core.tracker import Tracker
from ehsj_core.users import authenticate, create_token, create_user, list_tokens, revoke_token_named, tokens_table
from services.api.app import create_app
from tests.conftest import auth
from tests.webclient import sign_in, token_of

COOKIE = "ehsj_session"


def session_rows(tracker: Tracker, name: str) -> list[sa.Row[tuple[object, ...]]]:
    ids = {a.name: a.id for a in list_accounts(tracker.engine)}
    with tracker.engine.connect() as conn:
        return list(
            conn.execute(sa.select(sessions_table).where(sessions_table.c.user_id == ids[name]).order_by("id")).all()
        )


def signed_in(web: TestClient, name: str) -> str:
    """Sign in and return the session cookie, as someone who copied it would have it."""
    sign_in(web, name)
    cookie: str | None = web.cookies.get(COOKIE)
    assert cookie
    return cookie


def opens(web: TestClient, cookie: str, path: str = "/") -> bool:
    web.cookies.clear()
    web.cookies.set(COOKIE, cookie, domain="testserver.local")
    status: int = web.get(path, follow_redirects=False).status_code
    return status == 200


def age(tracker: Tracker, session_id: object, **seconds_ago: int) -> None:
    """Set a stored session's created_at / last_seen_at to so many seconds ago."""
    now = datetime.now(UTC)
    values = {column: now - timedelta(seconds=ago) for column, ago in seconds_ago.items()}
    with tracker.engine.begin() as conn:
        conn.execute(sessions_table.update().where(sessions_table.c.id == session_id).values(**values))


def test_a_copied_session_cookie_is_refused_after_signing_out(web: TestClient, tracker: Tracker) -> None:
    copied = signed_in(web, "Karen Konsulent")
    assert opens(web, copied)
    signed_out = web.post("/log-ud", data={"csrf_token": token_of(web)}, follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/log-ind?logget_ud=1"
    assert not opens(web, copied)
    [row] = session_rows(tracker, "Karen Konsulent")
    assert row.ended_reason == "signed_out" and row.ended_at is not None


def test_a_copied_session_cookie_is_refused_after_the_director_ends_the_session(
    web: TestClient, settings: Settings, tracker: Tracker
) -> None:
    copied = signed_in(web, "Karen Konsulent")
    karen = next(a for a in list_accounts(tracker.engine) if a.name == "Karen Konsulent")
    with TestClient(create_app(settings, tracker), base_url="https://testserver") as director:
        sign_in(director, "Dorte Direktør")
        users_page = director.get("/brugere").text
        assert f'action="/brugere/{karen.id}/sessioner/afslut"' in users_page
        ended = director.post(
            f"/brugere/{karen.id}/sessioner/afslut", data={"csrf_token": token_of(director)}, follow_redirects=False
        )
        assert ended.status_code == 303
        assert "1 session for Karen Konsulent er afsluttet" in director.get("/brugere").text
        assert director.get("/", follow_redirects=False).status_code == 200  # the director's own goes on
    assert not opens(web, copied)
    assert [r.ended_reason for r in session_rows(tracker, "Karen Konsulent")] == ["ended_by_admin"]


def test_the_cookie_carries_a_signed_token_whose_hash_alone_is_stored(web: TestClient, tracker: Tracker) -> None:
    cookie = signed_in(web, "Karen Konsulent")
    assert tracker.settings.secret_key is not None
    token = Signer(tracker.settings.secret_key.get_secret_value(), salt="ehsj.web-session").unsign(cookie).decode()
    [row] = session_rows(tracker, "Karen Konsulent")
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in row.token_hash
    assert row.method == "password" and row.user_agent == "testclient" and row.ip == "testclient"
    assert not opens(web, token)  # the unsigned token is not a cookie
    assert not opens(web, cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB"))  # nor a forged signature


def test_a_session_ends_after_its_idle_time(web: TestClient, tracker: Tracker) -> None:
    cookie = signed_in(web, "Karen Konsulent")
    [row] = session_rows(tracker, "Karen Konsulent")
    idle = tracker.settings.session_idle_seconds
    age(tracker, row.id, last_seen_at=idle - 60)
    assert opens(web, cookie)  # idle, but not long enough
    age(tracker, row.id, last_seen_at=idle + 60)
    assert not opens(web, cookie)
    assert session_rows(tracker, "Karen Konsulent")[0].ended_reason == "idle"


def test_a_session_ends_at_its_absolute_lifetime_however_busy(web: TestClient, tracker: Tracker) -> None:
    cookie = signed_in(web, "Karen Konsulent")
    [row] = session_rows(tracker, "Karen Konsulent")
    lifetime = tracker.settings.session_max_age_seconds
    age(tracker, row.id, created_at=lifetime - 60)
    assert opens(web, cookie)
    age(tracker, row.id, created_at=lifetime + 60)
    assert not opens(web, cookie)  # last seen a moment ago, but too old
    assert session_rows(tracker, "Karen Konsulent")[0].ended_reason == "expired"


def test_last_seen_is_written_at_most_once_a_minute(web: TestClient, tracker: Tracker) -> None:
    cookie = signed_in(web, "Karen Konsulent")
    [row] = session_rows(tracker, "Karen Konsulent")
    assert opens(web, cookie) and opens(web, cookie)
    assert session_rows(tracker, "Karen Konsulent")[0].last_seen_at == row.last_seen_at
    age(tracker, row.id, last_seen_at=90)
    assert opens(web, cookie)
    seen = session_rows(tracker, "Karen Konsulent")[0].last_seen_at
    assert seen > row.last_seen_at


def test_my_sessions_lists_every_browser_and_ends_any_of_them(
    web: TestClient, settings: Settings, tracker: Tracker
) -> None:
    firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
    with TestClient(
        create_app(settings, tracker), base_url="https://testserver", headers={"user-agent": firefox}
    ) as other:
        sign_in(other, "Karen Konsulent")
        sign_in(web, "Karen Konsulent")
        mine = web.get("/mine-sessioner")
        assert mine.status_code == 200 and 'href="/mine-sessioner"' in mine.text
        first, second = (r.id for r in session_rows(tracker, "Karen Konsulent"))
        assert "Firefox på Windows" in mine.text and "(denne session)" in mine.text
        assert f'<tr data-session="{second}" aria-current="true">' in mine.text
        assert f'<tr data-session="{first}">' in mine.text

        ended = web.post(f"/mine-sessioner/{first}/afslut", data={"csrf_token": token_of(web)}, follow_redirects=False)
        assert ended.status_code == 303 and ended.headers["location"] == "/mine-sessioner"
        assert other.get("/", follow_redirects=False).status_code == 303  # that browser is signed out
        page = web.get("/mine-sessioner").text
        assert "Sessionen er afsluttet" in page and "Firefox" not in page

        again = web.post(f"/mine-sessioner/{first}/afslut", data={"csrf_token": token_of(web)})
        assert again.status_code == 404
        own = web.post(f"/mine-sessioner/{second}/afslut", data={"csrf_token": token_of(web)}, follow_redirects=False)
        assert own.headers["location"] == "/log-ind?logget_ud=1"
        assert web.get("/", follow_redirects=False).status_code == 303
    assert [r.ended_reason for r in session_rows(tracker, "Karen Konsulent")] == ["ended_by_user"] * 2


def test_ending_all_other_sessions_keeps_this_one(web: TestClient, settings: Settings, tracker: Tracker) -> None:
    with TestClient(create_app(settings, tracker), base_url="https://testserver") as other:
        sign_in(other, "Karen Konsulent")
        sign_in(web, "Karen Konsulent")
        done = web.post("/mine-sessioner/afslut-andre", data={"csrf_token": token_of(web)})
        assert "1 session i andre browsere er afsluttet" in done.text
        assert other.get("/", follow_redirects=False).status_code == 303
        assert web.get("/", follow_redirects=False).status_code == 200


def test_nobody_ends_another_users_session_from_my_sessions(
    web: TestClient, settings: Settings, tracker: Tracker
) -> None:
    karens = signed_in(web, "Karen Konsulent")
    [row] = session_rows(tracker, "Karen Konsulent")
    with TestClient(create_app(settings, tracker), base_url="https://testserver") as kim:
        sign_in(kim, "Kim Konsulent")
        assert f'data-session="{row.id}"' not in kim.get("/mine-sessioner").text
        refused = kim.post(f"/mine-sessioner/{row.id}/afslut", data={"csrf_token": token_of(kim)})
        assert refused.status_code == 404
    assert opens(web, karens)


def test_disabling_a_user_or_setting_their_password_ends_their_sessions(web: TestClient, tracker: Tracker) -> None:
    first = signed_in(web, "Karen Konsulent")
    set_password(tracker.engine, "Karen Konsulent", "en-helt-ny-adgangskode")
    assert not opens(web, first)
    web.cookies.clear()
    sign_in(web, "Karen Konsulent", "en-helt-ny-adgangskode")
    second = web.cookies.get(COOKIE)
    assert second and opens(web, second)
    disable_user(tracker.engine, "Karen Konsulent")
    assert not opens(web, second)
    assert [r.ended_reason for r in session_rows(tracker, "Karen Konsulent")] == ["new_password", "disabled"]


def test_signing_in_again_in_the_same_browser_replaces_the_session(web: TestClient, tracker: Tracker) -> None:
    first = signed_in(web, "Karen Konsulent")
    sign_in(web, "Karen Konsulent")
    assert web.cookies.get(COOKIE) != first and not opens(web, first)
    assert [r.ended_reason for r in session_rows(tracker, "Karen Konsulent")] == ["replaced", None]


def test_a_user_has_named_tokens_with_last_use_and_a_revoked_one_answers_401(
    client: TestClient, tracker: Tracker
) -> None:
    standard = create_user(tracker.engine, "Robot", "consultant")
    backup = create_token(tracker.engine, "Robot", "backup-script")
    assert [(t.name, t.last_used_at, t.revoked_at) for t in list_tokens(tracker.engine, "Robot")] == [
        ("backup-script", None, None),
        ("standard", None, None),
    ]
    assert client.get("/api/goals", params={"year": 2019}, headers=auth(backup)).status_code == 200
    [used] = [t for t in list_tokens(tracker.engine, "Robot") if t.name == "backup-script"]
    assert used.last_used_at is not None and datetime.now(UTC) - used.last_used_at < timedelta(minutes=5)

    revoke_token_named(tracker.engine, "Robot", "backup-script")
    refused = client.get("/api/goals", params={"year": 2019}, headers=auth(backup))
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/goals", params={"year": 2019}, headers=auth(standard)).status_code == 200
    assert authenticate(tracker.engine, backup) is None
    with tracker.engine.connect() as conn:
        stored = conn.execute(sa.select(tokens_table.c.token_hash)).scalars().all()
    assert hashlib.sha256(backup.encode()).hexdigest() in stored and backup not in stored


def test_token_names_are_checked_and_unique_among_valid_tokens(tracker: Tracker) -> None:
    create_user(tracker.engine, "Robot", "consultant")
    for bad, problem in (("", "1–100 tegn"), ("x" * 101, "1–100 tegn"), ("standard", "allerede en gyldig nøgle")):
        try:
            create_token(tracker.engine, "Robot", bad)
        except ValueError as exc:
            assert str(exc).startswith("token_name: ") and problem in str(exc)
        else:
            raise AssertionError(f"{bad!r} was accepted")
    revoke_token_named(tracker.engine, "Robot", "standard")
    assert create_token(tracker.engine, "Robot", "standard").startswith("ehsj_")  # the name is free again


def test_the_director_creates_and_revokes_tokens_in_the_user_administration(web: TestClient, tracker: Tracker) -> None:
    karen = next(a for a in list_accounts(tracker.engine) if a.name == "Karen Konsulent")
    sign_in(web, "Dorte Direktør")
    created = web.post(
        "/brugere/noegler", data={"csrf_token": token_of(web), "account_id": str(karen.id), "token_name": "excel"}
    )
    assert created.status_code == 200 and "En ny API-nøgle til Karen Konsulent" in created.text
    token = created.text.split('<code class="token">')[1].split("</code>")[0]
    assert web.get("/api/goals", params={"year": 2019}, headers=auth(token)).status_code == 200
    [info] = [t for t in list_tokens(tracker.engine, "Karen Konsulent") if t.name == "excel"]
    listing = web.get("/brugere").text
    assert f'<tr data-token="{info.id}">' in listing and "aldrig" in listing

    duplicate = web.post(
        "/brugere/noegler", data={"csrf_token": token_of(web), "account_id": str(karen.id), "token_name": "excel"}
    )
    assert duplicate.status_code == 422 and "allerede en gyldig nøgle ved navn &#39;excel&#39;" in duplicate.text
    revoked = web.post(f"/brugere/noegler/{info.id}/tilbagekald", data={"csrf_token": token_of(web)})
    assert "Nøglen &#39;excel&#39; til Karen Konsulent er tilbagekaldt" in revoked.text
    assert f'<tr data-token="{info.id}" class="disabled">' in revoked.text
    assert web.get("/api/goals", params={"year": 2019}, headers=auth(token)).status_code == 401


def migrate(engine: Engine, direction: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        getattr(command, direction)(config, revision)


def test_migration_0006_keeps_each_users_one_token_as_their_standard_token(database_url: str) -> None:
    engine = create_db_engine(database_url)
    migrate(engine, "upgrade", "0005")
    old = "ehsj_" + "x" * 43
    users = sa.table(
        "users",
        *(sa.column(c) for c in ("name", "role", "token_hash", "disabled", "password_hash")),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    with engine.begin() as conn:
        conn.execute(
            users.insert().values(
                name="Gammel",
                role="auditor",
                token_hash=hashlib.sha256(old.encode()).hexdigest(),
                disabled=False,
                created_at=datetime(2019, 1, 2, tzinfo=UTC),
                password_hash=None,
            )
        )
    migrate(engine, "upgrade", "0006")
    principal = authenticate(engine, old)
    assert principal is not None and principal.name == "Gammel"
    [standard] = list_tokens(engine, "Gammel")
    assert standard.name == "standard" and standard.created_at == datetime(2019, 1, 2, tzinfo=UTC)
    assert "token_hash" not in {c["name"] for c in sa.inspect(engine).get_columns("users")}

    migrate(engine, "downgrade", "0005")
    with engine.connect() as conn:
        assert conn.execute(sa.select(users.c.token_hash)).scalar_one() == hashlib.sha256(old.encode()).hexdigest()
    engine.dispose()
