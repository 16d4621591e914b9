"""The status KKR asks for: the annual status sent at any time, once per request.

Seed L218–219: the status is reported to KKR Sjælland "1 gang årligt, eller når KKR Sjælland i
øvrigt anmoder om det". The director sends it on request (the CLI, `POST /api/reports/request`, the
reports page); each request is a period of its own in the dispatch ledger — the year and a token
derived from the client's request key (`periods.request_period`: "2019-k3j5h2m4x9q") — so that:

- a retried request (a double click, a POST sent again after a lost answer, the same CLI command
  with the same `--request-key`) finds the ledger rows of the first and sends nothing new: not to a
  recipient added since either, because a repeated request makes no rows;
- a new request (a new key) is a new report, built at the log's head when it is made; every attempt
  builds it from that position, so `ehsj audit reproduce` rebuilds it exactly.

Entry points parse the year and the key, call `request_status`, then deliver the returned rows that
are still open (`reports.deliver`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ehsj_core.events.validation import InvalidInput, Problem
from ehsj_core.notify import dispatch, ledger
from ehsj_core.notify.recipients import list_recipients
from ehsj_core.reports import kinds
from ehsj_core.reports.periods import request_period

ON_REQUEST = "annual_status"  # the kind KKR may ask for (kinds.ReportKind.on_request)


@dataclass(frozen=True)
class Requested:
    kind: str
    year: int
    period: str  # the request's ledger period
    repeated: bool  # the key was used before: nothing new was made
    rows: list[ledger.DispatchRow]

    @property
    def open_rows(self) -> list[ledger.DispatchRow]:
        return [r for r in self.rows if r.state in ("pending", "sending")]


def request_status(tracker: dispatch.SendingSource, request_key: str, year: int | None = None) -> Requested:
    """The ledger rows of one request for the annual status of `year` (default: the contract year in
    force), made once per request key; a key used before returns the rows it made then."""
    spec = kinds.get(ON_REQUEST)
    assert spec.on_request
    contract = tracker.contract(year).contract  # NotFound for a year without a contract
    contract_year = contract.year
    period = request_period(contract_year, request_key)
    made = ledger.find_rows(tracker.engine, spec.name, period)
    if made:
        return Requested(spec.name, contract_year, period, True, sorted(made, key=lambda r: r.id))
    if not list_recipients(tracker.engine, spec.role):
        add = f"`ehsj recipients add --role {spec.role}`"
        audience = spec.audience_for(tracker.house_info.kkr, len(contract.municipalities))
        problem = f"der er ingen aktive modtagere for {audience}; tilføj dem med {add}"
        raise InvalidInput([Problem("recipients", None, problem)])
    rows = dispatch.prepare(tracker, spec.name, period)
    return Requested(spec.name, contract_year, period, False, rows)
