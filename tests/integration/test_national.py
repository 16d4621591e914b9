"""The national roll-up (issue 14) end to end: two houses' installations (two databases) log a year
through their own API and export it; a third database, the national installation, takes both in.
On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
import sqlalchemy as sa
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from ehsj_core.contract.loader import read_contract_folder
from ehsj_core.db import create_db_engine
from ehsj_core.errors import NotFound
from ehsj_core.events.validation import InvalidInput
from ehsj_core.national.intake import Added, ExportRefused, add_export
from ehsj_core.national.rollup import ExportRef, HouseFigures, RollUp, build_rollup, comparable, national_figures
from ehsj_core.projections.facts import YearFacts
from ehsj_core.settings import Settings
from ehsj_core.setup import initialise
from ehsj_core.tracker import Tracker
from ehsj_core.users import create_user
from services.api.app import create_app
from tests.conftest import CONTRACTS, auth
from tests.factories import course, cvr, new_id, retraction
from tests.services import fresh_postgres_database
from tests.webclient import PASSWORD, csrf_of

EHSJ = str(Path(sys.executable).parent / "ehsj")
TZ = ZoneInfo("Europe/Copenhagen")
NATIONAL_GOALS = {"3", "4", "6"}
HIGH = ["hoj", "lav", "lav", "lav", "lav", "lav", "lav"]  # effect experienced (and "høj påvirkning")
SOME = ["nogen", "lav", "lav", "lav", "lav", "lav", "lav"]  # effect experienced ("middel påvirkning")
NONE = ["lav", "slet_ikke", "lav", "lav", "ved_ikke", "lav", "lav"]  # no effect


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Four databases: Sjælland's, Fyn's, a second (different) Sjælland one, and the national one."""
    names = ("sjaelland", "fyn", "sjaelland_other", "national")
    if request.param == "sqlite":
        yield {name: f"sqlite:///{tmp_path / f'{name}.sqlite3'}" for name in names}
        return
    with ExitStack() as stack:
        yield {name: stack.enter_context(fresh_postgres_database()) for name in names}


@dataclass
class Installation:
    settings: Settings
    tracker: Tracker
    client: TestClient
    tokens: dict[str, str]

    @property
    def engine(self) -> Engine:
        return self.tracker.engine

    def post(self, body: dict[str, Any], role: str = "consultant") -> list[dict[str, Any]]:
        answer = self.client.post("/api/events", json=body, headers=auth(self.tokens[role]))
        assert answer.status_code in (200, 201), answer.text
        result: list[dict[str, Any]] = answer.json()["events"]
        return result

    def goals(self, as_of: int) -> dict[str, Any]:
        answer = self.client.get(f"/api/goals?year=2019&as_of={as_of}", headers=auth(self.tokens["auditor"]))
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    def export(self, path: Path) -> Path:
        answer = self.client.get("/api/audit/export?year=2019", headers=auth(self.tokens["auditor"]))
        assert answer.status_code == 200, answer.text
        path.write_bytes(answer.content)
        return path


def installation(url: str, house: str, stack: ExitStack) -> Installation:
    settings = Settings(database_url=url, contracts_dir=CONTRACTS, environment="test", snapshot_every=100, house=house)
    engine = create_db_engine(url)
    stack.callback(engine.dispose)
    initialise(engine, CONTRACTS)
    tracker = Tracker(settings, engine)
    tokens = {
        "consultant": create_user(engine, "Karen Konsulent", "consultant"),
        "director": create_user(engine, "Dorte Direktør", "director"),
        "auditor": create_user(engine, "Anders Revisor", "auditor"),
        "national": create_user(engine, "Nina National", "national", password=PASSWORD),
    }
    client = stack.enter_context(TestClient(create_app(settings, tracker), base_url="https://testserver"))
    return Installation(settings, tracker, client, tokens)


def evaluation(course_type: str, company: int, nps: int, effect: list[str], on: str) -> dict[str, Any]:
    data = {
        "course_type": course_type,
        "company_cvr": cvr(company),
        "nps": nps,
        "satisfaction": 5,
        "consultant_competence": 4,
        "effect": effect,
    }
    return {"type": "evaluation.received", "occurred_on": on, "data": data}


def milestone(key: str, on: str) -> dict[str, Any]:
    return {"type": "milestone.reached", "occurred_on": on, "data": {"milestone": key}}


# The answers logged (NPS, effect), by house: the hand computation below is over these.
SJAELLAND_ANSWERS = [(10, HIGH), (7, NONE), (3, SOME)]
FYN_ANSWERS = [(9, HIGH), (8, NONE)]


def log_sjaelland(house: Installation) -> None:
    wrong = course("action_plan", "Sorø", "2019-02-01", company=9, event_id=new_id())
    house.post(
        {
            "events": [
                course("action_plan", "Lolland", "2019-03-04", company=1),
                course("growth_plan", "Køge", "2019-04-01", company=2),
                course("action_plan", "Sorø", "2019-04-15", company=3),
                course("short", "Greve", "2019-05-06", company=0),
                wrong,
            ]
        }
    )
    house.post(retraction(wrong["event_id"], occurred_on="2019-02-02"), role="director")
    house.post(
        {
            "events": [
                evaluation("action_plan", 1, 10, HIGH, "2019-05-01"),
                evaluation("growth_plan", 2, 7, NONE, "2019-06-01"),
                evaluation("action_plan", 3, 3, SOME, "2019-06-02"),
            ]
        }
    )
    house.post(milestone("6.digital_entry", "2019-06-10"), role="director")


def log_fyn(house: Installation) -> None:
    house.post(
        {
            "events": [
                course("action_plan", "Odense", "2019-03-11", company=11),
                course("development_plan", "Svendborg", "2019-04-02", company=12),
                course("short", "Nyborg", "2019-05-06", company=0),
            ]
        }
    )
    house.post(
        {
            "events": [
                evaluation("action_plan", 11, 9, HIGH, "2019-05-20"),
                evaluation("development_plan", 12, 8, NONE, "2019-06-20"),
            ]
        }
    )
    house.post(milestone("6.digital_entry", "2019-07-01"), role="director")
    house.post(milestone("6.platform_working_group", "2019-08-01"), role="director")


@dataclass
class World:
    sjaelland: Installation
    fyn: Installation
    other: Installation  # a second Sjælland database, with a different log
    national: Installation
    tmp: Path

    def add(self, path: Path, **options: Any) -> Added:
        t = self.national.tracker
        return add_export(
            self.national.engine,
            path,
            houses=t.houses,
            book=t.contract_book(),
            via="cli",
            by="test",
            **options,
        )

    def rollup(self, export_ids: list[int] | None = None) -> RollUp:
        t = self.national.tracker
        return build_rollup(
            self.national.engine, year=2019, houses=t.houses, book=t.contract_book(), tz=TZ, export_ids=export_ids
        )

    def counts(self) -> tuple[int, int]:
        with self.national.engine.connect() as conn:
            exports = conn.execute(sa.text("SELECT count(*) FROM national_exports")).scalar_one()
            rows = conn.execute(sa.text("SELECT count(*) FROM national_rows")).scalar_one()
        return int(exports), int(rows)


@pytest.fixture
def world(urls: dict[str, str], tmp_path: Path) -> Iterator[World]:
    with ExitStack() as stack:
        sjaelland = installation(urls["sjaelland"], "sjaelland", stack)
        fyn = installation(urls["fyn"], "fyn", stack)
        other = installation(urls["sjaelland_other"], "sjaelland", stack)
        national = installation(urls["national"], "sjaelland", stack)
        log_sjaelland(sjaelland)
        log_fyn(fyn)
        other.post(course("short", "Sorø", "2019-01-02", company=0))
        yield World(sjaelland, fyn, other, national, tmp_path)


def house_part(rollup: RollUp, house: str) -> dict[str, Any]:
    found: dict[str, Any] = next(h for h in rollup.as_dict()["houses"] if h["house"] == house)
    return found


def nps_of(scores: list[int]) -> int:
    """100 × (promoters − detractors) / answers; the scores in these tests divide it exactly."""
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    assert 100 * (promoters - detractors) % len(scores) == 0
    return 100 * (promoters - detractors) // len(scores)


# --- the figures ------------------------------------------------------------------------------------
def test_each_house_figures_equal_its_own_goals_and_the_national_figures_are_over_both(world: World) -> None:
    before = world.sjaelland.goals(world.sjaelland.tracker.log.head().position)
    s_file = world.sjaelland.export(world.tmp / "sjaelland.jsonl")
    f_file = world.fyn.export(world.tmp / "fyn.jsonl")
    s_added, f_added = world.add(s_file), world.add(f_file)
    assert (s_added.status, f_added.status) == ("added", "added")
    assert s_added.new_rows == s_added.head_position == world.sjaelland.tracker.log.head().position
    header = orjson.loads(s_file.read_bytes().splitlines()[0])
    assert header["contract_sha256"] == world.sjaelland.tracker.contract(2019).sha256

    rollup = world.rollup()
    for inst, added in ((world.sjaelland, s_added), (world.fyn, f_added)):
        own = inst.goals(added.head_position)
        part = house_part(rollup, added.house)
        assert part["source"] == {
            "export_id": added.export_id,
            "house": added.house,
            "head_position": added.head_position,
            "head_hash": added.head_hash,
        }
        assert part["on_date"] == own["on_date"]
        ours = {g["id"]: g for g in part["goals"]}
        assert set(ours) == {g["id"] for g in own["goals"]}
        for goal in own["goals"]:
            mine = ours[goal["id"]]
            assert mine["fulfilment_pct"] == goal["fulfilment_pct"]
            for theirs, target in zip(goal["targets"], mine["targets"], strict=True):
                assert target["key"] == theirs["key"]
                assert (target["actual"], target["status"], target["fulfilment_pct"]) == (
                    theirs["actual"],
                    theirs["status"],
                    theirs["fulfilment_pct"],
                ), (added.house, goal["id"], theirs["key"])

    national = {g["id"]: g for g in rollup.as_dict()["national"]["goals"]}
    assert set(national) == NATIONAL_GOALS
    scores = [nps for nps, _e in SJAELLAND_ANSWERS + FYN_ANSWERS]  # 10, 7, 3, 9, 8
    assert nps_of(scores) == 20  # 2 promoters, 1 detractor, 5 answers: 100 × 1 / 5
    nps = national["3"]["targets"][0]
    assert (nps["actual"], nps["answers"], nps["status"], nps["fulfilment_pct"]) == (20, 5, "missed", 0)
    effects = [e for _n, e in SJAELLAND_ANSWERS + FYN_ANSWERS]
    experienced = sum(1 for e in effects if {"hoj", "nogen"} & set(e))
    assert 100 * experienced / len(effects) == 60.0  # HIGH, SOME, HIGH of five
    effect = national["4"]["targets"][0]
    assert (effect["actual"], effect["answers"], effect["status"], effect["fulfilment_pct"]) == (60.0, 5, "missed", 50)
    assert effect["effect_parts"]["high_pct"] == 40.0 and effect["effect_parts"]["middle_pct"] == 20.0
    entry, group = national["6"]["targets"]
    assert (entry["status"], entry["reached_by"], entry["reached_on"]) == ("met", ["fyn", "sjaelland"], "2019-07-01")
    assert (group["status"], group["reached_by"], group["not_reached_by"]) == ("missed", ["fyn"], ["sjaelland"])
    assert national["6"]["fulfilment_pct"] == 0
    sources = rollup.as_dict()["national"]["sources"]
    assert [s["export_id"] for s in sources] == [f_added.export_id, s_added.export_id]

    shared = {(r["goal_id"], r["key"]): r for r in rollup.as_dict()["side_by_side"]["targets"]}
    plans = shared[("1", "action_plans")]["houses"]
    assert (plans["sjaelland"]["actual"], plans["fyn"]["actual"]) == (2, 1)  # the retracted course counts nowhere
    assert plans["fyn"]["source"]["head_hash"] == f_added.head_hash
    assert world.sjaelland.goals(world.sjaelland.tracker.log.head().position) == before  # Sjælland unchanged


def test_the_digest_is_the_same_for_the_same_exports_and_an_old_set_gives_the_old_bytes(world: World) -> None:
    first = world.add(world.sjaelland.export(world.tmp / "s1.jsonl"))
    fyn = world.add(world.fyn.export(world.tmp / "f1.jsonl"))
    old = world.rollup()
    again = world.rollup()
    assert again.canonical() == old.canonical() and again.digest == old.digest
    assert old.digest == hashlib.sha256(old.body).hexdigest()
    body = orjson.loads(old.canonical())
    del body["digest"]
    assert orjson.dumps(body, option=orjson.OPT_SORT_KEYS) == old.body

    world.sjaelland.post(evaluation("action_plan", 1, 0, NONE, "2019-09-01"))  # company 1 answers again
    newer = world.add(world.sjaelland.export(world.tmp / "s2.jsonl"))
    assert newer.status == "added" and newer.new_rows == 1 and newer.head_position == first.head_position + 1
    latest = world.rollup()
    assert latest.digest != old.digest
    assert house_part(latest, "sjaelland")["source"]["export_id"] == newer.export_id
    national = {g["id"]: g for g in latest.as_dict()["national"]["goals"]}
    assert national["3"]["targets"][0]["actual"] == nps_of([0, 7, 3, 9, 8])  # the latest answer counts
    chosen = world.rollup([first.export_id, fyn.export_id])
    assert chosen.canonical() == old.canonical()


def test_adding_the_same_export_twice_or_a_prefix_is_already_received(world: World) -> None:
    older = world.sjaelland.export(world.tmp / "s1.jsonl")
    world.sjaelland.post(course("short", "Sorø", "2019-09-09", company=0))
    newer = world.sjaelland.export(world.tmp / "s2.jsonl")
    added = world.add(newer)
    counts, digest = world.counts(), world.rollup().digest
    again = world.add(newer)
    assert (again.status, again.export_id, again.new_rows) == ("already_received", added.export_id, 0)
    prefix = world.add(older)
    assert (prefix.status, prefix.export_id) == ("already_received", added.export_id)
    assert world.counts() == counts and world.rollup().digest == digest


def test_two_houses_adding_at_once_store_each_row_once(world: World) -> None:
    path = world.sjaelland.export(world.tmp / "s.jsonl")
    results: list[Added] = []
    threads = [threading.Thread(target=lambda: results.append(world.add(path))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status for r in results) == ["added", "already_received", "already_received", "already_received"]
    assert world.counts() == (1, world.sjaelland.tracker.log.head().position)


# --- refusals: nothing changes ------------------------------------------------------------------------
def rewrite(source: Path, target: Path, change: Any) -> Path:
    lines = [orjson.loads(line) for line in source.read_bytes().splitlines()]
    change(lines)
    target.write_bytes(b"".join(orjson.dumps(line, option=orjson.OPT_SORT_KEYS) + b"\n" for line in lines))
    return target


def refused(world: World, path: Path, **options: Any) -> ExportRefused:
    counts, digest = world.counts(), world.rollup().digest
    with pytest.raises(ExportRefused) as caught:
        world.add(path, **options)
    assert world.counts() == counts and world.rollup().digest == digest
    return caught.value


def test_a_tampered_an_unknown_house_and_a_diverging_export_are_refused_and_nothing_changes(world: World) -> None:
    good = world.sjaelland.export(world.tmp / "s.jsonl")
    world.add(world.fyn.export(world.tmp / "f.jsonl"))

    raw = good.read_bytes().splitlines(keepends=True)
    assert b'"growth_plan"' in raw[2]  # line 3: the row at position 2
    raw[2] = raw[2].replace(b'"growth_plan"', b'"growth_plam"')  # one byte
    (world.tmp / "tampered.jsonl").write_bytes(b"".join(raw))
    tampered = refused(world, world.tmp / "tampered.jsonl")
    assert tampered.kind == "invalid" and "linje 3" in tampered.problems[0].problem
    assert "position 2" in tampered.problems[0].problem

    def elsewhere(lines: list[dict[str, Any]]) -> None:
        lines[0]["house"] = "bornholm"
        lines[0].pop("contract_sha256")
        for line in lines[1:-1]:
            line["in_year"] = False
        lines[-1]["in_year"] = 0

    unknown = refused(world, rewrite(good, world.tmp / "bornholm.jsonl", elsewhere))
    assert unknown.kind == "unknown_house" and unknown.problems[0].problem == "ukendt erhvervshus"
    assert "fyn" in (unknown.problems[0].allowed or [])

    other_house = refused(world, good, expected_house="fyn")
    assert other_house.kind == "other_house"

    def other_contract(lines: list[dict[str, Any]]) -> None:
        lines[0]["contract_sha256"] = "0" * 64

    contract = refused(world, rewrite(good, world.tmp / "contract.jsonl", other_contract))
    assert contract.problems[0].problem.startswith("huset måler efter en anden kontrakt")

    added = world.add(good)
    diverging = refused(world, world.other.export(world.tmp / "other.jsonl"))  # same house, another log
    assert diverging.kind == "not_extending"
    assert diverging.problems[0].problem == (
        f"eksporten forlænger ikke den seneste eksport fra huset (position {added.head_position}, "
        f"hash {added.head_hash})"
    )
    world.other.post({"events": [course("short", "Sorø", "2019-01-03", company=0) for _ in range(12)]})
    longer = refused(world, world.other.export(world.tmp / "other-longer.jsonl"))  # longer, but not an extension
    assert longer.kind == "not_extending"


def test_an_export_without_contract_sha_is_still_taken(world: World) -> None:
    def old_style(lines: list[dict[str, Any]]) -> None:
        lines[0].pop("contract_sha256")

    path = rewrite(world.fyn.export(world.tmp / "f.jsonl"), world.tmp / "old.jsonl", old_style)
    assert world.add(path).status == "added"


def test_the_national_store_is_read_only(world: World) -> None:
    world.add(world.fyn.export(world.tmp / "f.jsonl"))
    for statement in (
        "UPDATE national_rows SET hash = 'x'",
        "DELETE FROM national_rows",
        "UPDATE national_exports SET house = 'x'",
        "DELETE FROM national_exports",
    ):
        with pytest.raises(sa.exc.DatabaseError), world.national.engine.begin() as conn:
            conn.execute(sa.text(statement))
    assert world.counts()[0] == 1


def test_choosing_two_exports_of_one_house_or_an_unknown_export_is_refused(world: World) -> None:
    first = world.add(world.fyn.export(world.tmp / "f1.jsonl"))
    world.fyn.post(course("short", "Nyborg", "2019-09-09", company=0))
    second = world.add(world.fyn.export(world.tmp / "f2.jsonl"))
    with pytest.raises(InvalidInput):
        world.rollup([first.export_id, second.export_id])
    with pytest.raises(NotFound):
        world.rollup([999])


# --- the entry points -------------------------------------------------------------------------------
def test_the_api_answers_the_rollup_as_canonical_bytes_to_the_national_role(world: World) -> None:
    added = world.add(world.fyn.export(world.tmp / "f.jsonl"))
    world.add(world.sjaelland.export(world.tmp / "s.jsonl"))
    client, token = world.national.client, world.national.tokens["national"]
    answer = client.get("/api/national/status?year=2019", headers=auth(token))
    assert answer.status_code == 200, answer.text
    assert answer.content == world.rollup().canonical()
    chosen = client.get(f"/api/national/status?year=2019&export={added.export_id}", headers=auth(token))
    assert chosen.content == world.rollup([added.export_id]).canonical()
    assert client.get("/api/national/status?year=2019&export=999", headers=auth(token)).status_code == 404
    listed = client.get("/api/national/exports", headers=auth(token))
    assert listed.status_code == 200
    fyn = next(h for h in listed.json()["houses"] if h["house"] == "fyn")
    assert fyn["newest"]["head_hash"] == added.head_hash and fyn["exports"][0]["received_via"] == "cli"
    for role in ("consultant", "auditor"):
        refused = client.get("/api/national/status?year=2019", headers=auth(world.national.tokens[role]))
        assert refused.status_code == 403
    assert client.get("/api/national/exports", headers=auth(world.national.tokens["director"])).status_code == 200


def sign_in_national(client: TestClient) -> Any:
    token = csrf_of(client.get("/log-ind").text)
    return client.post(
        "/log-ind",
        data={"name": "Nina National", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )


def test_the_national_role_lands_on_the_national_page_and_sees_only_it(world: World) -> None:
    world.add(world.sjaelland.export(world.tmp / "s.jsonl"))
    client = world.national.client
    signed_in = sign_in_national(client)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/nationalt"
    html = client.get("/nationalt?year=2019").text
    assert world.rollup().digest in html and "Erhvervshus Sjælland" in html
    nav = html.split('aria-label="Hovedmenu"')[1].split("</nav>")[0]
    assert nav.count("<li>") == 1 and 'href="/nationalt"' in nav
    assert client.get("/nationalt?year=1999").status_code == 422
    assert client.get("/historik").status_code == 403


# Writing routes a signed-in user of any role may use for their own account: signing in and out,
# ending their own sessions, their own calendar address. They change nothing of the log, the national
# store or anyone else's account. Every other writing route must refuse the national role.
OWN_SESSION = {
    "/log-ind",
    "/log-ud",
    "/mine-sessioner/{session_id}/afslut",
    "/mine-sessioner/afslut-andre",
    "/kalender/adresse",
    "/kalender/forny",
}
# The house upload endpoint takes a house's upload token, not a user's: a user's token is unknown there.
HOUSE_TOKEN_ONLY = {"/api/national/exports"}


def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every route of the app, the included routers' too (FastAPI keeps an included router as one
    entry whose `original_router` holds its routes, already carrying the router's prefix)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from api_routes(route.original_router.routes)


def test_the_national_role_gets_403_from_every_writing_route(world: World) -> None:
    client, token = world.national.client, world.national.tokens["national"]
    logged = world.national.post(course("short", "Sorø", "2019-01-02", company=0), role="director")
    values = {"event_id": logged[0]["event_id"], "slug": "forloeb"}  # else "1": a route refuses before it looks
    sign_in_national(client)
    csrf = csrf_of(client.get("/nationalt").text)
    counts = world.counts()
    head = world.national.tracker.log.head().position
    checked = []
    for route in api_routes(client.app.router.routes):  # type: ignore[attr-defined]
        if route.path in OWN_SESSION:
            continue
        for method in sorted((route.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}):
            path = route.path
            for name in [part.split("}")[0] for part in path.split("{")[1:]]:
                path = path.replace("{" + name + "}", values.get(name, "1"))
            if path.startswith("/api/"):
                answer = client.request(method, path, headers=auth(token), json={})
                wanted = {401} if route.path in HOUSE_TOKEN_ONLY else {403}
            else:
                form = {"csrf_token": csrf, "reason": "Forkert registreret"}  # filled in: the refusal is the role's
                answer = client.request(method, path, data=form, follow_redirects=False)
                wanted = {403}
            assert answer.status_code in wanted, (method, route.path, answer.status_code, answer.text[:200])
            checked.append((method, route.path))
    assert ("POST", "/api/events") in checked and ("POST", "/registrer/{slug}") in checked
    assert len(checked) >= 20
    assert world.counts() == counts and world.national.tracker.log.head().position == head


def ehsj(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EHSJ, *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("urls", ["sqlite"], indirect=True)  # the intake on PostgreSQL: the API tests above
def test_the_command_line_adds_refuses_and_reads_the_rollup(world: World) -> None:
    env = {
        **os.environ,
        "EHSJ_DATABASE_URL": world.national.settings.database_url,
        "EHSJ_CONTRACTS_DIR": str(CONTRACTS),
        "COLUMNS": "200",
    }
    good = world.fyn.export(world.tmp / "f.jsonl")
    added = ehsj(env, "national", "add", str(good), "--as", "Nina")
    assert added.returncode == 0, added.stderr
    assert "er modtaget som eksport" in added.stderr
    again = ehsj(env, "national", "add", str(good))
    assert again.returncode == 0 and "allerede modtaget" in again.stderr
    raw = good.read_bytes().replace(b'"Odense"', b'"Odensf"', 1)
    (world.tmp / "bad.jsonl").write_bytes(raw)
    bad = ehsj(env, "national", "add", str(world.tmp / "bad.jsonl"))
    assert bad.returncode == 2 and "Eksporten er afvist" in bad.stderr and "linje 2" in bad.stderr

    status = ehsj(env, "national", "status", "--year", "2019", "--json")
    assert status.returncode == 0, status.stderr
    assert status.stdout.strip().encode() == world.rollup().canonical()
    table = ehsj(env, "national", "status", "--year", "2019")
    assert table.returncode == 0 and "Alle huse" in table.stdout and world.rollup().digest in table.stdout
    missing = ehsj(env, "national", "status", "--year", "2019", "--export", "999")
    assert missing.returncode == 2 and "findes ikke" in missing.stderr
    listed = ehsj(env, "national", "exports", "--json")
    assert json.loads(listed.stdout)["exports"] == 1
    assert "Erhvervshus Fyn" in ehsj(env, "national", "exports").stdout


def test_contracts_differing_in_a_national_target_are_not_summed_and_the_document_says_why() -> None:
    loaded = {(c.contract.house, c.contract.year): c for c in read_contract_folder(CONTRACTS)}
    sjaelland, fyn = loaded[("sjaelland", 2019)], loaded[("fyn", 2019)]

    def figures(item: Any, house: str) -> HouseFigures:
        ref = ExportRef(1, house, 2019, 1, "a" * 64, "2020-01-01T00:00:00Z", "b" * 64, item.sha256, "", "cli")
        return HouseFigures(ref, item, YearFacts(), date(2020, 1, 1), [])

    assert comparable([figures(sjaelland, "sjaelland"), figures(fyn, "fyn")]) is None
    goals = tuple(
        g.model_copy(update={"targets": (g.targets[0].model_copy(update={"target": 55.0}),)}) if g.id == "3" else g
        for g in fyn.contract.goals
    )
    other = replace(fyn, contract=fyn.contract.model_copy(update={"goals": goals}))
    reason = comparable([figures(sjaelland, "sjaelland"), figures(other, "fyn")])
    assert reason is not None and "mål 3" in reason and "fyn" in reason
    national = national_figures([figures(sjaelland, "sjaelland"), figures(other, "fyn")])
    assert national["summed"] is False and national["reason"] == reason and national["goals"] == []
