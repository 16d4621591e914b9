"""Users, their roles and their named API tokens. A token is shown once; only its SHA-256 is stored.
Passwords, web sign-in and disabling a user: `ehsj_core.accounts`."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ehsj_core.passwords import hash_password, password_problem
from ehsj_core.tables import ApiToken, User

users_table: sa.Table = User.__table__  # type: ignore[attr-defined]
tokens_table: sa.Table = ApiToken.__table__  # type: ignore[attr-defined]
STANDARD_TOKEN = "standard"  # the name of the token `create_user` and `issue_token` make
TOKEN_NAME_LENGTH = 100
TOUCH_SECONDS = 60  # a token's last_used_at is written at most this often
Role = Literal["consultant", "director", "auditor", "chief", "national"]
ROLES: tuple[str, ...] = ("consultant", "director", "auditor", "chief", "national")

# What each role may do: the one table the rule book, the API and the web app consult (README, "Roles").
#   read         the overall status (the dashboard; GET /api/goals, /api/goals/{id}, /api/contract) and,
#                limited by Principal.municipality_scope(), one's own municipality: its page, its row of
#                GET /api/municipalities, its events in GET /api/events, its quarterly report preview
#   browse       every other page and API route that reads: goals, the 17 municipalities, history,
#                reports; who browses is limited to no municipality (a chief does not browse)
#   audit        the audit pages and /api/audit/...
#   append       log events (the forms, POST /api/events, the imports)
#   retract_own  retract events one logged oneself (with a reason)
#   retract_any  retract anybody's events
#   close_year   close a contract year (period.closed), reopen it, and log or retract for a closed year
#   admin        users, report recipients, sending reports on purpose
#   national     the national roll-up of the houses' exports (issue 14): read only; the `national`
#                role (Erhvervsstyrelsen's readers) has nothing else — it writes nothing anywhere
#   national_admin  the national installation's house upload tokens
# A route needing none of these but "read" is open to a chief; every other one answers them 403.
PERMISSIONS: dict[str, frozenset[str]] = {
    "consultant": frozenset({"read", "browse", "append", "retract_own"}),
    "director": frozenset(
        {
            "read",
            "browse",
            "audit",
            "append",
            "retract_own",
            "retract_any",
            "close_year",
            "report_official",
            "admin",
            "national",
            "national_admin",
        }
    ),
    "auditor": frozenset({"read", "browse", "audit"}),
    "chief": frozenset({"read"}),
    "national": frozenset({"national"}),
}


class UserError(ValueError):
    pass


@dataclass(frozen=True)
class Principal:
    id: int
    name: str
    role: str
    municipality: str | None

    def may(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, frozenset())

    def municipality_scope(self) -> str | None:
        """The one municipality this principal's reading is limited to, or None when it is not limited.

        The rule, for the API and the web app alike: who browses (consultant, director, auditor) reads
        every municipality: None. Who reads without browsing (a chief) reads the overall status and
        their own municipality only: its name as stored with the user. Fails closed: such a principal
        without a municipality (`create_user` never makes one) raises PermissionError rather than
        being read as unlimited."""
        if self.may("browse"):
            return None
        if not self.municipality:
            raise PermissionError("Ingen adgang: brugeren er ikke knyttet til en kommune")
        return self.municipality

    def may_see_municipality(self, name: str) -> bool:
        """Everyone who browses sees every municipality; a chief only their own."""
        try:
            scope = self.municipality_scope()
        except PermissionError:
            return False
        return scope is None or (self.may("read") and scope.casefold() == name.casefold())


def create_user(
    engine: Engine, name: str, role: str, municipality: str | None = None, password: str | None = None
) -> str:
    """Create a user and return its first API token, named "standard" (the only time it is available
    in clear). With a password the user can also sign in to the web app."""
    name = name.strip()
    if not name:
        raise UserError("name: må ikke være tom")
    if role not in ROLES:
        raise UserError(f"role: ugyldig rolle {role!r}; tilladt: {', '.join(ROLES)}")
    if role == "chief" and not municipality:
        raise UserError("municipality: en erhvervschef skal knyttes til en kommune")
    if role != "chief" and municipality:
        raise UserError("municipality: kun en erhvervschef knyttes til en kommune")
    problem = None if password is None else password_problem(password)
    if problem:
        raise UserError(f"password: {problem}")
    with engine.begin() as conn:
        taken = conn.execute(sa.select(users_table.c.id).where(users_table.c.name == name)).first()
        if taken is not None:
            raise UserError(f"name: brugeren {name!r} findes allerede")
        key = conn.execute(
            users_table.insert().values(
                name=name,
                role=role,
                municipality=municipality,
                password_hash=None if password is None else hash_password(password),
                disabled=False,
                created_at=datetime.now(UTC),
            )
        ).inserted_primary_key
        assert key is not None
        return insert_token(conn, int(key[0]), STANDARD_TOKEN)


def list_users(engine: Engine) -> list[Principal]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(users_table).order_by(users_table.c.name)).all()
    return [Principal(r.id, r.name, r.role, r.municipality) for r in rows]


def user_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(users_table)).scalar_one())


def user_id_of(conn: Connection, name: str) -> int:
    """The id of the user of this name; UserError naming the field when there is none."""
    found = conn.execute(sa.select(users_table.c.id).where(users_table.c.name == name.strip())).scalar()
    if found is None:
        raise UserError(f"name: brugeren {name!r} findes ikke")
    return int(found)


def principal_named(engine: Engine, name: str) -> Principal:
    """The active user of this name, as the rule book judges what they log (the CLI's `--as`)."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(users_table).where(users_table.c.name == name.strip())).first()
    if row is None:
        raise UserError(f"--as: brugeren {name!r} findes ikke; opret den med `ehsj users create`")
    if row.disabled:
        raise UserError(f"--as: brugeren {name!r} er deaktiveret")
    return Principal(row.id, row.name, row.role, row.municipality)


@dataclass(frozen=True)
class TokenInfo:
    """An API token as the user administration lists it (never the token or its hash)."""

    id: int
    user_name: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def insert_token(conn: Connection, user_id: int, name: str) -> str:
    """A new token for a user, inside the caller's transaction; returned in clear this once."""
    token = "ehsj_" + secrets.token_urlsafe(32)
    conn.execute(
        tokens_table.insert().values(
            user_id=user_id, name=name, token_hash=hash_token(token), created_at=datetime.now(UTC)
        )
    )
    return token


def create_token(engine: Engine, user_name: str, token_name: str) -> str:
    """A further named token for a user (say one per script or machine); returned in clear this once."""
    token_name = token_name.strip()
    if not token_name or len(token_name) > TOKEN_NAME_LENGTH:
        raise UserError(f"token_name: nøglens navn skal have 1–{TOKEN_NAME_LENGTH} tegn")
    t = tokens_table
    with engine.begin() as conn:
        user_id = user_id_of(conn, user_name)
        taken = conn.execute(
            sa.select(t.c.id).where(t.c.user_id == user_id, t.c.name == token_name, t.c.revoked_at.is_(None))
        ).first()
        if taken is not None:
            raise UserError(f"token_name: {user_name} har allerede en gyldig nøgle ved navn {token_name!r}")
        return insert_token(conn, user_id, token_name)


def issue_token(engine: Engine, name: str) -> str:
    """Replace a user's "standard" token with a new one and return it (the old one stops working)."""
    t = tokens_table
    with engine.begin() as conn:
        user_id = user_id_of(conn, name)
        conn.execute(
            t.update()
            .where(t.c.user_id == user_id, t.c.name == STANDARD_TOKEN, t.c.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
        return insert_token(conn, user_id, STANDARD_TOKEN)


def list_tokens(engine: Engine, user_name: str | None = None) -> list[TokenInfo]:
    """Every token (of one user, when named), revoked ones too; by user, then newest first."""
    t, u = tokens_table, users_table
    query = sa.select(t, u.c.name.label("user_name")).join(u, u.c.id == t.c.user_id)
    with engine.connect() as conn:
        if user_name is not None:
            query = query.where(t.c.user_id == user_id_of(conn, user_name))
        rows = conn.execute(query.order_by(u.c.name, t.c.created_at.desc(), t.c.id.desc())).all()
    return [
        TokenInfo(r.id, r.user_name, r.name, _utc(r.created_at), _maybe_utc(r.last_used_at), _maybe_utc(r.revoked_at))
        for r in rows
    ]


def revoke_token(engine: Engine, token_id: int) -> TokenInfo:
    """Revoke a token by its id (the user administration); it answers 401 from now on."""
    t = tokens_table
    with engine.begin() as conn:
        revoked = conn.execute(
            t.update().where(t.c.id == token_id, t.c.revoked_at.is_(None)).values(revoked_at=datetime.now(UTC))
        ).rowcount
    found = next((i for i in list_tokens(engine) if i.id == token_id), None)
    if found is None:
        raise UserError(f"token: nøgle nr. {token_id} findes ikke")
    if not revoked:
        raise UserError(f"token: nøglen {found.name!r} til {found.user_name} er allerede tilbagekaldt")
    return found


def revoke_token_named(engine: Engine, user_name: str, token_name: str) -> None:
    """Revoke a user's valid token of this name (the CLI)."""
    t = tokens_table
    with engine.begin() as conn:
        user_id = user_id_of(conn, user_name)
        revoked = conn.execute(
            t.update()
            .where(t.c.user_id == user_id, t.c.name == token_name.strip(), t.c.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        ).rowcount
    if not revoked:
        raise UserError(f"token_name: {user_name} har ingen gyldig nøgle ved navn {token_name!r}")


def authenticate(engine: Engine, token: str) -> Principal | None:
    """The enabled user of a valid (unrevoked) token; notes when it was used, at most every minute."""
    t, u = tokens_table, users_table
    query = (
        sa.select(t.c.id.label("token_id"), t.c.last_used_at, u.c.id, u.c.name, u.c.role, u.c.municipality)
        .join(u, u.c.id == t.c.user_id)
        .where(t.c.token_hash == hash_token(token), t.c.revoked_at.is_(None), u.c.disabled.is_(False))
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    now = datetime.now(UTC)
    if row.last_used_at is None or now - _utc(row.last_used_at) >= timedelta(seconds=TOUCH_SECONDS):
        with engine.begin() as conn:
            conn.execute(t.update().where(t.c.id == row.token_id).values(last_used_at=now))
    return Principal(row.id, row.name, row.role, row.municipality)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _maybe_utc(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)
