"""The individual agreements with local business-promotion actors, as the reports list them.

Goal 5A (seed L664–666): the house's report to KKR "redegør … for indgåelse af individuelle aftaler
med lokale erhvervsfremmeaktører". Every `agreement.signed` of the contract year that is not retracted
as of the report's log position is listed — in the annual status, the half-year report (those signed
by the end of the half-year) and the final statement — with partner, kind, municipality and date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ehsj_core.events.reader import LogReader
from ehsj_core.events.views import AgreementSignedView
from ehsj_core.reports import labels

AGREEMENT_SIGNED = "agreement.signed"


@dataclass(frozen=True)
class Agreement:
    partner: str
    agreement_kind: str
    kind_label: str  # Danish (labels.AGREEMENT_KINDS)
    municipality: str | None
    signed_on: date
    position: int  # where the log holds it
    event_id: str


def read_agreements(
    log: LogReader, house: str, year: int, upto: int, until: date | None = None
) -> tuple[Agreement, ...]:
    """The agreements of `house` signed in `year` (by `until`, when given), as the log stood at position
    `upto`: events recorded later, and agreements retracted by then, are left out. In the order signed
    (then logged)."""
    last = date(year, 12, 31) if until is None else min(until, date(year, 12, 31))
    events = log.read_all(
        upto=upto,
        types=[AGREEMENT_SIGNED],
        house=house,
        occurred_from=date(year, 1, 1),
        occurred_to=last,
        live_only=True,
    )
    found = [
        Agreement(
            e.data.partner,
            e.data.agreement_kind,
            labels.AGREEMENT_KINDS.get(e.data.agreement_kind, e.data.agreement_kind),
            e.data.municipality,
            e.occurred_on,
            e.position,
            e.event_id,
        )
        for e in events
        if isinstance(e.data, AgreementSignedView)
    ]
    return tuple(sorted(found, key=lambda a: (a.signed_on, a.position)))
