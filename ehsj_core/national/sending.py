"""Sending this house's export to the national installation, exactly once per (year, head position).

`send_export` looks at the log's head: nothing when the log is empty or no national installation is
configured (`national_url`), nothing when the ledger (uploads.py) already has that head sent.
Otherwise it writes the export (ehsj_core/audit/export.py) to a temporary file, claims the head's
ledger row, and POSTs the file to `<national_url>/api/national/exports` with the house's upload token:

- 201 or 200 (added, or already received): `sent`, with the national installation's answer;
- 401, 403, 413, 422 (and any other refusal): `failed` with its reason, in Danish: a person must act
  (a new token, the right house, …) and then sends again with `ehsj national send`;
- no answer, or 5xx/429: back to `pending` with the error, and the caller retries (the worker's task
  with backoff, or the next quarter's firing).

A crash between the POST and the ledger's update leaves the row `sending`; after the timeout it is
claimed again and sent again, and the national installation, which already has that head, answers
`already_received` and changes nothing. Sending twice is therefore harmless; not sending is what the
ledger prevents.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import httpx
import orjson
from sqlalchemy.engine import Engine

from ehsj_core.audit.export import contract_sha256_of, export_to
from ehsj_core.contract.loader import ContractBook
from ehsj_core.events.reader import LogReader
from ehsj_core.national import uploads
from ehsj_core.settings import Settings

UPLOAD_PATH = "/api/national/exports"
RETRIED = frozenset({408, 429})  # the 4xx answers that mean "later", not "no"
Outcome = Literal["not_configured", "empty", "already_sent", "sent", "failed", "retry", "busy"]


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    year: int
    head_position: int | None = None
    head_hash: str | None = None
    upload_id: int | None = None
    national_status: str | None = None  # "added" or "already_received", from the national answer
    reason: str | None = None  # Danish: why nothing was sent, or what went wrong

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def message(self) -> str:
        """One Danish line for the CLI and the worker's log."""
        head = f"position {self.head_position}" if self.head_position is not None else "loggen"
        match self.outcome:
            case "sent":
                what = "modtaget" if self.national_status == "added" else "var allerede modtaget"
                return f"Eksporten for {self.year} ({head}) er sendt: {what} af den nationale installation."
            case "already_sent":
                return f"Eksporten for {self.year} ({head}) er allerede sendt; intet er sendt igen."
            case "busy":
                return f"Eksporten for {self.year} ({head}) sendes netop nu af en anden proces; intet er gjort."
            case "retry":
                return f"Eksporten for {self.year} ({head}) venter og prøves igen: {self.reason}"
            case _:
                return f"Eksporten for {self.year} er ikke sendt: {self.reason}"


@dataclass(frozen=True)
class Answer:
    """The national installation's answer to one POST (`kind`: accepted, refused or unavailable)."""

    kind: Literal["accepted", "refused", "unavailable"]
    status_code: int | None
    body: str
    reason: str | None  # Danish, unless accepted
    national_status: str | None = None


def stale_after_seconds(settings: Settings) -> float:
    """A row left `sending` this long is taken for a crash: at least the e-mails' timeout, and longer
    than one POST may take (connecting, writing and reading each get `national_timeout_seconds`)."""
    return max(float(settings.sending_timeout_seconds), 4 * settings.national_timeout_seconds)


def send_export(
    engine: Engine,
    log: LogReader,
    house: str,
    year: int,
    settings: Settings,
    now: datetime | None = None,
    *,
    book: ContractBook | None = None,
    retry_failed: bool = False,
) -> SendResult:
    """Send the export of `year` as the log's head has it, unless that head is sent already (see the
    module docstring). `book`: the contracts in force, so that the export's header names the SHA-256
    of the house's contract of `year` (the national installation compares it with its own).
    `retry_failed`: a person sends a refused head again (`ehsj national send`)."""
    now = now or datetime.now(UTC)
    if not settings.national_url:
        return SendResult("not_configured", year, reason="EHSJ_NATIONAL_URL er ikke sat; intet sendes")
    if settings.national_token is None or not settings.national_token.get_secret_value().strip():
        return SendResult(
            "not_configured",
            year,
            reason="EHSJ_NATIONAL_TOKEN (eller filen ehsj_national_token) er ikke sat; "
            "lav husets nøgle på den nationale installation med `ehsj national token-create`",
        )
    head = log.head()
    if head.position == 0:
        return SendResult("empty", year, 0, head.hash, reason="loggen er tom; der er intet at sende")
    known = uploads.find(engine, year, head.position)
    if known is not None and known.status == "sent" and known.head_hash == head.hash:
        return _already(known)
    with tempfile.TemporaryDirectory(prefix="ehsj-national-") as folder:
        path = Path(folder) / f"{house}-{year}.jsonl"
        contract = contract_sha256_of(book, house, year) if book is not None else None
        position, head_hash = export_to(log, house, year, path, contract_sha256=contract)  # the file's head
        row = uploads.ensure(engine, year, position, head_hash, now)
        if row.head_hash != head_hash:
            return SendResult(
                "failed",
                year,
                position,
                head_hash,
                row.id,
                reason=f"position {position} blev sendt med en anden head_hash ({row.head_hash[:12]}…): "
                "databasen holder ikke den log, der blev sendt; intet er sendt",
            )
        taken = _take(engine, row, settings, now, retry_failed)
        if isinstance(taken, SendResult):
            return taken
        answer = post_export(settings, path)
    return _record(engine, taken, answer, now)


def _take(
    engine: Engine, row: uploads.UploadRow, settings: Settings, now: datetime, retry_failed: bool
) -> uploads.UploadRow | SendResult:
    """The row claimed for this attempt, or what to answer instead (sent, refused, held elsewhere)."""
    if row.status == "sent":
        return _already(row)
    claimed = uploads.claim(engine, row.id, stale_after_seconds(settings), now, retry_failed=retry_failed)
    if claimed is not None:
        return claimed
    current = uploads.get(engine, row.id) or row
    if current.status == "sent":
        return _already(current)
    where = (current.year, current.head_position, current.head_hash, current.id)
    if current.status == "failed":
        return SendResult("failed", *where, reason=f"{current.last_error} (indsend igen med `ehsj national send`)")
    return SendResult("busy", *where)


def _already(row: uploads.UploadRow) -> SendResult:
    status = _national_status(row.response or "")
    return SendResult("already_sent", row.year, row.head_position, row.head_hash, row.id, status)


def _record(engine: Engine, row: uploads.UploadRow, answer: Answer, now: datetime) -> SendResult:
    base = (row.year, row.head_position, row.head_hash, row.id)
    if answer.kind == "accepted":
        uploads.mark_sent(engine, row.id, answer.body, now)
        return SendResult("sent", *base, national_status=answer.national_status)
    reason = answer.reason or "ukendt fejl"
    if answer.kind == "refused":
        uploads.mark_failed(engine, row.id, reason, answer.body, now)
        return SendResult("failed", *base, reason=reason)
    uploads.mark_retry(engine, row.id, reason, now)
    return SendResult("retry", *base, reason=reason)


def upload_url(settings: Settings) -> str:
    return (settings.national_url or "").rstrip("/") + UPLOAD_PATH


def post_export(settings: Settings, path: Path) -> Answer:
    """POST one export file (no ledger): the national installation's answer, classified."""
    url = upload_url(settings)
    token = settings.national_token.get_secret_value().strip() if settings.national_token else ""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}
    try:
        with path.open("rb") as body, httpx.Client(timeout=settings.national_timeout_seconds, verify=True) as client:
            response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return Answer("unavailable", None, "", f"den nationale installation kan ikke nås ({url}): {_error(exc)}")
    body_text = response.text
    code = response.status_code
    if code in (200, 201):
        return Answer("accepted", code, body_text, None, _national_status(body_text))
    reason = f"den nationale installation svarede HTTP {code}: {_detail(body_text)}"
    if 400 <= code < 500 and code not in RETRIED:  # 401, 403, 413, 422 …: a person must act
        return Answer("refused", code, body_text, reason)
    return Answer("unavailable", code, body_text, reason)


def _error(exc: httpx.HTTPError) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _national_status(body: str) -> str | None:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    status = parsed.get("status") if isinstance(parsed, dict) else None
    return str(status) if status is not None else None


def _detail(body: str) -> str:
    """The reason a problem+json answer gives (its `detail`), else the start of the body."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("detail"), str):
        return str(parsed["detail"])
    return body.strip()[:300] or "(intet svar)"
