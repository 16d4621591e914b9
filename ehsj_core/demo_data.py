"""What the demo year says about its house: teams, referrals, milestones, the house's own activities.

Sjælland's demo (the real 2019 contract) keeps its own tables, word for word (demo_companies.py: tests
pin its figures and digests). Any other house gets the same year told in its own words: its name,
KKR, head office and branch (houses.yaml) and its contract's municipalities; a municipality named
where the story needs one is the head office, the branch, or the n-th largest by population. Nothing
it says names Sjælland. The course counts are Sjælland's for every house: the fictitious contracts
keep Sjælland's targets (scripts/make_example_contracts.py), so the same volume tells the same story.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ehsj_core import demo_companies as sj
from ehsj_core.contract.model import Contract
from ehsj_core.houses import House

Team = tuple[tuple[str, ...], tuple[str, ...]]  # (business developers, their municipalities)
Referral = tuple[str, str, str | None]  # (referred_to, referral_kind, the course topic it suits)
Activity = tuple[str, int, int, str, dict[str, Any]]  # (type, month, day, municipality, data)
Milestone = tuple[int, int, str] | None


@dataclass(frozen=True)
class DemoProfile:
    """The house-specific tables of a demo year (see demo_companies.py for what each means)."""

    teams: tuple[Team, ...]
    referrals: tuple[Referral, ...]
    milestones: Mapping[str, Milestone]
    activities: tuple[Activity, ...]

    @property
    def consultants(self) -> tuple[str, ...]:
        return tuple(name for team, _ in self.teams for name in team)


SJAELLAND = DemoProfile(sj.TEAMS, sj.REFERRALS, sj.MILESTONES, sj.ACTIVITIES)
PROFILES: dict[str, DemoProfile] = {"sjaelland": SJAELLAND}  # a house with tables of its own


def profile_for(contract: Contract, house: House | None) -> DemoProfile:
    """The house's own tables, else the generic story told with the house's and contract's words."""
    own = PROFILES.get(contract.house)
    if own is not None:
        return own
    return generic_profile(house if house is not None else _house_of(contract), contract)


def _house_of(contract: Contract) -> House:
    """A contract whose house the house file does not know (a test contract): its own words."""
    kkr = next((p for p in contract.parties if p.startswith("KKR")), "KKR")
    first = contract.municipalities[0].name
    municipalities = [{"name": m.name, "population": m.population} for m in contract.municipalities]
    return House.model_validate(
        {
            "key": contract.house,
            "name": contract.house_name,
            "kkr": kkr,
            "head_office": first,
            "mail_from": "demo@example.org",
            "logo_text": contract.house_name,
            "fictitious": contract.fictitious,
            "municipalities": municipalities,
        }
    )


def generic_profile(house: House, contract: Contract) -> DemoProfile:
    names = [m.name for m in contract.municipalities]
    by_size = sorted(contract.municipalities, key=lambda m: (-m.population, m.name))

    def where(token: str) -> str:
        """'@head', '@branch', '@n' (the n-th largest municipality), '' (none) or '*' (any)."""
        if token == "@head":
            return house.head_office if house.head_office in names else by_size[0].name
        if token == "@branch":
            branch = next((b for b in house.branches if b in names), None)
            return branch if branch is not None else by_size[min(1, len(by_size) - 1)].name
        if token.startswith("@"):
            return by_size[int(token[1:]) % len(by_size)].name
        return token

    words = {
        "house": house.name,
        "kkr": house.kkr,
        "head_office": where("@head"),
        "partner": _partner(house),
        "n": str(len(names)),
    }
    activities = tuple(
        (type_, month, day, where(place), {k: _fill(v, words) for k, v in data.items()})
        for type_, month, day, place, data in _ACTIVITIES
    )
    milestones = {k: None if v is None else (v[0], v[1], _fill(v[2], words)) for k, v in _MILESTONES.items()}
    referrals = tuple((_fill(to, words), kind, topic) for to, kind, topic in _REFERRALS)
    return DemoProfile(_teams(names, sj.TEAMS), referrals, milestones, activities)


def _partner(house: House) -> str:
    """The other house of goal 10's joint work (Greater Copenhagen in the contract the examples copy)."""
    return "Erhvervshus Hovedstaden" if house.key != "hovedstaden" else "naboerhvervshuset"


def _fill(value: Any, words: Mapping[str, str]) -> Any:
    """Fill '<house>'-style words; '{m}' is left for demo.py (the municipality of each activity)."""
    if not isinstance(value, str):
        return value
    for key, word in words.items():
        value = value.replace(f"<{key}>", word)
    return value


def _teams(names: Sequence[str], teams: tuple[Team, ...]) -> tuple[Team, ...]:
    """Sjælland's business developers in as many teams, each for a consecutive share of the municipalities."""
    count = min(len(teams), len(names))
    cuts = [round(i * len(names) / count) for i in range(count + 1)]
    return tuple((teams[i][0], tuple(names[cuts[i] : cuts[i + 1]])) for i in range(count))


# --- the generic story: Sjælland's, in words any house can use --------------------------------------
_REFERRALS: tuple[Referral, ...] = tuple(
    (
        {
            "Erhvervshus Hovedstaden": "<partner>",
            "Roskilde Universitet – samarbejde med studerende": "Universitet – samarbejde med studerende",
        }.get(to, to),
        kind,
        topic,
    )
    for to, kind, topic in sj.REFERRALS
)
_MILESTONES: dict[str, Milestone] = {
    **sj.MILESTONES,
    "5B.code_of_conduct": (4, 25, "Code of conduct for arbejdsdelingen vedtaget (samarbejdsmodellen)"),
    "5B.communication_network": (3, 28, "Netværk for kommunikationsfolk etableret; første møde holdt i <head_office>"),
    "8.strategy_2020_draft": (6, 20, "Udkast til strategi 2020 forelagt på <kkr>s møde 20. juni"),
    "8.baseline_analysis": (11, 21, "Grundlagsanalysen af de lokale erhvervsvilkår er offentliggjort"),
    "10.een_collaboration": (5, 9, "Aftale med <partner> om forløb, ressourcer og EEN-events"),
    "11.strong_group_explored": (10, 24, "Potentialet for en stærk fødevareklynge i husets område er afdækket"),
}
_LOCAL = "Møde mellem de lokale erhvervsfremmeaktører og <house>"
_MUNICIPAL = "{m} Kommune – aftale om arbejdsdelingen mellem lokal og specialiseret erhvervsservice"
_ACTIVITIES: tuple[Activity, ...] = (
    *(
        (
            "meeting.held",
            month,
            0,
            "",
            sj.meeting("business_chiefs", "Kvartalsmøde med erhvervscheferne i de <n> kommuner"),
        )
        for month in (1, 4, 8, 10)
    ),
    *(
        ("meeting.held", month, 0, where, sj.meeting("local_business_service", f"{_LOCAL} ({{m}})", n))
        for month, where, n in ((2, "@head", 24), (4, "@1", 19), (6, "@2", 21), (9, "@3", 17), (11, "@4", 15))
    ),
    (
        "meeting.held",
        3,
        0,
        "@head",
        sj.meeting("all_actors", "Fælles møde for alle aktører i erhvervsfremmesystemet", 86),
    ),
    ("meeting.held", 10, 0, "@2", sj.meeting("all_actors", "Årsmøde for erhvervsfremmeaktørerne i husets område", 74)),
    (
        "meeting.held",
        2,
        0,
        "",
        sj.meeting("coordination", "Koordineringsmøde med Innovationsfonden, Eksportrådet og Vækstfonden"),
    ),
    ("meeting.held", 5, 0, "", sj.meeting("coordination", "Koordineringsmøde med Erhvervsstyrelsen om SMV:Digital")),
    ("meeting.held", 9, 0, "", sj.meeting("coordination", "Koordineringsmøde med jobcentrene og erhvervsakademierne")),
    ("meeting.held", 3, 0, "", sj.meeting("k17", "Status for resultatkontrakten drøftet i kommunaldirektørkredsen")),
    ("meeting.held", 9, 0, "", sj.meeting("k17", "Halvårsrapport drøftet i kommunaldirektørkredsen")),
    ("meeting.held", 3, 0, "", sj.meeting("kkr", "<kkr>s møde – resultatkontrakten")),
    ("meeting.held", 6, 20, "", sj.meeting("kkr", "<kkr>s møde – udkast til erhvervsfremmestrategi")),
    ("meeting.held", 10, 8, "", sj.meeting("kkr", "<kkr>s møde – proces for den kommende strategi")),
    ("meeting.held", 12, 0, "", sj.meeting("kkr", "<kkr>s møde – status for året")),
    ("event.held", 5, 0, "@0", sj.event("conference", "<house>s erhvervskonference", 240)),
    ("event.held", 11, 0, "@1", sj.event("conference", "Konference: Fremtidens produktion og arbejdskraft", 165)),
    ("event.held", 4, 0, "@head", sj.event("private_advisors", "Rådgiverforum for private rådgivere", 68)),
    ("event.held", 3, 0, "@3", sj.event("digitalisation", "Digitale forretningsmodeller for SMV'er", 48)),
    ("event.held", 9, 0, "@4", sj.event("digitalisation", "E-handel og online salg – kom i gang", 36)),
    ("event.held", 11, 0, "@2", sj.event("digitalisation", "Cybersikkerhed i mindre virksomheder", 55)),
    ("event.held", 9, 0, "@0", sj.event("joint_hovedstaden", "Greater Copenhagen Vækstdag med <partner>", 134)),
    (
        "event.held",
        5,
        0,
        "@2",
        sj.event("joint_hovedstaden", "Fælles EEN-morgenmøde med <partner>: eksport til Tyskland", 60),
    ),
    (
        "event.held",
        2,
        0,
        "@head",
        sj.event("strategy_seminar", "Strategiseminar om det decentrale kapitel i erhvervsfremmestrategien", 92),
    ),
    (
        "event.held",
        4,
        0,
        "@5",
        sj.event("strategy_workshop", "Workshop om områdets bidrag til erhvervsfremmestrategien", 47),
    ),
    ("event.held", 6, 0, "@branch", sj.event("een", "EEN: Find samarbejdspartnere i Europa", 28)),
    ("event.held", 10, 0, "@6", sj.event("een", "EEN: Nye markeder i Nordeuropa", 41)),
    ("event.held", 1, 0, "@head", sj.event("other", "Åbent hus i <house>", 110)),
    *(
        a
        for a in sj.ACTIVITIES
        if a[0] == "agreement.signed" and a[4]["agreement_kind"] not in ("municipality", "other")
    ),
    *(
        ("agreement.signed", month, 0, where, sj.agreement("municipality", _MUNICIPAL))
        for month, where in ((2, "@4"), (3, "@7"), (5, "@3"), (9, "@8"))
    ),
    ("agreement.signed", 8, 0, "", sj.agreement("other", "Det lokale erhvervsakademi")),
    *(a for a in sj.ACTIVITIES if a[0] == "staff.designated"),
)
