"""Any house can start the product: `ehsj demo --house KEY` fills that house's (fictitious) year, the
database then belongs to the house, and a run for another house is refused, changing nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ehsj_core.db import create_db_engine
from ehsj_core.events.reader import LogReader
from ehsj_core.events.records import RecordedEvent
from ehsj_core.houses import read_houses
from ehsj_core.installation import house_for, recorded_house
from ehsj_core.settings import Settings
from ehsj_core.setup import initialise
from ehsj_core.tracker import Tracker
from tests.conftest import CONTRACTS
from tests.factories import Actor, course

EHSJ = str(Path(sys.executable).parent / "ehsj")
HOUSES = read_houses(CONTRACTS)
FYN = HOUSES.require("fyn")
KNOWN = "hovedstaden, sjaelland, fyn, sydjylland, midtjylland, nordjylland"


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("EHSJ_")}
    return {
        **environment,
        "EHSJ_DATABASE_URL": database_url,
        "EHSJ_DATA_DIR": str(tmp_path / "data"),
        "EHSJ_CONTRACTS_DIR": str(CONTRACTS),
        "EHSJ_OUTBOX_DIR": str(tmp_path / "outbox"),
        "EHSJ_MODE": "embedded",
        "COLUMNS": "200",
    }


@pytest.fixture
def db(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


def ehsj(env: dict[str, str], *args: str, house: str | None = None) -> subprocess.CompletedProcess[str]:
    run_env = env if house is None else {**env, "EHSJ_HOUSE": house}
    return subprocess.run([EHSJ, *args], env=run_env, capture_output=True, text=True, timeout=600)


def state(engine: Engine) -> tuple[object, ...]:
    """What a refused command must leave as it was: the log's head, the installation, the recipients."""
    head = LogReader(engine).head()
    with engine.connect() as conn:
        facts = conn.execute(sa.text("SELECT key, value, set_at FROM installation ORDER BY key")).all()
        recipients = conn.execute(sa.text("SELECT count(*) FROM recipients")).scalar()
    return head.position, head.hash, tuple(tuple(f) for f in facts), recipients


def data(event: RecordedEvent) -> dict[str, Any]:
    return event.as_dict()["data"]  # type: ignore[no-any-return]


def one_line(text: str) -> str:
    """Rich may wrap a long message; the assertions read it as one line."""
    return " ".join(text.split())


def refused(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    for text in expected:
        assert text in one_line(result.stderr), result.stderr


def test_demo_house_fyn_fills_fyns_fictitious_year_and_the_database_is_fyns(env: dict[str, str], db: Engine) -> None:
    assert ehsj(env, "init").returncode == 0
    assert recorded_house(db) is None  # init without EHSJ_HOUSE chooses no house
    filled = ehsj(env, "demo", "--house", "fyn")
    assert filled.returncode == 0, filled.stderr
    assert "Erhvervshus Fyn" in one_line(filled.stdout) and "fiktivt eksempel" in one_line(filled.stdout)

    events = list(LogReader(db).read_all())
    assert len(events) > 2000 and {e.house for e in events} == {"fyn"}
    places = {data(e)["municipality"] for e in events if "municipality" in data(e)}
    assert places == set(FYN.municipality_names)  # every one of Fyn's municipalities, no other
    with db.connect() as conn:
        assert conn.execute(sa.text("SELECT value FROM installation WHERE key = 'house'")).scalar() == "fyn"

    status = ehsj(env, "status", "--year", "2019", "--json")  # no EHSJ_HOUSE: the database's house
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["contract"]["house"] == "fyn" and report["contract"]["filename"] == "fyn-2019.yaml"
    assert "Erhvervshus Fyn (fiktivt eksempel)" in report["contract"]["title"]
    targets = {t["key"]: t for g in report["goals"] for t in g["targets"]}
    assert targets["short_courses"]["status"] == "met" and targets["nps"]["status"] == "met"
    assert ehsj(env, "status", "--year", "2019", house="fyn").returncode == 0  # EHSJ_HOUSE agreeing

    before = state(db)
    refused(
        ehsj(env, "status", house="sjaelland"),
        "Databasen tilhører Erhvervshus Fyn (fyn), men EHSJ_HOUSE=sjaelland",
    )
    refused(
        ehsj(env, "demo", "--house", "sjaelland", house="sjaelland"),
        "Databasen tilhører Erhvervshus Fyn (fyn), men EHSJ_HOUSE=sjaelland",
    )
    refused(ehsj(env, "demo", "--house", "sjaelland"), "kun indlæses i en tom log")
    refused(ehsj(env, "demo", "--house", "fyn"), "kun indlæses i en tom log")
    refused(ehsj(env, "demo"), "kun indlæses i en tom log")
    refused(ehsj(env, "init", house="nordjylland"), "Databasen tilhører Erhvervshus Fyn (fyn)")
    assert state(db) == before


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # PostgreSQL: the demo test above
def test_refusals_on_an_empty_database_change_nothing(env: dict[str, str], db: Engine) -> None:
    assert ehsj(env, "init").returncode == 0
    before = state(db)
    refused(ehsj(env, "demo", house="nowhere"), "EHSJ_HOUSE=nowhere: ukendt erhvervshus", KNOWN)
    refused(ehsj(env, "status", house="nowhere"), "EHSJ_HOUSE=nowhere: ukendt erhvervshus", KNOWN)
    refused(ehsj(env, "demo", "--house", "nowhere"), "ukendt erhvervshus 'nowhere'", KNOWN)
    refused(ehsj(env, "demo", "--house", "sjaelland", house="fyn"), "--house sjaelland passer ikke med EHSJ_HOUSE=fyn")
    assert state(db) == before

    # `ehsj init` with EHSJ_HOUSE records the house: the empty log is Fyn's from then on.
    assert ehsj(env, "init", house="fyn").returncode == 0
    assert recorded_house(db) == "fyn"
    before = state(db)
    refused(
        ehsj(env, "demo", "--house", "nordjylland"),
        "Databasen tilhører Erhvervshus Fyn (fyn), men --house nordjylland",
    )
    refused(ehsj(env, "demo", house="sjaelland"), "Databasen tilhører Erhvervshus Fyn (fyn), men EHSJ_HOUSE=sjaelland")
    assert state(db) == before


@pytest.mark.parametrize("key", HOUSES.keys())
def test_every_house_gets_a_plausible_demo_year(key: str, tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'ehsj.sqlite3'}", contracts_dir=CONTRACTS)
    engine = create_db_engine(settings.database_url)
    initialise(engine, CONTRACTS)
    tracker = Tracker(settings, engine)
    count = tracker.load_demo(year=2019, house=key)
    house = HOUSES.require(key)

    assert tracker.house == key and recorded_house(engine) == key
    assert Tracker(settings, engine).house == key  # a later process reads the database's house
    assert house_for(settings) == key  # so do the scheduler and single sign-on
    live = list(tracker.log.read_all(house=key, live_only=True))
    assert count == tracker.log.head().position and len(live) > 1900
    courses = Counter(data(e)["municipality"] for e in live if e.type == "course.completed")
    assert set(courses) == set(house.municipality_names)  # courses in every municipality, no other
    assert sum(courses.values()) > 1000
    assert sum(1 for e in live if e.type == "evaluation.received") > 300
    assert (
        sum(1 for e in live if e.type == "milestone.reached") >= 15
        and sum(1 for e in live if e.type == "event.held") >= 20
    )

    targets = {t.key: t for g in tracker.status(2019).goals for t in g.targets}
    for met in ("short_courses", "action_plans", "growth_plans", "nps", "geographic_spread"):
        assert targets[met].status == "met", (met, targets[met].actual)
    assert targets["council_presentations"].actual == len(house.municipalities) - 2
    assert sum(1 for t in targets.values() if t.status in ("met", "met_late")) >= 50

    if house.fictitious:  # every text of another house's year is in its own words
        texts = [v for e in tracker.log.read_all() for v in data(e).values() if isinstance(v, str)]
        assert not [t for t in texts if "sjælland" in t.casefold()]
        assert any(house.kkr in t for t in texts) and any(house.name in t for t in texts)
    engine.dispose()


def test_the_house_file_has_the_six_houses_and_a_blank_ehsj_house_is_unset() -> None:
    assert HOUSES.keys() == tuple(KNOWN.split(", "))
    assert Settings(house=" ").house is None and Settings(house="fyn").house == "fyn"  # `make run` without HOUSE=


def test_concurrent_first_writers_of_a_new_database_all_get_in_and_record_one_house(database_url: str) -> None:
    """The first write records the database's house; writers that race for it (each its own process'
    Tracker) must not fail on each other's record: one inserts it, the others read it."""
    engine = create_db_engine(database_url)
    initialise(engine, CONTRACTS)
    settings = Settings(database_url=database_url, contracts_dir=CONTRACTS, environment="test", house="fyn")
    trackers = [Tracker(settings, engine) for _ in range(6)]
    start, failures = threading.Barrier(len(trackers)), list[BaseException]()

    def first_write(n: int) -> None:
        start.wait()
        try:
            trackers[n].append(course("short", "Odense", "2019-05-02", company=n), by=Actor(f"k{n}", "consultant"))
        except BaseException as exc:  # noqa: BLE001  (the test reports whatever a writer met)
            failures.append(exc)

    threads = [threading.Thread(target=first_write, args=(n,)) for n in range(len(trackers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert recorded_house(engine) == "fyn" and LogReader(engine).head().position == len(trackers)
    engine.dispose()


def test_the_api_server_refuses_to_start_for_another_house_in_one_danish_line(tmp_path: Path) -> None:
    """The API as docker-compose runs it (`uvicorn --factory`), on a database of Fyn with EHSJ_HOUSE=sjaelland."""
    url = f"sqlite:///{tmp_path / 'fyn.sqlite3'}"
    engine = create_db_engine(url)
    initialise(engine, CONTRACTS, house="fyn")
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("EHSJ_")}
    env |= {"EHSJ_DATABASE_URL": url, "EHSJ_CONTRACTS_DIR": str(CONTRACTS), "EHSJ_HOUSE": "sjaelland"}
    uvicorn = str(Path(sys.executable).parent / "uvicorn")
    started = subprocess.run(
        [uvicorn, "--factory", "services.api.app:create_app", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode != 0
    assert "EHSJ kan ikke starte: Databasen tilhører Erhvervshus Fyn (fyn), men EHSJ_HOUSE=sjaelland" in started.stderr
    assert "Traceback" not in started.stderr
