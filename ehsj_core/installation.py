"""Which house this installation belongs to: EHSJ_HOUSE, else the house its database records.

An installation runs for one house (houses.yaml). The database says which, in the table
`installation` (key "house"), written the first time the log is written for a house (the demo, `ehsj
init` with EHSJ_HOUSE set, the first append or import) and never changed afterwards, so that one
house's database is never opened as another's: EHSJ_HOUSE naming another house is refused. A
database that records no house yet (new, or from before migration 0011) is Sjælland's unless
EHSJ_HOUSE says otherwise, as it was before houses became data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from ehsj_core.db import create_db_engine, write_transaction
from ehsj_core.houses import HouseBook, HouseError, house_book_for
from ehsj_core.settings import Settings
from ehsj_core.tables import InstallationFact

DEFAULT_HOUSE = "sjaelland"  # the one house there was before houses became data
HOUSE_FACT = "house"
_facts = InstallationFact.__table__  # type: ignore[attr-defined]


def has_installation_table(engine: Engine) -> bool:
    """False for a database not yet migrated to 0011 (then nothing is recorded there yet)."""
    with engine.connect() as conn:
        return sa.inspect(conn).has_table(_facts.name)


def recorded_house(engine: Engine) -> str | None:
    """The house the database belongs to, or None when none is recorded (or no table yet)."""
    if not has_installation_table(engine):
        return None
    with engine.connect() as conn:
        value = conn.execute(sa.select(_facts.c.value).where(_facts.c.key == HOUSE_FACT)).scalar()
    return None if value is None else str(value)


def resolve_house(setting: str | None, recorded: str | None, houses: HouseBook) -> str:
    """EHSJ_HOUSE (`setting`) when set, else the recorded house, else Sjælland; HouseError (Danish)
    when EHSJ_HOUSE names a house the house file does not know, or another house than the recorded."""
    if setting is None:
        return recorded or DEFAULT_HOUSE
    if houses.get(setting) is None:
        raise HouseError(
            f"EHSJ_HOUSE={setting}: ukendt erhvervshus; husfilen (houses.yaml) kender: {', '.join(houses.keys())}"
        )
    if recorded is not None and recorded != setting:
        raise HouseError(mismatch(recorded, f"EHSJ_HOUSE={setting}", houses))
    return setting


def mismatch(recorded: str, wanted: str, houses: HouseBook) -> str:
    """'Databasen tilhører Erhvervshus Fyn (fyn), men EHSJ_HOUSE=sjaelland' and what to do."""
    known = houses.get(recorded)
    owner = f"{known.name} ({recorded})" if known is not None else recorded
    return (
        f"Databasen tilhører {owner}, men {wanted}. En database hører til ét erhvervshus: "
        "brug husets egen database (EHSJ_DATABASE_URL), eller fjern EHSJ_HOUSE"
    )


def record_house(engine: Engine, house: str, houses: HouseBook) -> None:
    """Record `house` as the database's house, if none is yet (idempotent); HouseError if another is."""
    if not has_installation_table(engine):
        return  # a database before migration 0011: `ehsj init` brings it up to date, and then records
    current = recorded_house(engine)
    if current == house:
        return  # the common case: read only, no write lock taken
    try:
        with write_transaction(engine) as conn:
            current = conn.execute(sa.select(_facts.c.value).where(_facts.c.key == HOUSE_FACT)).scalar()
            if current is None:
                # Under the write transaction (SQLite's write lock; on PostgreSQL the primary key
                # refuses a second, concurrent first writer, which then reads what the first recorded).
                conn.execute(sa.insert(_facts).values(key=HOUSE_FACT, value=house, set_at=datetime.now(UTC)))
                return
    except IntegrityError:
        current = recorded_house(engine)
    if current != house:
        raise HouseError(mismatch(str(current), f"denne kørsel er for {house}", houses))


def house_for(settings: Settings, engine: Engine | None = None) -> str:
    """The house of the installation the settings point at (for what has no Tracker: the scheduler,
    single sign-on)."""
    houses = house_book_for(settings.contracts_dir)
    if engine is not None:
        return resolve_house(settings.house, recorded_house(engine), houses)
    url = sa.make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        if not Path(url.database).is_file():  # no database yet: it records nothing (and is not made here)
            return resolve_house(settings.house, None, houses)
    # A short-lived engine, not the process's cached one: `ehsj worker` asks this before Celery forks
    # its children, which must not inherit an open connection of a shared pool.
    own = create_db_engine(settings.database_url)
    try:
        return resolve_house(settings.house, recorded_house(own), houses)
    finally:
        own.dispose()
