"""The rule book decides the same on every path: every role × event type × entry point.

For each role (consultant, director, auditor, chief) and each kind of event — the nine ordinary types,
an event for a closed year, closing a year, retracting one's own event and retracting another
consultant's — every entry point that offers it (the API, the web forms and the history, the CLI,
the CRM and evaluation imports) gives one decision: allowed, or refused with the same problem, and
then nothing is stored.
"""

from __future__ import annotations

import html
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ehsj_core.events.rulebook import OFFICIAL_ONLY
from ehsj_core.events.views import view_data
from ehsj_core.settings import Settings, get_settings
from ehsj_core.tracker import Tracker
from ehsj_core.users import issue_token
from services.api.app import create_app
from services.api.web.forms import event_forms
from services.cli.main import app as cli
from tests.conftest import CONTRACTS, auth
from tests.factories import Actor, cvr
from tests.webclient import create_people, sign_in, token_of

ROLE_PERSON = {
    "consultant": "Karen Konsulent",
    "director": "Dorte Direktør",
    "auditor": "Anders Revisor",
    "chief": "Lars Erhvervschef",
}
OTHER_CONSULTANT = "Kim Konsulent"
OPEN_DAY = "2020-03-04"  # 2020 is open; 2019 is closed by the setup
ORDINARY: dict[str, dict[str, Any]] = {
    "course.completed": {
        "course_type": "action_plan",
        "company_cvr": cvr(1),
        "municipality": "Lolland",
        "consultant": "Karen Konsulent",
    },
    "company.referred": {
        "company_cvr": cvr(1),
        "from_course": "action_plan",
        "referred_to": "Vækstfonden",
        "referral_kind": "state_scheme",
    },
    "meeting.held": {"meeting_kind": "coordination", "title": "Koordinering"},
    "newsletter.sent": {"channel": "Erhvervsrådets nyhedsbrev", "channel_kind": "local_business_council"},
    "event.held": {"event_kind": "event", "title": "Morgenmøde", "municipality": "Sorø", "participants": 30},
    "evaluation.received": {
        "course_type": "action_plan",
        "company_cvr": cvr(1),
        "nps": 9,
        "satisfaction": 5,
        "consultant_competence": 4,
        "effect": ["hoj", "nogen", "lav", "slet_ikke", "ved_ikke", "lav", "lav"],
    },
    "agreement.signed": {"partner": "Copenhagen Capacity", "agreement_kind": "copenhagen_capacity"},
    "staff.designated": {"consultant": "Kim Konsulent", "role": "cross_region"},
    "milestone.reached": {"milestone": "5B.code_of_conduct", "evidence": "Referat"},
    "official_figure.reported": {
        "target": "3.nps",
        "year": 2019,  # closed in this world: the director may, and is flagged
        "value": 55,
        "source": "Erhvervsstyrelsen",
        "published_on": "2020-03-02",
    },
    "effect_measurement.reported": {
        "measure": "jobs",
        "year": 2019,  # closed in this world: the director may, and is flagged
        "customers_growth_pct": 12,
        "control_growth_pct": 2,
        "companies": 100,
        "control_companies": 3000,
        "source": "Erhvervsstyrelsen",
        "published_on": "2020-03-02",
    },
}
CASES = [*ORDINARY, "closed_year", "close_year", "retract_own", "retract_others"]


def expected(role: str, case: str) -> str | None:
    """None: allowed; else the problem every entry point must give."""
    if role in ("auditor", "chief"):
        return f"rollen '{role}' må ikke registrere hændelser"
    if role == "director":
        return None
    return {
        "closed_year": "kun direktøren kan registrere eller tilbagekalde hændelser for et lukket år",
        "close_year": "kun direktøren kan lukke et år",
        "retract_others": "du kan kun tilbagekalde hændelser, du selv har registreret",
        "official_figure.reported": OFFICIAL_ONLY,
        "effect_measurement.reported": OFFICIAL_ONLY,
    }.get(case)


@dataclass
class Outcome:
    allowed: bool
    text: str  # what the entry point said, whitespace folded


def folded(text: str) -> str:
    return " ".join(html.unescape(text).split()).casefold()


@dataclass
class World:
    tracker: Tracker
    api: TestClient
    web: dict[str, TestClient]
    tokens: dict[str, str]
    database_url: str
    tmp: Path

    def head(self) -> int:
        return self.tracker.log.head().position

    def target(self, recorded_by: str) -> str:
        """A stored course logged by `recorded_by`, to retract."""
        event_id = str(uuid.uuid4())
        raw = {
            "event_id": event_id,
            "type": "course.completed",
            "occurred_on": OPEN_DAY,
            "data": ORDINARY["course.completed"],
        }
        self.tracker.append(raw, Actor(recorded_by, "director"))
        return event_id

    def envelope(self, case: str, person: str) -> dict[str, Any]:
        return {"event_id": str(uuid.uuid4()), **self._envelope(case, person)}

    def _envelope(self, case: str, person: str) -> dict[str, Any]:
        if case in ORDINARY:
            return {"type": case, "occurred_on": OPEN_DAY, "data": ORDINARY[case]}
        if case == "closed_year":
            return {"type": "course.completed", "occurred_on": "2019-06-03", "data": ORDINARY["course.completed"]}
        if case == "close_year":  # a year that is not closed yet, and not 2019 or 2020 (the other cases')
            closed = {c.year for c in self.tracker.log.closes().closes}
            year = next(y for y in (*range(2000, 2019), *range(2021, 2026)) if y not in closed)
            return {"type": "period.closed", "occurred_on": f"{year + 1}-01-15", "data": {"year": year}}
        target = self.target(person if case == "retract_own" else OTHER_CONSULTANT)
        return {
            "type": "event.retracted",
            "occurred_on": OPEN_DAY,
            "data": {"target_event_id": target, "reason": "Dublet"},
        }


# --- the entry points ---------------------------------------------------------------------------------
def via_api(world: World, role: str, raw: dict[str, Any]) -> Outcome:
    answer = world.api.post("/api/events", json=raw, headers=auth(world.tokens[role]))
    body = answer.json()  # a refusal: its field problems, or (a role refused outright) its detail
    text = " ".join(p["problem"] for p in body.get("errors", [])) or body.get("detail", "")
    assert answer.status_code in (201, 403), answer.text
    return Outcome(answer.status_code == 201, folded(text))


def _form_fields(raw: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {"occurred_on": raw["occurred_on"]}
    for name, value in raw["data"].items():
        if name == "effect":
            fields.update({f"effect_{i}": answer for i, answer in enumerate(value, start=1)})
        else:
            fields[name] = str(value) if isinstance(value, int) else value
    return fields


def via_web(world: World, role: str, raw: dict[str, Any]) -> Outcome | None:
    client = world.web[role]
    if raw["type"] == "event.retracted":
        target = raw["data"]["target_event_id"]
        page = client.get(f"/historik/{target}/tilbagekald")
        if page.status_code != 200:
            return Outcome(False, folded(page.text))
        answer = client.post(
            f"/historik/{target}/tilbagekald",
            data={"csrf_token": token_of(client, "/historik"), "reason": "Dublet"},
            follow_redirects=False,
        )
    else:
        forms = {f.type: f for f in event_forms(world.tracker.contract(2019).contract).values()}
        form = forms.get(raw["type"])
        if form is None:
            return None  # the web app offers no form for it (closing a year: the API and the CLI)
        page = client.get(f"/registrer/{form.slug}")
        if page.status_code != 200:
            return Outcome(False, folded(page.text))
        data = {
            "csrf_token": token_of(client, f"/registrer/{form.slug}"),
            "event_id": str(uuid.uuid4()),
            **_form_fields(raw),
        }
        answer = client.post(f"/registrer/{form.slug}", data=data, follow_redirects=False)
    assert answer.status_code in (303, 403), answer.text[:3000]
    return Outcome(answer.status_code == 303, folded(answer.text))


def via_cli(world: World, role: str, raw: dict[str, Any]) -> Outcome:
    file = world.tmp / f"{uuid.uuid4()}.jsonl"
    file.write_text(json.dumps(raw, ensure_ascii=False) + "\n", encoding="utf-8")
    get_settings.cache_clear()
    env = {"EHSJ_DATABASE_URL": world.database_url, "EHSJ_CONTRACTS_DIR": str(CONTRACTS), "COLUMNS": "400"}
    result = CliRunner().invoke(cli, ["events", "append", str(file), "--as", ROLE_PERSON[role]], env=env)
    get_settings.cache_clear()
    assert result.exit_code in (0, 2), result.output
    return Outcome(result.exit_code == 0, folded(result.output + (result.stderr or "")))


def _crm_csv(raw: dict[str, Any]) -> tuple[str, bytes]:
    d, day = raw["data"], raw["occurred_on"]
    dato = f"{day[8:10]}-{day[5:7]}-{day[:4]}"
    rows = [
        "Dato;Forløbstype;CVR;Virksomhed;Kommune;Konsulent;Emner",
        f"{dato};Handlingsplan;{d['company_cvr']};Firma ApS;{d['municipality']};{d['consultant']};",
    ]
    return "crm", ("\r\n".join(rows) + "\r\n").encode("utf-8-sig")


def _evaluation_csv(raw: dict[str, Any]) -> tuple[str, bytes]:
    d, day = raw["data"], raw["occurred_on"]
    dato = f"{day[8:10]}-{day[5:7]}-{day[:4]}"
    words = {
        "hoj": "i høj grad",
        "nogen": "i nogen grad",
        "lav": "i lav grad",
        "slet_ikke": "slet ikke",
        "ved_ikke": "ved ikke",
    }
    header = "Dato;CVR;Forløbstype;NPS;Tilfredshed;Kompetence;" + ";".join(f"Effekt {i}" for i in range(1, 8))
    row = (
        f"{dato};{d['company_cvr']};Handlingsplan;{d['nps']};{d['satisfaction']};{d['consultant_competence']};"
        + ";".join(words[a] for a in d["effect"])
    )
    return "evaluations", ("\r\n".join([header, row]) + "\r\n").encode("utf-8-sig")


def _official_csv(raw: dict[str, Any]) -> tuple[str, bytes]:
    d = raw["data"]
    rows = [
        "År;Mål;Værdi;Kilde;Offentliggjort;Bemærkning",
        f"{d['year']};{d['target']};{d['value']};{d['source']};{d['published_on']};",
    ]
    return "official-figures", ("\r\n".join(rows) + "\r\n").encode("utf-8-sig")


def _measurement_csv(raw: dict[str, Any]) -> tuple[str, bytes]:
    d = raw["data"]
    rows = [
        "År;Mål;Vækst kunder (%);Vækst kontrolgruppe (%);Antal kunder;Antal i kontrolgruppe;Kilde;Offentliggjort",
        f"{d['year']};Beskæftigelse;{d['customers_growth_pct']};{d['control_growth_pct']};{d['companies']};"
        f"{d['control_companies']};{d['source']};{d['published_on']}",
    ]
    return "effect-measurements", ("\r\n".join(rows) + "\r\n").encode("utf-8-sig")


IMPORTABLE: dict[str, Callable[[dict[str, Any]], tuple[str, bytes]]] = {
    "course.completed": _crm_csv,
    "evaluation.received": _evaluation_csv,
    "official_figure.reported": _official_csv,
    "effect_measurement.reported": _measurement_csv,
}


def via_import(world: World, role: str, raw: dict[str, Any]) -> Outcome | None:
    if raw["type"] not in IMPORTABLE:
        return None
    kind, content = IMPORTABLE[raw["type"]](raw)
    # A fresh CVR per attempt: an import's event ids follow from the row, and a row seen before is a duplicate.
    content = content.replace(cvr(1).encode(), cvr(200 + world.head()).encode())
    answer = world.api.post(
        f"/api/imports/{kind}", files={"file": ("eksport.csv", content, "text/csv")}, headers=auth(world.tokens[role])
    )
    assert answer.status_code in (201, 403, 422), answer.text
    body = answer.json()
    if answer.status_code == 201:
        return Outcome(True, "")
    problems = body["errors"] if answer.status_code == 403 else body["problems"]
    text = " ".join(p["problem"] for p in problems)
    return Outcome(False, folded(text))


ENTRY_POINTS: dict[str, Callable[[World, str, dict[str, Any]], Outcome | None]] = {
    "api": via_api,
    "web": via_web,
    "cli": via_cli,
    "import": via_import,
}


@pytest.fixture
def world(settings: Settings, tracker: Tracker, database_url: str, tmp_path: Path) -> Iterator[World]:
    create_people(tracker.engine)
    tokens = {role: issue_token(tracker.engine, name) for role, name in ROLE_PERSON.items()}
    close = {"type": "period.closed", "occurred_on": "2020-01-20", "data": {"year": 2019}}
    tracker.append(close, Actor("Dorte Direktør", "director"))
    app = create_app(settings, tracker)
    with TestClient(app) as api:
        webs = {}
        for role, name in ROLE_PERSON.items():
            client = TestClient(app, base_url="https://testserver")
            sign_in(client, name)
            webs[role] = client
        yield World(tracker, api, webs, tokens, database_url, tmp_path)


def test_every_role_gets_the_same_decision_for_every_event_type_on_every_entry_point(world: World) -> None:
    checked = 0
    for role, person in ROLE_PERSON.items():
        for case in CASES:
            want = expected(role, case)
            for entry, submit in ENTRY_POINTS.items():
                raw = world.envelope(case, person)
                before = world.head()
                outcome = submit(world, role, raw)
                if outcome is None:
                    continue  # this entry point does not offer this kind of event
                checked += 1
                where = f"{role} × {case} × {entry}"
                if want is None:
                    assert outcome.allowed, f"{where}: refused: {outcome.text[:300]}"
                    assert world.head() > before, where
                else:
                    assert not outcome.allowed, f"{where}: allowed, but the rule is: {want}"
                    assert folded(want) in outcome.text, f"{where}: said {outcome.text[:400]!r}, not {want!r}"
                    assert world.head() == before, f"{where}: something was stored"
    assert checked >= 4 * 13 * 2


def test_a_consultant_retracting_another_consultants_event_is_refused_everywhere_and_the_director_may(
    world: World,
) -> None:
    for entry in ("api", "web", "cli"):
        for role, allowed in (("consultant", False), ("director", True)):
            raw = world.envelope("retract_others", "")
            target = raw["data"]["target_event_id"]
            outcome = ENTRY_POINTS[entry](world, role, raw)
            assert outcome is not None and outcome.allowed is allowed, (entry, role, outcome)
            assert (target in world.tracker.log.retracted_ids()) is allowed, (entry, role)
            stored = world.tracker.log.get(target)
            assert stored is not None and view_data(stored.data)["course_type"] == "action_plan"


def test_the_forms_and_the_api_store_the_same_event(world: World) -> None:
    raw = world.envelope("evaluation.received", "Karen Konsulent")
    web, api = via_web(world, "consultant", raw), via_api(world, "consultant", raw)
    assert web is not None and web.allowed and api.allowed
    *_, from_web, from_api = list(world.tracker.log.read_all())
    assert (from_web.type, view_data(from_web.data), from_web.recorded_by) == (
        from_api.type,
        view_data(from_api.data),
        "Karen Konsulent",
    )
