"""Report recipients: who gets which report. E-mail addresses are personal data (director only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.engine import Engine

from ehsj_core.contract.model import Contract
from ehsj_core.events.validation import InvalidInput, Problem, UnknownReference
from ehsj_core.houses import HouseBook
from ehsj_core.tables import Recipient

recipients_table: sa.Table = Recipient.__table__  # type: ignore[attr-defined]
RECIPIENT_ROLES = ("chief", "k17", "kkr", "director", "consultant")
# The audiences of the contract calendar → the recipient role that receives them.
AUDIENCE_ROLE = {
    "business_chiefs": "chief",
    "k17": "k17",
    "kkr": "kkr",
    "director": "director",
    "consultants": "consultant",  # the name must be the consultant's name as logged in the events
}


@dataclass(frozen=True)
class RecipientRow:
    id: int
    role: str
    municipality: str | None
    name: str
    email: str
    active: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "role": self.role,
            "municipality": self.municipality,
            "name": self.name,
            "email": self.email,
            "active": self.active,
        }


def check_recipient(
    role: str, name: str, email: str, municipality: str | None, contract: Contract
) -> tuple[str, str | None]:
    """Validate; returns the normalised e-mail and the canonical municipality."""
    problems = []
    if role not in RECIPIENT_ROLES:
        problems.append(Problem("role", role, "ugyldig modtagerrolle", list(RECIPIENT_ROLES)))
    if not name.strip():
        problems.append(Problem("name", name, "må ikke være tom"))
    try:
        normalised = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        problems.append(Problem("email", email, f"ugyldig e-mailadresse: {exc}"))
        normalised = email
    canonical = None
    if role == "chief":
        canonical = contract.canonical_municipality(municipality or "")
        if canonical is None:
            allowed = [m.name for m in contract.municipalities]
            problems.append(
                Problem("municipality", municipality, "en erhvervschef skal knyttes til en af kommunerne", allowed)
            )
    elif municipality:
        problems.append(Problem("municipality", municipality, "kun en erhvervschef knyttes til en kommune"))
    if problems:
        raise InvalidInput(problems)
    return normalised, canonical


def add_recipient(
    engine: Engine, contract: Contract, role: str, name: str, email: str, municipality: str | None = None
) -> RecipientRow:
    """Add a recipient; a chief replaces the municipality's previous chief (who is deactivated)."""
    normalised, canonical = check_recipient(role, name, email, municipality, contract)
    t = recipients_table
    with engine.begin() as conn:
        if role == "chief":
            conn.execute(t.update().where(t.c.role == "chief", t.c.municipality == canonical).values(active=False))
        existing = conn.execute(
            sa.select(t.c.id).where(t.c.role == role, t.c.municipality == canonical, t.c.email == normalised)
        ).scalar()
        if existing is not None:
            conn.execute(t.update().where(t.c.id == existing).values(active=True, name=name.strip()))
            new_id = int(existing)
        else:
            inserted = conn.execute(
                t.insert().values(
                    role=role,
                    municipality=canonical,
                    name=name.strip(),
                    email=normalised,
                    active=True,
                    created_at=datetime.now(UTC),
                )
            ).inserted_primary_key
            assert inserted is not None
            new_id = int(inserted[0])
    return RecipientRow(new_id, role, canonical, name.strip(), normalised, True)


def deactivate_recipient(engine: Engine, recipient_id: int) -> None:
    with engine.begin() as conn:
        changed = conn.execute(
            recipients_table.update().where(recipients_table.c.id == recipient_id).values(active=False)
        ).rowcount
    if not changed:
        raise UnknownReference([Problem("id", recipient_id, "modtageren findes ikke")])


def get_recipient(engine: Engine, recipient_id: int) -> RecipientRow | None:
    """One recipient by id, active or not (a ledger row names the recipient it was made for)."""
    with engine.connect() as conn:
        r = conn.execute(sa.select(recipients_table).where(recipients_table.c.id == recipient_id)).first()
    return None if r is None else RecipientRow(r.id, r.role, r.municipality, r.name, r.email, r.active)


def list_recipients(engine: Engine, role: str | None = None, active_only: bool = True) -> list[RecipientRow]:
    t = recipients_table
    query = sa.select(t).order_by(t.c.role, t.c.municipality, t.c.name)
    if role is not None:
        query = query.where(t.c.role == role)
    if active_only:
        query = query.where(t.c.active.is_(True))
    with engine.connect() as conn:
        return [RecipientRow(r.id, r.role, r.municipality, r.name, r.email, r.active) for r in conn.execute(query)]


def _slug(text: str) -> str:
    table = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", " ": "-"})
    return text.casefold().translate(table)


def add_demo_recipients(engine: Engine, contract: Contract, houses: HouseBook | None = None) -> int:
    """The demo's recipients at example.org: the business chiefs of the contract's municipalities,
    K17, the house's KKR (the house file's name; `houses`: the installation's, else the packaged one)
    and the director."""
    from ehsj_core.reports.house import words_for  # the reports package renders: import on use

    kkr = words_for(contract, houses).kkr
    rows: list[tuple[str, str, str, str | None]] = [
        ("chief", f"Erhvervschef i {m.name}", f"erhvervschef.{_slug(m.name)}@example.org", m.name)
        for m in contract.municipalities
    ]
    rows += [
        ("k17", "Kommunaldirektørkredsen K17", "k17@example.org", None),
        ("kkr", kkr, f"{_slug(kkr)}@example.org", None),
        ("director", f"Direktør, {contract.house_name}", "direktoer@example.org", None),
    ]
    for role, name, email, municipality in rows:
        add_recipient(engine, contract, role, name, email, municipality)
    return len(rows)
