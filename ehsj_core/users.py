"""Users, their roles and API tokens. A token is shown once; only its SHA-256 is stored.
Passwords and web sign-in: `ehsj_core.accounts`."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ehsj_core.passwords import hash_password, password_problem
from ehsj_core.tables import User

users_table: sa.Table = User.__table__  # type: ignore[attr-defined]
Role = Literal["consultant", "director", "auditor", "chief"]
ROLES: tuple[str, ...] = ("consultant", "director", "auditor", "chief")

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
# A route needing none of these but "read" is open to a chief; every other one answers them 403.
PERMISSIONS: dict[str, frozenset[str]] = {
    "consultant": frozenset({"read", "browse", "append", "retract_own"}),
    "director": frozenset(
        {"read", "browse", "audit", "append", "retract_own", "retract_any", "close_year", "report_official", "admin"}
    ),
    "auditor": frozenset({"read", "browse", "audit"}),
    "chief": frozenset({"read"}),
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


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    engine: Engine, name: str, role: str, municipality: str | None = None, password: str | None = None
) -> str:
    """Create a user and return its API token (the only time it is available in clear). With a
    password the user can also sign in to the web app."""
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
    token = "ehsj_" + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        taken = conn.execute(sa.select(users_table.c.id).where(users_table.c.name == name)).first()
        if taken is not None:
            raise UserError(f"name: brugeren {name!r} findes allerede")
        conn.execute(
            users_table.insert().values(
                name=name,
                role=role,
                municipality=municipality,
                token_hash=hash_token(token),
                password_hash=None if password is None else hash_password(password),
                disabled=False,
                created_at=datetime.now(UTC),
            )
        )
    return token


def authenticate(engine: Engine, token: str) -> Principal | None:
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(users_table).where(
                users_table.c.token_hash == hash_token(token), users_table.c.disabled.is_(False)
            )
        ).first()
    return None if row is None else Principal(row.id, row.name, row.role, row.municipality)


def list_users(engine: Engine) -> list[Principal]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(users_table).order_by(users_table.c.name)).all()
    return [Principal(r.id, r.name, r.role, r.municipality) for r in rows]


def user_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(users_table)).scalar_one())


def issue_token(engine: Engine, name: str) -> str:
    """Replace a user's token with a new one and return it (the old one stops working)."""
    token = "ehsj_" + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        updated = conn.execute(
            users_table.update().where(users_table.c.name == name).values(token_hash=hash_token(token))
        ).rowcount
    if not updated:
        raise UserError(f"name: brugeren {name!r} findes ikke")
    return token


def disable_user(engine: Engine, name: str) -> None:
    with engine.begin() as conn:
        updated = conn.execute(users_table.update().where(users_table.c.name == name).values(disabled=True)).rowcount
    if not updated:
        raise UserError(f"name: brugeren {name!r} findes ikke")


def principal_named(engine: Engine, name: str) -> Principal:
    """The active user of this name, as the rule book judges what they log (the CLI's `--as`)."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(users_table).where(users_table.c.name == name.strip())).first()
    if row is None:
        raise UserError(f"--as: brugeren {name!r} findes ikke; opret den med `ehsj users create`")
    if row.disabled:
        raise UserError(f"--as: brugeren {name!r} er deaktiveret")
    return Principal(row.id, row.name, row.role, row.municipality)
