"""The Danish words of the web app for the event log: event types, field names, closed choices."""

from __future__ import annotations

from typing import Any

from ehsj_core.contract.model import Contract
from ehsj_core.events.views import (
    AgreementSignedView,
    CompanyReferredView,
    CourseCompletedView,
    EffectMeasurementReportedView,
    EvaluationReceivedView,
    EventHeldView,
    EventRetractedView,
    EventView,
    MeetingHeldView,
    MilestoneReachedView,
    NewsletterSentView,
    OfficialFigureReportedView,
    PeriodClosedView,
    StaffDesignatedView,
)
from ehsj_core.reports.labels import actual_text, long_date, number

EVENT_TITLES: dict[str, str] = {
    "course.completed": "Forløb gennemført",
    "company.referred": "Virksomhed henvist",
    "meeting.held": "Møde afholdt",
    "newsletter.sent": "Nyhedsbrev udsendt",
    "event.held": "Arrangement afholdt",
    "evaluation.received": "Evaluering modtaget",
    "agreement.signed": "Aftale indgået",
    "staff.designated": "Medarbejder udpeget",
    "milestone.reached": "Milepæl nået",
    "official_figure.reported": "Erhvervsstyrelsens tal",
    "effect_measurement.reported": "Effektmåling af vækstvirksomheder",
    "event.retracted": "Tilbagekaldelse",
}

FIELD_LABELS: dict[str, str] = {
    "occurred_on": "Dato",
    "course_type": "Forløbstype",
    "company_cvr": "CVR-nummer",
    "company_name": "Virksomhedens navn",
    "municipality": "Kommune",
    "consultant": "Konsulent",
    "topics": "Emner",
    "segment": "Virksomhedstype",
    "from_course": "Henvist fra forløb",
    "referred_to": "Henvist til",
    "referral_kind": "Type af henvisning",
    "meeting_kind": "Mødetype",
    "title": "Titel",
    "participants": "Antal deltagere",
    "channel": "Kanal",
    "recipients": "Antal modtagere",
    "event_kind": "Arrangementstype",
    "nps": "Anbefaling (0–10)",
    "satisfaction": "Generel tilfredshed (1–5)",
    "consultant_competence": "Konsulentens kompetencer (1–5)",
    "effect": "Oplevet effekt",
    "partner": "Partner",
    "agreement_kind": "Aftaletype",
    "role": "Rolle",
    "milestone": "Milepæl",
    "evidence": "Dokumentation (link eller henvisning)",
    "target_event_id": "Hændelse",
    "reason": "Begrundelse",
    "channel_kind": "Kanaltype",
    "event_ref": "Arrangement",
    "measure": "Målt på",
    "year": "Kontraktår",
    "customers_growth_pct": "Kundernes vækst (%)",
    "control_growth_pct": "Kontrolgruppens vækst (%)",
    "companies": "Antal virksomheder (kunder)",
    "control_companies": "Antal virksomheder i kontrolgruppen",
    "source": "Kilde",
    "published_on": "Offentliggjort den",
    "target": "Måltal",
    "value": "Officielt tal",
    "note": "Bemærkning",
    "participant_consultant": "Konsulent på deltagernes korte forløb",
}

CHOICES: dict[str, dict[str, str]] = {
    "channel_kind": {
        "local_business_council": "Lokalt erhvervsråd",
        "house": "Erhvervshusets eget nyhedsbrev",
        "other": "Anden kanal",
    },
    "measure": {"jobs": "Antal arbejdspladser", "turnover": "Omsætning"},
    "meeting_kind": {
        "all_actors": "Fællesmøde for alle aktører",
        "local_business_service": "Møde med lokale erhvervsfremmeaktører",
        "coordination": "Koordineringsmøde med andre offentlige tilbud",
        "k17": "Møde i K17",
        "kkr": "Møde i KKR",
        "business_chiefs": "Møde med erhvervscheferne",
        "council_presentation_offered": "Datoer tilbudt til oplæg for kommunalbestyrelse eller udvalg",
        "other": "Andet møde",
    },
    "event_kind": {
        "event": "Arrangement",
        "conference": "Konference",
        "private_advisors": "Arrangement for private rådgivere",
        "digitalisation": "Arrangement om digitalisering",
        "joint_hovedstaden": "Fælles arrangement med nabohuset",
        "strategy_seminar": "Strategiseminar",
        "strategy_workshop": "Strategiworkshop",
        "een": "EEN-arrangement",
        "other": "Andet arrangement",
    },
    "referral_kind": {
        "private_advisor": "Privat rådgiver",
        "state_scheme": "Statslig ordning",
        "other_public": "Andet offentligt tilbud",
        "other": "Andet",
    },
    "agreement_kind": {
        "state_scheme": "Statslig ordning i huset",
        "copenhagen_capacity": "Copenhagen Capacity",
        "early_warning": "Early Warning",
        "export_council": "Danmarks Eksportråd",
        "municipality": "Kommune",
        "other": "Anden lokal aktør",
    },
    "role": {"digital_expert": "Digital ekspert", "cross_region": "Forretningsudvikler på tværs af regionerne"},
    "topics": {
        "digital_business_model": "Digital forretningsmodel",
        "export": "Eksport",
        "generational_change": "Generationsskifte",
        "financing": "Finansiering",
        "strategy": "Strategi",
        "innovation": "Innovation",
        "other": "Andet",
    },
    "segment": {"entrepreneur": "Iværksætter", "sme": "Små og mellemstore virksomheder", "large": "Stor virksomhed"},
    "effect": {
        "hoj": "I høj grad",
        "nogen": "I nogen grad",
        "lav": "I lav grad",
        "slet_ikke": "Slet ikke",
        "ved_ikke": "Ved ikke",
    },
}

ROLE_TITLES: dict[str, str] = {
    "consultant": "Konsulent",
    "director": "Direktør",
    "auditor": "Revisor",
    "chief": "Erhvervschef",
}


def course_names(contract: Contract) -> dict[str, str]:
    return {c.key: c.name for c in contract.course_types}


def milestone_titles(contract: Contract) -> dict[str, str]:
    """ "5B.code_of_conduct" → "Mål 5B: Code of conduct …", in the contract's order."""
    return {
        f"{g.id}.{t.key}": f"Mål {g.id}: {t.label}" for g in contract.goals for t in g.targets if t.kind == "milestone"
    }


def measured_target_titles(contract: Contract) -> dict[str, str]:
    """ "3.nps" → "Mål 3: …", for every target an official figure may be recorded for
    (`Contract.measured_target_kinds`), in the contract's order."""
    kinds = contract.measured_target_kinds()
    return {
        f"{g.id}.{t.key}": f"Mål {g.id}: {t.label}"
        for g in contract.goals
        for t in g.targets
        if f"{g.id}.{t.key}" in kinds
    }


def choice(field: str, value: Any) -> str:
    return CHOICES.get(field, {}).get(str(value), str(value))


def describe(data: EventView, contract: Contract) -> str:
    """One line a person reads in the history: what happened, to whom, where."""
    courses = course_names(contract)
    parts: list[str | None] = []
    d = data
    if isinstance(d, CourseCompletedView):
        parts = [
            courses.get(d.course_type, d.course_type),
            _company(d.company_cvr, d.company_name),
            d.municipality,
            f"konsulent {d.consultant}",
        ]
        if d.topics:
            parts.append("emner: " + ", ".join(choice("topics", t) for t in d.topics))
        if d.event_ref:
            parts.append("deltog i et arrangement")
    elif isinstance(d, CompanyReferredView):
        parts = [
            _company(d.company_cvr, None),
            f"fra {courses.get(d.from_course, d.from_course)}",
            f"til {d.referred_to}",
            choice("referral_kind", d.referral_kind),
            d.municipality,
        ]
    elif isinstance(d, MeetingHeldView):
        parts = [choice("meeting_kind", d.meeting_kind), d.title, d.municipality, _count(d.participants, "deltagere")]
    elif isinstance(d, NewsletterSentView):
        parts = [d.channel, choice("channel_kind", d.channel_kind), d.municipality, _count(d.recipients, "modtagere")]
    elif isinstance(d, EventHeldView):
        parts = [choice("event_kind", d.event_kind), d.title, d.municipality, _count(d.participants, "deltagere")]
    elif isinstance(d, EvaluationReceivedView):
        parts = [
            courses.get(d.course_type, d.course_type),
            _company(d.company_cvr, None),
            f"anbefaling {d.nps}",
            f"tilfredshed {d.satisfaction}",
            f"kompetencer {d.consultant_competence}",
        ]
    elif isinstance(d, AgreementSignedView):
        parts = [d.partner, choice("agreement_kind", d.agreement_kind), d.municipality]
    elif isinstance(d, StaffDesignatedView):
        parts = [d.consultant, choice("role", d.role)]
    elif isinstance(d, MilestoneReachedView):
        parts = [milestone_titles(contract).get(d.milestone, d.milestone), d.evidence]
    elif isinstance(d, OfficialFigureReportedView):
        figure = actual_text(contract.measured_target_kinds().get(d.target, "count"), d.value)
        title = measured_target_titles(contract).get(d.target, d.target)
        parts = [f"{title} for {d.year}: {figure}", _source(d.source, d.published_on), d.note]
    elif isinstance(d, EffectMeasurementReportedView):
        parts = [
            f"{choice('measure', d.measure).lower()} for {d.year}",
            f"kundernes vækst {number(d.customers_growth_pct)} % mod kontrolgruppens {number(d.control_growth_pct)} %",
            f"{number(d.companies)} virksomheder mod {number(d.control_companies)} i kontrolgruppen",
            _source(d.source, d.published_on),
        ]
    elif isinstance(d, EventRetractedView):
        parts = [f"begrundelse: {d.reason}"]
    elif isinstance(d, PeriodClosedView):
        parts = [f"kontraktåret {d.year} lukket", d.note]
    return " · ".join(p for p in parts if p)


def _company(cvr: str | None, name: str | None) -> str:
    if name and cvr:
        return f"{name} (CVR {cvr})"
    return name or (f"CVR {cvr}" if cvr else "")


def _source(source: str, published_on: str) -> str:
    try:
        day = long_date(published_on)
    except ValueError:  # stored as validated, so an ISO date; never let one odd row break the history
        day = published_on
    return f"kilde: {source}, offentliggjort {day}"


def _count(value: int | None, noun: str) -> str:
    return "" if value is None else f"{number(value)} {noun}"
