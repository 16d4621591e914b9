"""`ehsj privacy forget`: erasing a data subject by deleting its key ("crypto-shredding").

After it, every field sealed under the subject's key reads "slettet" on every route, while no stored
byte of the log changes: the chain verifies, and every count, status and figure is what it was (the
fold reads CVR numbers and pseudonyms, never a sealed field). The derived look-up `company_names`
loses the company's rows. Events stored before sealing keep the names they were logged with; the
result says how many there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ehsj_core.errors import NotFound
from ehsj_core.events import reader
from ehsj_core.events.schemas import is_valid_cvr
from ehsj_core.events.store import EventStore
from ehsj_core.events.validation import InvalidInput, Problem
from ehsj_core.privacy import keys
from ehsj_core.privacy.sealing import Identity, company_identity, consultant_identity, normalise_name
from ehsj_core.tables import CompanyName

company_names_table: sa.Table = CompanyName.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Forgotten:
    """What `forget` erased."""

    kind: str  # "company" or "consultant"
    subject: str  # the pseudonym, which stays in the log
    fields: tuple[str, ...]  # the fields that now read "slettet"
    events: int  # events with a field sealed under the erased key
    company_names: int  # rows of the company-name look-up deleted
    before_sealing: int  # events stored before sealing that still name the subject in clear

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "fields": list(self.fields),
            "events": self.events,
            "company_names": self.company_names,
            "before_sealing": self.before_sealing,
        }


def _identity(cvr: str | None, consultant: str | None, company_name: str | None) -> Identity:
    given = [
        (name, value) for name, value in (("cvr", cvr), ("consultant", consultant), ("company_name", company_name))
    ]
    chosen = [(name, value) for name, value in given if value is not None and value.strip()]
    if len(chosen) != 1:
        raise InvalidInput(
            [
                Problem(
                    "subject", None, "angiv præcis én af --cvr, --consultant og --company-name", [n for n, _ in given]
                )
            ]
        )
    name, value = chosen[0]
    value = value.strip()
    if name == "cvr":
        if not is_valid_cvr(value):
            raise InvalidInput([Problem("cvr", value, "ugyldigt CVR-nummer: skal være 8 cifre med gyldig kontrol")])
        return company_identity(value, "")
    if name == "consultant":
        return consultant_identity(value)
    return company_identity(None, value)


def forget(
    store: EventStore,
    *,
    cvr: str | None = None,
    consultant: str | None = None,
    company_name: str | None = None,
    now: datetime | None = None,
) -> Forgotten:
    """Erase the key of one company (by CVR, or by name for one logged without CVR) or person (a
    consultant, or anyone who logged events, by name).
    Under the append lock, so that no append seals under the key while it goes. Raises NotFound when
    no living subject has that identifier (never named since sealing, or erased already)."""
    identity = _identity(cvr, consultant, company_name)
    with store.locked() as conn:
        subject = keys.living_subject(conn, identity)
        if subject is None:
            before = _before_sealing(conn, identity, consultant)
            unreachable = f"; {events(before)} registreret før krypteringen nævner stadig navnet" if before else ""
            raise NotFound(
                f"ingen nøgle for {_describe(identity)}: den er aldrig registreret siden "
                f"kryptering af personoplysninger, eller den er allerede slettet{unreachable}"
            )
        named = reader.fields_of(conn, subject)
        fields = sorted({field for event in named for field in event})
        keys.erase(conn, subject, now or datetime.now(UTC))
        names = 0
        c = company_names_table
        if identity.kind == "company":
            if identity.identifier.startswith("cvr:"):
                gone = c.delete().where(c.c.cvr == identity.identifier.removeprefix("cvr:"))
            else:
                spelt = (company_name or "").strip()
                gone = c.delete().where(c.c.cvr == "", c.c.folded.in_([spelt.casefold(), normalise_name(spelt)]))
            names = conn.execute(gone).rowcount
        before = _before_sealing(conn, identity, consultant)
    return Forgotten(identity.kind, subject, tuple(fields), len(named), names, before)


def _before_sealing(conn: Connection, identity: Identity, consultant: str | None) -> int:
    if identity.identifier.startswith("cvr:"):
        return reader.named_before_sealing(conn, cvr=identity.identifier.removeprefix("cvr:"))
    return reader.named_before_sealing(conn, consultant=consultant) if consultant else 0


def events(count: int) -> str:
    """The Danish count of events: 1 hændelse, 2 hændelser."""
    return f"{count} hændelse" if count == 1 else f"{count} hændelser"


def _describe(identity: Identity) -> str:
    if identity.kind == "consultant":
        return f"forretningsudvikleren '{identity.identifier}'"
    if identity.identifier.startswith("cvr:"):
        return f"CVR {identity.identifier.removeprefix('cvr:')}"
    return f"virksomheden '{identity.identifier.removeprefix('navn:')}'"
