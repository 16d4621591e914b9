"""Single sign-on with OpenID Connect: the role a person's groups give, and the user they sign in as.

The settings map groups to grants (`EHSJ_OIDC_GROUP_MAP`): a group's value as the identity provider
puts it in the groups claim (Entra ID: a group's object id in `groups`, or an app role's value in
`roles`) → a role, for a chief also a municipality, and optionally a house (a grant for another house
gives nothing in this installation, so one map can serve several houses).

Several mapped groups: the grant that includes every other one wins — a director who is also in the
consultants' group signs in as director, a consultant also in a chief's group as consultant. When no
grant includes all the others (an auditor who is also a consultant, a chief of two municipalities),
sign-in is refused: the role is never guessed.

A user is found by (issuer, subject) only, never by name or e-mail; the first sign-in creates the
user (without a password: SSO users cannot use the password form), every sign-in sets the role and
municipality from the groups again, and a user disabled here stays out.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator
from sqlalchemy.engine import Connection, Engine

from ehsj_core.users import PERMISSIONS, ROLES, Principal, users_table

if TYPE_CHECKING:
    from ehsj_core.settings import Settings

GROUP_MAP_SETTING = "EHSJ_OIDC_GROUP_MAP"
NAME_LENGTH = 128  # users.name


class SignInRefused(Exception):
    """Single sign-on does not let this person in. `reason` is Danish, for the person; `status` the HTTP
    status the web page answers with (403: not allowed, 400: a broken or forged sign-in)."""

    def __init__(self, reason: str, status: int = 403) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class GroupGrant(BaseModel):
    """What one group gives: a role, for a chief a municipality, and optionally only in one house."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: str
    municipality: str | None = None
    house: str | None = None

    @field_validator("role")
    @classmethod
    def _known_role(cls, value: str) -> str:
        if value not in ROLES:
            raise ValueError(f"ugyldig rolle {value!r} (invalid role); tilladt: {', '.join(ROLES)}")
        return value

    @field_validator("municipality", "house")
    @classmethod
    def _no_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("må ikke være tom (must not be empty); udelad feltet i stedet")
        return None if value is None else value.strip()

    @model_validator(mode="after")
    def _municipality_for_chiefs_only(self) -> GroupGrant:
        if self.role == "chief" and self.municipality is None:
            raise ValueError('en erhvervschef (chief) skal have "municipality" (a chief needs a municipality)')
        if self.role != "chief" and self.municipality is not None:
            raise ValueError('kun en erhvervschef (chief) har "municipality" (only a chief has a municipality)')
        return self

    def covers(self, other: GroupGrant) -> bool:
        """This grant may do all that `other` may, in every municipality `other` may."""
        if not PERMISSIONS[self.role] >= PERMISSIONS[other.role]:
            return False
        return self.municipality is None or self.municipality.casefold() == (other.municipality or "").casefold()


def parse_group_map(raw: str) -> dict[str, GroupGrant]:
    """`EHSJ_OIDC_GROUP_MAP` (JSON text) as grants; a ValueError naming the setting, the group and
    what is allowed when it is not a valid map."""
    example = '{"<gruppe-id>": {"role": "consultant"}, "<gruppe-id>": {"role": "chief", "municipality": "Lolland"}}'
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{GROUP_MAP_SETTING}: er ikke gyldig JSON (not valid JSON: {exc}); forventet fx {example}"
        ) from None
    if not isinstance(data, dict):
        raise ValueError(f"{GROUP_MAP_SETTING}: skal være et JSON-objekt (must be a JSON object), fx {example}")
    grants: dict[str, GroupGrant] = {}
    for group, value in data.items():
        if not group.strip():
            raise ValueError(f"{GROUP_MAP_SETTING}: en gruppe må ikke have et tomt navn (empty group name)")
        try:
            grants[group] = GroupGrant.model_validate(value)
        except ValidationError as exc:
            details = "; ".join(_problem(error["loc"], error["msg"]) for error in exc.errors())
            raise ValueError(
                f"{GROUP_MAP_SETTING}: gruppen {group!r} er forkert (invalid entry): {details}; "
                f'tilladt: {{"role": {"|".join(ROLES)}, "municipality": … (kun chief), "house": … (valgfri)}}'
            ) from None
    return grants


@dataclass(frozen=True)
class GroupRules:
    """How this installation reads groups: the claim, the map, its house, the contract's municipalities
    (a chief's municipality must be one of them, and is spelled as the contract does; empty: unchecked)."""

    claim: str
    grants: Mapping[str, GroupGrant]
    house: str
    municipalities: Sequence[str] = ()


@dataclass(frozen=True)
class SsoConfig:
    """Single sign-on as configured: the provider, this client, the rules (the button's label is read
    from the settings by the sign-in page)."""

    discovery_url: str
    client_id: str
    client_secret: str | None
    scopes: str
    groups_claim: str
    grants: Mapping[str, GroupGrant]
    house: str

    def rules(self, municipalities: Sequence[str] = ()) -> GroupRules:
        return GroupRules(self.groups_claim, self.grants, self.house, tuple(municipalities))


def sso_settings_problem(settings: Settings) -> str | None:
    """What is wrong with the single sign-on settings (English and Danish, naming the setting), or None."""
    try:
        grants = parse_group_map(settings.oidc_group_map)
    except ValueError as exc:
        return str(exc)
    url = (settings.oidc_discovery_url or "").strip()
    if not url:
        return None
    if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        return (
            "EHSJ_OIDC_DISCOVERY_URL: skal være en https-adresse (must be https; http only for 127.0.0.1 and "
            "localhost), fx https://login.microsoftonline.com/<tenant id>/v2.0/.well-known/openid-configuration"
        )
    if not (settings.oidc_client_id or "").strip():
        return "EHSJ_OIDC_CLIENT_ID: mangler (missing); det er appens klient-id hos identitetsudbyderen"
    if "openid" not in settings.oidc_scopes.split():
        return f"EHSJ_OIDC_SCOPES: skal indeholde openid (must include openid); nu: {settings.oidc_scopes!r}"
    if not settings.oidc_groups_claim.strip():
        return "EHSJ_OIDC_GROUPS_CLAIM: må ikke være tom (must not be empty); fx groups eller roles"
    # EHSJ_HOUSE unset: the database's house is not read while the settings load; Sjælland's is the
    # default (ehsj_core/installation.py), so another house's installation sets EHSJ_HOUSE to use this.
    house = settings.house or "sjaelland"
    if not any(g.house is None or g.house.casefold() == house.casefold() for g in grants.values()):
        return (
            f"{GROUP_MAP_SETTING}: ingen gruppe giver adgang til huset {house!r} (no group grants access "
            "to this house), så ingen kan logge ind med single sign-on; angiv mindst én gruppe"
            + ("" if settings.house else " (eller sæt EHSJ_HOUSE til installationens hus)")
        )
    return None


def sso_config(settings: Settings) -> SsoConfig | None:
    """Single sign-on as the settings configure it, or None when it is off (no discovery URL)."""
    url = (settings.oidc_discovery_url or "").strip()
    if not url or not settings.oidc_client_id:
        return None
    secret = settings.oidc_client_secret
    return SsoConfig(
        discovery_url=url,
        client_id=settings.oidc_client_id.strip(),
        client_secret=None if secret is None else secret.get_secret_value(),
        scopes=" ".join(settings.oidc_scopes.split()),
        groups_claim=settings.oidc_groups_claim.strip(),
        grants=parse_group_map(settings.oidc_group_map),
        house=_house(settings),
    )


def _house(settings: Settings) -> str:
    """EHSJ_HOUSE, else the house the installation's database records (ehsj_core/installation.py)."""
    if settings.house is not None:
        return settings.house
    from ehsj_core.installation import house_for  # settings → oidc at validation: import when used

    return house_for(settings)


def claimed_groups(claims: Mapping[str, object], claim: str) -> list[str]:
    """The groups claim's values: a list of strings, or one string."""
    value = claims.get(claim)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, str)]
    return []


def grant_for(claims: Mapping[str, object], rules: GroupRules) -> GroupGrant:
    """The one grant a person's groups give here (see the module's docstring), or SignInRefused."""
    groups = claimed_groups(claims, rules.claim)
    if not groups and rules.claim not in claims and rules.claim in _claim_names(claims):
        # Entra ID's "groups overage": too many groups for the token, only a pointer to Graph instead
        raise SignInRefused(
            "Din konto er medlem af så mange grupper, at identitetsudbyderen ikke sender dem med. "
            "Bed it-afdelingen om kun at sende de grupper, der er tildelt programmet."
        )
    mapped = {
        grant
        for group in groups
        if (grant := rules.grants.get(group)) is not None
        and (grant.house is None or grant.house.casefold() == rules.house.casefold())
    }
    if not mapped:
        raise SignInRefused(
            "Din konto er ikke medlem af en gruppe, der giver adgang til målopfølgningen. "
            "Kontakt direktøren eller it-afdelingen, hvis du skal have adgang."
        )
    winners = [grant for grant in mapped if all(grant.covers(other) for other in mapped)]
    if not winners:
        roles = ", ".join(sorted(f"{g.role} ({g.municipality})" if g.municipality else g.role for g in mapped))
        raise SignInRefused(
            f"Dine grupper giver roller, der ikke kan forenes ({roles}), så rollen er ikke entydig. "
            "Bed it-afdelingen om at rette dine gruppemedlemskaber."
        )
    return winners[0]


def sign_in_oidc(
    engine: Engine, issuer: str, subject: str, claims: Mapping[str, object], rules: GroupRules
) -> Principal:
    """The user an identity provider vouched for: found by (issuer, subject), created on the first
    sign-in, given the role and municipality of their groups each time; SignInRefused otherwise."""
    if not issuer or not subject:
        raise SignInRefused("Identitetsudbyderen sendte ikke, hvem du er. Prøv igen.", status=400)
    grant = grant_for(claims, rules)
    municipality = _canonical_municipality(grant, rules)
    try:
        return _sign_in(engine, issuer, subject, claims, grant.role, municipality)
    except sa.exc.IntegrityError:  # the same person's first sign-in in two tabs at once: the other made the user
        return _sign_in(engine, issuer, subject, claims, grant.role, municipality)


def _sign_in(
    engine: Engine, issuer: str, subject: str, claims: Mapping[str, object], role: str, municipality: str | None
) -> Principal:
    t = users_table
    with engine.begin() as conn:
        row = conn.execute(sa.select(t).where(t.c.oidc_issuer == issuer, t.c.oidc_subject == subject)).first()
        if row is None:
            name = _free_name(conn, claims, subject)
            inserted = conn.execute(
                t.insert().values(
                    name=name,
                    role=role,
                    municipality=municipality,
                    password_hash=None,
                    disabled=False,
                    created_at=datetime.now(UTC),
                    oidc_issuer=issuer,
                    oidc_subject=subject,
                )
            )
            key = inserted.inserted_primary_key
            assert key is not None
            return Principal(int(key[0]), name, role, municipality)
        if row.disabled:
            raise SignInRefused("Din bruger er deaktiveret i målopfølgningen. Kontakt direktøren.")
        if (row.role, row.municipality) != (role, municipality):
            conn.execute(t.update().where(t.c.id == row.id).values(role=role, municipality=municipality))
        return Principal(row.id, row.name, role, municipality)


def display_name(claims: Mapping[str, object], subject: str) -> str:
    """The name a new user gets: `name`, else `preferred_username`, else `email`, else the subject."""
    for key in ("name", "preferred_username", "email"):
        value = claims.get(key)
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())[:NAME_LENGTH]
    return f"SSO {subject}"[:NAME_LENGTH]


def _free_name(conn: Connection, claims: Mapping[str, object], subject: str) -> str:
    """A name no user has: the display name, else with the e-mail address, else with a number.
    Another user's name is never taken over (signing in as them would be an account takeover)."""
    base = display_name(claims, subject)
    email = claims.get("email")
    candidates = [base]
    if isinstance(email, str) and email.strip() and email.strip() != base:
        candidates.append(f"{base} ({email.strip()})")
    candidates += [f"{base} ({n})" for n in range(2, 100)]
    t = users_table
    for candidate in candidates:
        candidate = candidate[:NAME_LENGTH]
        if conn.execute(sa.select(t.c.id).where(t.c.name == candidate)).first() is None:
            return candidate
    return f"{base[: NAME_LENGTH - 14]} ({secrets.token_hex(5)})"


def _canonical_municipality(grant: GroupGrant, rules: GroupRules) -> str | None:
    if grant.municipality is None or not rules.municipalities:
        return grant.municipality
    for name in rules.municipalities:
        if name.casefold() == grant.municipality.casefold():
            return name
    raise SignInRefused(
        f"Din gruppe knytter dig til kommunen {grant.municipality!r}, som kontrakten ikke kender. "
        f"Bed it-afdelingen rette {GROUP_MAP_SETTING}."
    )


def _claim_names(claims: Mapping[str, object]) -> Mapping[str, object]:
    names = claims.get("_claim_names")
    return names if isinstance(names, dict) else {}


def _problem(location: tuple[int | str, ...], message: str) -> str:
    where = ".".join(str(part) for part in location) or "værdien"
    return f"{where}: {message.removeprefix('Value error, ')}"
