"""Fictive data for the demo year: companies, people, texts and the Danish working calendar. Pure.

Every company is computed from its number (a hash, never a stored table), so a pool of any size costs
no memory and the same seed always gives the same companies, with valid CVR numbers.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Generic, TypeVar

from ehsj_core.events.schemas import CVR_WEIGHTS, EFFECT_ANSWERS, TOPICS

T = TypeVar("T", bound=Hashable)
MASK64 = (1 << 64) - 1

# --- tuning: how the year is logged and how the companies answer ---------------------------------
RECORD_LAG_WEIGHTS = (45, 75, 88, 96, 100)  # cumulative: recorded 0, 1, 2, 3 or 4 working days later
OTHER_TOPICS, OTHER_TOPIC_CUM = TOPICS[1:], (20, 32, 52, 77, 92, 100)  # cumulative weights
EFFECT_POSITIVE, EFFECT_ANY, EFFECT_ANY_CUM = ("hoj", "nogen", "nogen"), EFFECT_ANSWERS, (10, 35, 70, 80, 100)
EFFECT_NEGATIVE, EFFECT_NEGATIVE_CUM = EFFECT_ANSWERS[2:], (45, 67, 100)
# Decks per course type: referred?, evaluated?, NPS answer, satisfaction, competence, effect felt?
REFERRED = {
    "action_plan": {True: 3, False: 1},
    "growth_plan": {True: 83, False: 17},
    "development_plan": {True: 19, False: 1},
}
EVALUATED = {True: 16, False: 9}
QUALITY: dict[str, tuple[dict[int, int], dict[int, int], dict[int, int], dict[bool, int]]] = {
    "action_plan": (
        {10: 34, 9: 31, 8: 17, 7: 11, 6: 4, 5: 2, 3: 1},
        {5: 50, 4: 38, 3: 8, 2: 3, 1: 1},
        {5: 58, 4: 33, 3: 6, 2: 2, 1: 1},
        {True: 73, False: 27},
    ),
    "growth_plan": (
        {10: 41, 9: 31, 8: 14, 7: 10, 6: 2, 5: 1, 4: 1},
        {5: 52, 4: 37, 3: 8, 2: 2, 1: 1},
        {5: 60, 4: 32, 3: 6, 2: 2},
        {True: 73, False: 27},
    ),
    "development_plan": ({10: 6, 9: 6, 8: 5, 6: 3}, {5: 13, 4: 7}, {5: 15, 4: 5}, {True: 1}),
}

# --- people (fictive) -------------------------------------------------------------------------------
DIRECTOR = "Lene Rosendahl"
EVALUATION_CLERK = "Rikke Bang"  # imports the national user evaluations
COMMUNICATION = "Sofie Krogh"
# Sjælland's tables from here on (teams, referrals, milestones, activities); any other house's year
# tells the same story in its own words (demo_data.py). The people are everyone's.
# Teams of business developers (forretningsudviklere): head office Sorø, branch Vordingborg.
TEAMS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (
        ("Anne Kjærgaard", "Bo Thygesen", "Camilla Vang", "Jens Overgaard"),
        ("Kalundborg", "Holbæk", "Odsherred", "Slagelse", "Sorø", "Ringsted"),
    ),
    (
        ("Dorthe Lykke", "Frederik Brandt", "Karina Lund", "Mads Kragh", "Pernille Dam"),
        ("Roskilde", "Greve", "Solrød", "Lejre", "Køge", "Stevns", "Faxe"),
    ),
    (("Søren Friis", "Tina Holst", "Ulrik Skov", "Helle Bak"), ("Næstved", "Vordingborg", "Guldborgsund", "Lolland")),
)
CONSULTANTS: tuple[str, ...] = tuple(name for team, _ in TEAMS for name in team)
DIGITAL_EXPERTS = ("Camilla Vang", "Mads Kragh")
CROSS_REGION = ("Frederik Brandt", "Helle Bak")

# --- texts ------------------------------------------------------------------------------------------
# (referred_to, referral_kind, the course topic it suits or None)
REFERRALS: tuple[tuple[str, str, str | None], ...] = (
    ("Innovationsfonden – Innobooster", "state_scheme", "innovation"),
    ("Eksportrådet", "state_scheme", "export"),
    ("Vækstfonden – vækstlån og kaution", "state_scheme", "financing"),
    ("Privat rådgiver: revisor", "private_advisor", "financing"),
    ("Privat rådgiver: advokat med speciale i generationsskifte", "private_advisor", "generational_change"),
    ("Privat rådgiver: digital strategi og e-handel", "private_advisor", "digital_business_model"),
    ("SMV:Digital (Erhvervsstyrelsen)", "other_public", "digital_business_model"),
    ("Privat rådgiver: strategi og ledelse", "private_advisor", "strategy"),
    ("Patent- og Varemærkestyrelsen", "other_public", "innovation"),
    ("Enterprise Europe Network", "other_public", "export"),
    ("Erhvervshus Hovedstaden", "other_public", None),
    ("Lokal erhvervsservice i kommunen", "other_public", None),
    ("Bestyrelsesnetværk i brancheforeningen", "other", "strategy"),
    ("Roskilde Universitet – samarbejde med studerende", "other", "innovation"),
    ("Privat rådgiver: markedsføring og salg", "private_advisor", None),
)
EVENT_TITLES = (
    "Morgenmøde: Generationsskifte i familieejede virksomheder",
    "Iværksættercafé",
    "Finansiering af vækst – mød Vækstfonden",
    "Eksportstart – workshop for SMV'er",
    "Netværksmøde for fødevarevirksomheder",
    "Ledelse i vækstvirksomheder",
    "Bæredygtighed som forretning",
    "Rekruttering af kvalificeret arbejdskraft",
    "Turisme og oplevelsesøkonomi",
    "Innovation i produktionsvirksomheder",
    "Salg og markedsføring på sociale medier",
    "Bestyrelsesarbejde i mindre virksomheder",
)
# Milestones of the 2019 contract: (month, day, evidence); None = never reached in the demo year.
MILESTONES: dict[str, tuple[int, int, str] | None] = {
    "1.communication_strategy": (3, 14, "Kommunikations- og kendskabsstrategien godkendt af bestyrelsen"),
    "5A.digital_advisor_platform": (9, 12, "Koncept for digital rådgiverplatform præsenteret for bestyrelsen"),
    "5B.collaboration_forum": (2, 7, "Første møde i samarbejdsforummet med de lokale erhvervsfremmeaktører"),
    "5B.code_of_conduct": (4, 25, "Code of conduct for arbejdsdelingen vedtaget (Sjællandsmodellen)"),
    "5B.communication_network": (3, 28, "Netværk for kommunikationsfolk etableret; første møde holdt i Sorø"),
    "5B.local_channels": (5, 16, "Aftale med de lokale erhvervsråd om brug af deres kommunikationskanaler"),
    "6.digital_entry": (4, 1, "Den fælles digitale indgang er lanceret med fælles visuel identitet"),
    "6.platform_working_group": (2, 20, "Erhvervshuset deltager i den nationale arbejdsgruppe for platformen"),
    "7.digital_experts_identified": (6, 13, "Liste over private rådgivere med digitale kompetencer udarbejdet"),
    "8.strategy_2020_draft": (6, 20, "Udkast til strategi 2020 forelagt på KKR Sjællands møde 20. juni"),
    "8.strategy_2021_process": (
        10,
        8,
        "Proces for strategi 2021 forelagt på KKR-mødet 8. oktober (udskudt fra september)",
    ),
    "8.baseline_analysis": (11, 21, "Grundlagsanalysen af de sjællandske erhvervsvilkår er offentliggjort"),
    "9.companies_mapped": (5, 28, "Virksomhederne er kortlagt som iværksættere, SMV'er og store virksomheder"),
    "9.needs_documented": (8, 29, "Behovsanalyse for de tre virksomhedsgrupper dokumenteret"),
    "9.product_plan": (11, 7, "Produktplan for 2020 godkendt af bestyrelsen"),
    "10.een_collaboration": (5, 9, "Aftale med Erhvervshus Hovedstaden om forløb, ressourcer og EEN-events"),
    "10.tourism_explored": None,
    "11.strong_group_explored": (10, 24, "Potentialet for en stærk fødevareklynge på Sjælland er afdækket"),
    "12.marketing": (3, 5, "Markedsføring i gang via brancheorganisationer, erhvervsråd, presse og sociale medier"),
    "12.crm_registration": (1, 31, "Alle forretningsudviklere registrerer i det fælles CRM-system"),
    "12.baseline_awareness": (9, 26, "Nulpunktsmåling af kendskabet til Erhvervshuset gennemført"),
    "12.information_campaign": None,
}

# --- company names ----------------------------------------------------------------------------------
TOWNS: dict[str, tuple[str, ...]] = {
    "Greve": ("Greve", "Karlslunde", "Tune"),
    "Køge": ("Køge", "Borup", "Herfølge"),
    "Lejre": ("Lejre", "Hvalsø", "Kirke Hyllinge"),
    "Roskilde": ("Roskilde", "Jyllinge", "Viby"),
    "Solrød": ("Solrød", "Havdrup"),
    "Faxe": ("Faxe", "Haslev", "Rønnede"),
    "Guldborgsund": ("Nykøbing Falster", "Sakskøbing", "Stubbekøbing"),
    "Holbæk": ("Holbæk", "Tølløse", "Jyderup"),
    "Kalundborg": ("Kalundborg", "Høng", "Gørlev"),
    "Lolland": ("Nakskov", "Maribo", "Rødby"),
    "Næstved": ("Næstved", "Fensmark", "Glumsø"),
    "Odsherred": ("Asnæs", "Vig", "Nykøbing Sjælland"),
    "Ringsted": ("Ringsted", "Benløse"),
    "Slagelse": ("Slagelse", "Korsør", "Skælskør"),
    "Sorø": ("Sorø", "Dianalund"),
    "Stevns": ("Store Heddinge", "Hårlev", "Strøby"),
    "Vordingborg": ("Vordingborg", "Præstø", "Stege"),
    # Other houses' municipalities whose name is not their main town (any other: its own name).
    "Faaborg-Midtfyn": ("Faaborg", "Ringe", "Årslev"),
    "Langeland": ("Rudkøbing", "Tranekær"),
    "Nordfyns": ("Bogense", "Otterup", "Søndersø"),
    "Ærø": ("Ærøskøbing", "Marstal"),
    "Assens": ("Assens", "Glamsbjerg", "Aarup"),
    "Kerteminde": ("Kerteminde", "Munkebo", "Langeskov"),
    "Svendborg": ("Svendborg", "Thurø"),
    "Ikast-Brande": ("Ikast", "Brande"),
    "Ringkøbing-Skjern": ("Ringkøbing", "Skjern", "Tarm"),
    "Norddjurs": ("Grenaa", "Auning"),
    "Syddjurs": ("Ebeltoft", "Rønde", "Hornslet"),
    "Jammerbugt": ("Aabybro", "Fjerritslev", "Brovst"),
    "Mariagerfjord": ("Hobro", "Mariager", "Hadsund"),
    "Morsø": ("Nykøbing Mors",),
    "Rebild": ("Støvring", "Skørping"),
    "Vesthimmerland": ("Aars", "Farsø", "Løgstør"),
    "Bornholm": ("Rønne", "Nexø", "Aakirkeby"),
    "Egedal": ("Ølstykke", "Stenløse", "Smørum"),
    "Furesø": ("Farum", "Værløse"),
    "Gribskov": ("Helsinge", "Gilleleje"),
    "Halsnæs": ("Frederiksværk", "Hundested"),
    "Rudersdal": ("Holte", "Birkerød"),
    "Lyngby-Taarbæk": ("Kongens Lyngby",),
    "Tårnby": ("Kastrup", "Tårnby"),
    "Allerød": ("Lillerød", "Blovstrød"),
}
SURNAMES = (
    "Holm",
    "Jensen",
    "Nielsen",
    "Hansen",
    "Pedersen",
    "Andersen",
    "Larsen",
    "Sørensen",
    "Rasmussen",
    "Jørgensen",
    "Madsen",
    "Kristensen",
    "Olsen",
    "Thomsen",
    "Poulsen",
    "Møller",
    "Mortensen",
    "Kjær",
    "Lund",
    "Bach",
    "Dahl",
    "Winther",
    "Skov",
    "Friis",
    "Bruun",
    "Vestergaard",
    "Krogh",
    "Lauridsen",
    "Mikkelsen",
    "Berg",
    "Hvid",
    "Bertelsen",
)
TRADES = (
    "Maskinfabrik",
    "Tømrerfirma",
    "VVS",
    "El-service",
    "Auto",
    "Entreprenørforretning",
    "Transport",
    "Revision",
    "Bogtrykkeri",
    "Møbelsnedkeri",
    "Maskinstation",
    "Byggeservice",
    "Bageri",
    "Smedie",
    "Gartneri",
    "Planteskole",
    "Metalindustri",
    "Plastteknik",
    "Emballage",
    "Fødevarer",
    "Vinduesfabrik",
    "Anlæg",
    "Elektronik",
    "Ejendomsservice",
    "Fiskeeksport",
    "Mølleri",
)
BRANDS = (
    "Nordlys",
    "Havblik",
    "Grøntkorn",
    "Fjordlys",
    "Kystvind",
    "Bøgely",
    "Lysholm",
    "Skovbryn",
    "Egelund",
    "Klintholm",
    "Kløverdal",
    "Lindehøj",
    "Vestkyst",
    "Isefjord",
    "Solsikke",
    "Saltvand",
)
BRAND_SUFFIXES = (
    "Digital",
    "Design",
    "Engineering",
    "Foods",
    "Solutions",
    "Tech",
    "Consult",
    "Energi",
    "Bryg",
    "Logistik",
    "Data",
    "Robotics",
)
_A = 386_411  # coprime with 900 000: spreads company numbers over the 6-digit CVR prefixes
_B = 5_102_533  # coprime with 8 100 000 (= 9 × 900 000): shuffles the numbers first


def mix64(a: int, b: int) -> int:
    """A deterministic 64-bit hash of two integers (one splitmix64 round)."""
    z = (a * 0x9E3779B97F4A7C15 + b + 0x632BE59BD9B4E019) & MASK64
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9 & MASK64
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB & MASK64
    return z ^ (z >> 31)


def _weighted(digits: int, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(f"{digits:0{len(weights)}d}", weights, strict=True))


# The CVR check in pieces: the weighted sums of a prefix's two 3-digit halves, and per remainder of
# that sum mod 11 the (7th digit, check digit) pairs that make it valid (9 of the 10 seventh digits).
_HIGH = [_weighted(n, CVR_WEIGHTS[:3]) for n in range(1000)]
_LOW = [_weighted(n, CVR_WEIGHTS[3:6]) for n in range(1000)]
_ENDINGS = [
    [f"{seventh}{check}" for seventh in range(10) if (check := -(r + 2 * seventh) % 11) != 10][:9] for r in range(11)
]


def cvr_for(number: int, offset: int) -> str:
    """The `number`-th valid CVR, a bijection for numbers below 8 100 000 (900 000 prefixes × 9)."""
    block, r = divmod(number * _B % 8_100_000, 9)  # scrambled, so neighbours look unrelated
    prefix = 100_000 + (block * _A + offset) % 900_000
    high, low = divmod(prefix, 1000)
    return f"{prefix}{_ENDINGS[(_HIGH[high] + _LOW[low]) % 11][r]}"


@dataclass(frozen=True, slots=True)
class Company:
    cvr: str
    name: str
    municipality: str
    segment: str  # entrepreneur | sme | large


class CompanyPool:
    """`size` fictive companies, spread over the municipalities by weight (at least 3 in each)."""

    def __init__(self, municipalities: Sequence[str], weights: Sequence[float], size: int, seed: int) -> None:
        total = sum(weights)
        self.municipalities = tuple(municipalities)
        self.sizes = [max(3, round(size * w / total)) for w in weights]
        self.offsets = [sum(self.sizes[:i]) for i in range(len(self.sizes))]
        self.seed = seed
        self._cvr_offset = mix64(seed, 1) % 900_000

    def __len__(self) -> int:
        return sum(self.sizes)

    def pick(self, rng: random.Random, municipality: int) -> int:
        return self.offsets[municipality] + int(rng.random() * self.sizes[municipality])

    def company(self, number: int) -> Company:
        m = bisect_right(self.offsets, number) - 1
        home = self.municipalities[m]
        h = mix64(self.seed, number)
        roll = h % 100
        segment = "entrepreneur" if roll < 24 else "large" if roll >= 93 else "sme"
        return Company(cvr_for(number, self._cvr_offset), _name(h >> 7, home, segment), home, segment)

    def __iter__(self) -> Iterator[Company]:
        return (self.company(n) for n in range(len(self)))


def _name(h: int, home: str, segment: str) -> str:
    def pick(options: Sequence[str], shift: int) -> str:
        return options[(h >> shift) % len(options)]

    if segment == "entrepreneur":
        return f"{pick(BRANDS, 23)} {pick(BRAND_SUFFIXES, 29)} {'IVS' if h & 1 else 'ApS'}"
    trade, style = pick(TRADES, 11), h % 6
    if segment == "large" or style == 1:
        form = "A/S" if segment == "large" else "ApS"
        return (
            f"{pick(TOWNS.get(home, (home,)), 19)} {trade} {form}" if h & 1 else f"{pick(SURNAMES, 3)} {trade} {form}"
        )
    if style == 0:
        return f"{pick(SURNAMES, 3)} & Sønner ApS"
    if style == 2:
        return f"{pick(SURNAMES, 3)}s {trade} ApS"
    if style == 3:
        return f"{pick(SURNAMES, 3)} & {pick(SURNAMES, 35)} I/S"
    if style == 4:
        return f"{pick(BRANDS, 23)} {pick(BRAND_SUFFIXES, 29)} ApS"
    return f"{pick(SURNAMES, 3)} {trade} ApS"


class Deck(Generic[T]):
    """Draws without replacement from a shuffled deck, reshuffled when empty: the realised shares
    match the deck's composition closely at any volume (stable figures, unlike independent draws)."""

    def __init__(self, rng: random.Random, counts: dict[T, int]) -> None:
        self._rng = rng
        self._cards = [item for item, n in counts.items() for _ in range(n)]
        self._stack: list[T] = []

    def draw(self) -> T:
        if not self._stack:
            self._stack = self._cards.copy()
            self._rng.shuffle(self._stack)
        return self._stack.pop()


# --- calendar -----------------------------------------------------------------------------------------
def easter(year: int) -> date:
    """Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (b - (b + 8) // 25 + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday) // 451
    n = h + weekday - 7 * m + 114
    return date(year, n // 31, n % 31 + 1)


def holidays(year: int) -> set[date]:
    """Danish public holidays plus the days offices close (Grundlovsdag, 24 and 31 December)."""
    e = easter(year)
    moving = [-3, -2, 1, 39, 50] + ([26] if year < 2024 else [])  # Store Bededag abolished from 2024
    fixed = [(1, 1), (6, 5), (12, 24), (12, 25), (12, 26), (12, 31)]
    return {e + timedelta(days=n) for n in moving} | {date(year, m, d) for m, d in fixed}


def working_days(start: date, end: date) -> list[date]:
    off = holidays(start.year) | holidays(end.year)
    days = (start + timedelta(days=n) for n in range((end - start).days + 1))
    return [d for d in days if d.weekday() < 5 and d not in off]


def activity(day: date) -> float:
    """How busy a working day is: quiet in July, the last days of December and school holidays."""
    if day.month == 7:
        return 0.3
    if day.month == 12 and day.day >= 19:
        return 0.25
    week = day.isocalendar()[1]
    if week in (7, 8, 42) or (day.month == 1 and day.day < 7):
        return 0.75
    return 1.1 if day.month in (9, 10, 11) else 1.0


# --- the house's own activities -------------------------------------------------------------------------
# (type, month, day or 0 = any working day that month, municipality ("" none, "*" any), data);
# "{m}" in a text is replaced by the municipality, which falls back to a random one if not in the contract.
def meeting(kind: str, title: str, participants: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"meeting_kind": kind, "title": title}
    return data if participants is None else {**data, "participants": participants}


def event(kind: str, title: str, participants: int) -> dict[str, Any]:
    return {"event_kind": kind, "title": title, "participants": participants}


def agreement(kind: str, partner: str) -> dict[str, Any]:
    return {"agreement_kind": kind, "partner": partner}


_CHIEFS = "Kvartalsmøde med erhvervscheferne i de 17 kommuner"
_LOCAL = "Møde mellem de lokale erhvervsfremmeaktører og Erhvervshus Sjælland"
_MUNICIPAL = "{m} Kommune – aftale om arbejdsdelingen mellem lokal og specialiseret erhvervsservice"
ACTIVITIES: tuple[tuple[str, int, int, str, dict[str, Any]], ...] = (
    *(("meeting.held", month, 0, "", meeting("business_chiefs", _CHIEFS)) for month in (1, 4, 8, 10)),
    *(
        ("meeting.held", month, 0, where, meeting("local_business_service", f"{_LOCAL} ({{m}})", n))
        for month, where, n in (
            (2, "Sorø", 24),
            (4, "Næstved", 19),
            (6, "Køge", 21),
            (9, "Holbæk", 17),
            (11, "Guldborgsund", 15),
        )
    ),
    ("meeting.held", 3, 0, "Sorø", meeting("all_actors", "Fælles møde for alle aktører i erhvervsfremmesystemet", 86)),
    (
        "meeting.held",
        10,
        0,
        "Ringsted",
        meeting("all_actors", "Årsmøde for erhvervsfremmeaktørerne i region Sjælland", 74),
    ),
    (
        "meeting.held",
        2,
        0,
        "",
        meeting("coordination", "Koordineringsmøde med Innovationsfonden, Eksportrådet og Vækstfonden"),
    ),
    ("meeting.held", 5, 0, "", meeting("coordination", "Koordineringsmøde med Erhvervsstyrelsen om SMV:Digital")),
    ("meeting.held", 9, 0, "", meeting("coordination", "Koordineringsmøde med jobcentrene og erhvervsakademierne")),
    ("meeting.held", 3, 0, "", meeting("k17", "Status for resultatkontrakten drøftet i K17")),
    ("meeting.held", 9, 0, "", meeting("k17", "Halvårsrapport drøftet i K17")),
    ("meeting.held", 3, 0, "", meeting("kkr", "KKR Sjællands møde – resultatkontrakten")),
    ("meeting.held", 6, 20, "", meeting("kkr", "KKR Sjællands møde – udkast til erhvervsfremmestrategi")),
    ("meeting.held", 10, 8, "", meeting("kkr", "KKR Sjællands møde – proces for den kommende strategi")),
    ("meeting.held", 12, 0, "", meeting("kkr", "KKR Sjællands møde – status for året")),
    ("event.held", 5, 0, "Roskilde", event("conference", "Sjællands Erhvervskonference", 240)),
    ("event.held", 11, 0, "Næstved", event("conference", "Konference: Fremtidens produktion og arbejdskraft", 165)),
    ("event.held", 4, 0, "Sorø", event("private_advisors", "Rådgiverforum for private rådgivere", 68)),
    ("event.held", 3, 0, "Holbæk", event("digitalisation", "Digitale forretningsmodeller for SMV'er", 48)),
    ("event.held", 9, 0, "Slagelse", event("digitalisation", "E-handel og online salg – kom i gang", 36)),
    ("event.held", 11, 0, "Køge", event("digitalisation", "Cybersikkerhed i mindre virksomheder", 55)),
    (
        "event.held",
        9,
        0,
        "Roskilde",
        event("joint_hovedstaden", "Greater Copenhagen Vækstdag med Erhvervshus Hovedstaden", 134),
    ),
    (
        "event.held",
        5,
        0,
        "Køge",
        event("joint_hovedstaden", "Fælles EEN-morgenmøde med Erhvervshus Hovedstaden: eksport til Tyskland", 60),
    ),
    (
        "event.held",
        2,
        0,
        "Sorø",
        event("strategy_seminar", "Strategiseminar om det decentrale kapitel i erhvervsfremmestrategien", 92),
    ),
    (
        "event.held",
        4,
        0,
        "Ringsted",
        event("strategy_workshop", "Workshop om Sjællands bidrag til erhvervsfremmestrategien", 47),
    ),
    ("event.held", 6, 0, "Vordingborg", event("een", "EEN: Find samarbejdspartnere i Europa", 28)),
    ("event.held", 10, 0, "Guldborgsund", event("een", "EEN: Femern-forbindelsen og nye markeder", 41)),
    ("event.held", 1, 0, "Sorø", event("other", "Åbent hus i Erhvervshus Sjælland", 110)),
    ("agreement.signed", 3, 0, "", agreement("state_scheme", "Innovationsfonden")),
    ("agreement.signed", 3, 0, "", agreement("state_scheme", "Eksportrådet")),
    ("agreement.signed", 4, 0, "", agreement("state_scheme", "Vækstfonden")),
    ("agreement.signed", 6, 0, "", agreement("copenhagen_capacity", "Copenhagen Capacity")),
    ("agreement.signed", 4, 0, "", agreement("early_warning", "Early Warning (Erhvervsstyrelsen)")),
    (
        "agreement.signed",
        5,
        0,
        "",
        agreement("export_council", "Danmarks Eksportråd – de indstationerede medarbejdere"),
    ),
    *(
        ("agreement.signed", month, 0, where, agreement("municipality", _MUNICIPAL))
        for month, where in ((2, "Slagelse"), (3, "Lolland"), (5, "Holbæk"), (9, "Greve"))
    ),
    ("agreement.signed", 8, 0, "", agreement("other", "Zealand – Sjællands Erhvervsakademi")),
    *(("staff.designated", 1, 0, "", {"consultant": name, "role": "digital_expert"}) for name in DIGITAL_EXPERTS),
    *(("staff.designated", 2, 0, "", {"consultant": name, "role": "cross_region"}) for name in CROSS_REGION),
)
NEWSLETTER_CHANNELS = ("Nyhedsbrev fra {m} Erhvervsråd", "{m} Erhvervsforums nyhedsbrev", "Erhverv {m} – månedsbrev")
NEWSLETTER_MONTHS = (1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12)
EVENT_MONTHS = (2, 3, 3, 4, 5, 6, 8, 9, 10, 10, 11, 12)


def allocate(total: int, weights: list[float]) -> list[int]:
    """Largest-remainder split of `total` by `weights`."""
    quotas = [total * w / sum(weights) for w in weights]
    counts = [int(q) for q in quotas]
    for i in sorted(range(len(quotas)), key=lambda i: counts[i] - quotas[i])[: total - sum(counts)]:
        counts[i] += 1
    return counts
