"""The national installation's upload tokens: one or more per house, each shown once when made; only
its SHA-256 is stored (as the users' API tokens, ehsj_core/users.py). A token says which house may
upload with it, and nothing else: it is no user and reads nothing."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ehsj_core.houses import HouseBook, HouseError
from ehsj_core.tables import NationalHouseToken

tokens_table: sa.Table = NationalHouseToken.__table__  # type: ignore[attr-defined]
PREFIX = "ehsjhus_"  # tells a house upload token from a user's API token (ehsj_…) at a glance
NAME_LENGTH = 100
TOUCH_SECONDS = 60  # last_used_at is written at most this often


class TokenError(ValueError):
    """A refused token command; the text is Danish and names the field."""


@dataclass(frozen=True)
class HouseToken:
    """A token as the national installation lists it (never the token or its hash)."""

    id: int
    house: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def valid(self) -> bool:
        return self.revoked_at is None

    def as_dict(self) -> dict[str, Any]:
        def moment(value: datetime | None) -> str | None:
            return None if value is None else value.isoformat()

        return {
            "id": self.id,
            "house": self.house,
            "name": self.name,
            "created_at": moment(self.created_at),
            "last_used_at": moment(self.last_used_at),
            "revoked_at": moment(self.revoked_at),
            "valid": self.valid,
        }


@dataclass(frozen=True)
class Uploader:
    """Who presented a valid token: the house it is for, and the token (for `received_by`)."""

    house: str
    token_id: int
    name: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(engine: Engine, houses: HouseBook, house: str, name: str | None = None) -> tuple[HouseToken, str]:
    """A new upload token for a house of the house file; returned in clear this once."""
    try:
        houses.require(house)
    except HouseError as exc:
        raise TokenError(f"house: {exc}") from None
    name = (name if name is not None else house).strip()
    if not name or len(name) > NAME_LENGTH:
        raise TokenError(f"name: nøglens navn skal have 1–{NAME_LENGTH} tegn")
    token = PREFIX + secrets.token_urlsafe(32)
    t = tokens_table
    with engine.begin() as conn:
        taken = conn.execute(
            sa.select(t.c.id).where(t.c.house == house, t.c.name == name, t.c.revoked_at.is_(None))
        ).first()
        if taken is not None:
            raise TokenError(f"name: {house} har allerede en gyldig nøgle ved navn {name!r}; vælg et andet navn")
        inserted = conn.execute(
            t.insert().values(house=house, name=name, token_hash=hash_token(token), created_at=datetime.now(UTC))
        )
        new_id = int(inserted.inserted_primary_key[0])  # type: ignore[index]  # never None after an insert
        row = conn.execute(sa.select(t).where(t.c.id == new_id)).one()
    return _info(row), token


def list_tokens(engine: Engine) -> list[HouseToken]:
    """Every token, revoked ones too: by house, then newest first."""
    t = tokens_table
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t).order_by(t.c.house, t.c.created_at.desc(), t.c.id.desc())).all()
    return [_info(r) for r in rows]


def revoke_token(engine: Engine, token_id: int) -> HouseToken:
    """Revoke a token by its id; an upload with it answers 401 from now on."""
    t = tokens_table
    with engine.begin() as conn:
        row = conn.execute(sa.select(t).where(t.c.id == token_id)).first()
        if row is None:
            raise TokenError(f"id: nøgle nr. {token_id} findes ikke (se `ehsj national tokens`)")
        if row.revoked_at is not None:
            raise TokenError(f"id: nøgle nr. {token_id} ({row.house}, {row.name!r}) er allerede tilbagekaldt")
        conn.execute(t.update().where(t.c.id == token_id).values(revoked_at=datetime.now(UTC)))
        row = conn.execute(sa.select(t).where(t.c.id == token_id)).one()
    return _info(row)


def authenticate(engine: Engine, token: str) -> Uploader | None:
    """The house of a valid (unrevoked) token, or None; notes when it was used, at most every minute."""
    t = tokens_table
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(t.c.id, t.c.house, t.c.name, t.c.last_used_at).where(
                t.c.token_hash == hash_token(token), t.c.revoked_at.is_(None)
            )
        ).first()
    if row is None:
        return None
    now = datetime.now(UTC)
    if row.last_used_at is None or now - _utc(row.last_used_at) >= timedelta(seconds=TOUCH_SECONDS):
        with engine.begin() as conn:
            conn.execute(t.update().where(t.c.id == row.id).values(last_used_at=now))
    return Uploader(row.house, row.id, row.name)


def _info(r: Any) -> HouseToken:
    return HouseToken(r.id, r.house, r.name, _utc(r.created_at), _maybe_utc(r.last_used_at), _maybe_utc(r.revoked_at))


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _maybe_utc(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)
