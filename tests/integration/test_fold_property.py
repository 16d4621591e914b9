"""Property: folding through the retraction index equals a naive recomputation from the whole log.

Random logs of courses, referrals and evaluations, with retractions of random earlier events, are
appended in random batches to a real SQLite log. The runner's facts — live after every batch (a
catch-up that folds earlier events back out) and as of random positions (snapshots plus the index's
skip and undo lists) — must equal the facts of a naive fold: every event up to the position that no
retraction up to the position withdraws, folded once, in order.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ehsj_core.db import create_db_engine
from ehsj_core.events.records import RETRACTED, RecordedEvent
from ehsj_core.events.validation import parse_event
from ehsj_core.events.views import EventRetractedView
from ehsj_core.projections.facts import LogFacts, apply
from ehsj_core.projections.runner import ProjectionRunner
from ehsj_core.settings import Settings
from ehsj_core.setup import initialise
from ehsj_core.tracker import Tracker
from tests.conftest import CONTRACTS
from tests.factories import Actor, cvr

MUNICIPALITIES = ("Lolland", "Sorø", "Køge")
DIRECTOR = Actor("Dorte Direktør", "director")
KEY = b"k" * 32


def raw_event(kind: int, company: int, month: int, pick: int) -> dict[str, object]:
    day = f"2019-{month:02d}-{(pick % 27) + 1:02d}"
    company_cvr = cvr(company + 1)
    if kind == 0:
        data: dict[str, object] = {
            "course_type": ("action_plan", "growth_plan", "short")[pick % 3],
            "company_cvr": company_cvr,
            "municipality": MUNICIPALITIES[pick % 3],
            "consultant": "Karen",
            "topics": ["digital_business_model"] if pick % 2 else [],
        }
        return {"type": "course.completed", "occurred_on": day, "data": data}
    if kind == 1:
        data = {
            "company_cvr": company_cvr,
            "from_course": ("action_plan", "growth_plan")[pick % 2],
            "referred_to": "Vækstfonden",
            "referral_kind": "state_scheme",
        }
        return {"type": "company.referred", "occurred_on": day, "data": data}
    data = {
        "course_type": ("action_plan", "growth_plan")[pick % 2],
        "company_cvr": company_cvr,
        "nps": pick % 11,
        "satisfaction": pick % 5 + 1,
        "consultant_competence": (pick + 2) % 5 + 1,
        "effect": ["hoj", "lav", "ved_ikke", "slet_ikke", "nogen", "lav", "lav"],
    }
    return {"type": "evaluation.received", "occurred_on": day, "data": data}


# An operation: ("event", kind, company, month, pick) or ("retract", pick); batches of operations.
operation = st.one_of(
    st.tuples(st.just("event"), st.integers(0, 2), st.integers(0, 5), st.integers(1, 12), st.integers(0, 100)),
    st.tuples(st.just("retract"), st.integers(0, 10_000)),
)
logs = st.lists(st.lists(operation, min_size=1, max_size=8), min_size=1, max_size=8)


def naive_facts(events: list[RecordedEvent], upto: int) -> LogFacts:
    known = [e for e in events if e.position <= upto]
    withdrawn = {e.data.target_event_id for e in known if isinstance(e.data, EventRetractedView)}
    facts = LogFacts()
    for e in known:
        if e.type != RETRACTED and e.event_id not in withdrawn:
            apply(facts, e.type, e.house, e.occurred_on.isoformat(), e.data, 1, e.position)
    return facts


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches=logs, probes=st.lists(st.integers(0, 10_000), min_size=3, max_size=6))
def test_the_fold_through_the_index_equals_a_naive_fold_live_and_as_of_any_position(
    batches: list[list[tuple[object, ...]]], probes: list[int]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'log.sqlite3'}"
        engine = create_db_engine(url)
        initialise(engine, CONTRACTS)
        tracker = Tracker(Settings(database_url=url, contracts_dir=CONTRACTS, environment="test"), engine)
        live = ProjectionRunner(tracker.log, KEY, snapshot_every=5)
        targets: list[str] = []  # events not yet retracted, in order
        for batch in batches:
            raws: list[dict[str, object]] = []
            for op in batch:
                if op[0] == "event":
                    raws.append(raw_event(*op[1:]))  # type: ignore[arg-type]
                elif targets:
                    target = targets.pop(int(op[1]) % len(targets))  # type: ignore[call-overload]
                    raws.append(
                        {
                            "type": RETRACTED,
                            "occurred_on": "2019-12-31",
                            "data": {"target_event_id": target, "reason": "fejl"},
                        }
                    )
            if not raws:
                continue
            events = [parse_event(raw, tracker.contract_book(), tracker.house, tracker.today()) for raw in raws]
            tracker.append_events(events, DIRECTOR)
            targets += [e.event_id for e in events if e.type != RETRACTED]
            facts, position = live.live()
            everything = list(tracker.log.read_all())
            assert position == len(everything)
            assert facts == naive_facts(everything, position)
        everything = list(tracker.log.read_all())
        head = len(everything)
        for probe in [0, head, *probes]:
            upto = probe % (head + 1)
            fresh = ProjectionRunner(tracker.log, KEY, snapshot_every=5)  # the snapshots the live runner wrote
            assert fresh.at(upto) == naive_facts(everything, upto), upto
        engine.dispose()
