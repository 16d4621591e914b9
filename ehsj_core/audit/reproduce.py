"""`ehsj audit reproduce DISPATCH`: rebuild a sent report from the log position in its ledger row and
compare the digest with the one recorded when it was sent.

When they differ, the difference is shown against the e-mail as sent, if a copy exists (embedded
mode writes every message to the outbox folder as `<Message-ID>.eml`): a unified diff of the text
part and which parts differ. Without a copy (sent through SMTP) only the digests can be compared.
"""

from __future__ import annotations

import difflib
import email
import hashlib
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

from ehsj_core.errors import NotFound
from ehsj_core.notify import ledger
from ehsj_core.notify.dispatch import SendingSource, build_row
from ehsj_core.reports.render import RenderedReport, digest, render


@dataclass(frozen=True)
class Reproduction:
    dispatch: ledger.DispatchRow
    recorded_digest: str | None
    rebuilt_digest: str
    sent_copy: str | None  # the .eml file compared against, if one was found
    differing_parts: tuple[str, ...]  # subject, text, html, images, attachments
    text_diff: str  # a unified diff of the text part; empty when identical or no copy

    @property
    def identical(self) -> bool:
        return self.recorded_digest is not None and self.recorded_digest == self.rebuilt_digest

    @property
    def verdict(self) -> str:
        if self.recorded_digest is None:
            return f"rapporten er ikke sendt (status: {self.dispatch.state}); der er ingen digest at sammenligne med"
        if self.identical:
            return "identisk: rapporten genskabt fra loggen giver samme digest som den afsendte"
        if self.sent_copy is None:
            return "forskellig: digest afviger, og der er ingen kopi af den afsendte e-mail at sammenligne med"
        return f"forskellig: digest afviger i {', '.join(self.differing_parts) or 'opbygningen'}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "dispatch": self.dispatch.as_dict(),
            "identical": self.identical,
            "verdict": self.verdict,
            "recorded_digest": self.recorded_digest,
            "rebuilt_digest": self.rebuilt_digest,
            "sent_copy": self.sent_copy,
            "differing_parts": list(self.differing_parts),
            "text_diff": self.text_diff,
        }


def reproduce(tracker: SendingSource, dispatch_id: int) -> Reproduction:
    """`tracker`: what sending needs (dispatch.SendingSource), to rebuild the report as it was sent."""
    row = ledger.get_row(tracker.engine, dispatch_id)
    if row is None:
        raise NotFound(f"forsendelse {dispatch_id} findes ikke i forsendelsesloggen")
    rebuilt = render(build_row(tracker, row))
    rebuilt_digest = digest(rebuilt)
    if row.sha256 is None or row.sha256 == rebuilt_digest:
        return Reproduction(row, row.sha256, rebuilt_digest, None, (), "")
    copy = sent_copy(tracker.settings.outbox_dir, row.message_id)
    if copy is None:
        return Reproduction(row, row.sha256, rebuilt_digest, None, (), "")
    parts, text_diff = compare(email.message_from_bytes(copy.read_bytes(), policy=default), rebuilt)
    return Reproduction(row, row.sha256, rebuilt_digest, str(copy), parts, text_diff)


def sent_copy(outbox: Path, message_id: str) -> Path | None:
    """The outbox file of a message (mail.py names it after the Message-ID)."""
    if not message_id:
        return None
    path = outbox / (message_id.strip("<>").replace("/", "_") + ".eml")
    return path if path.is_file() else None


def compare(sent: EmailMessage, rebuilt: RenderedReport) -> tuple[tuple[str, ...], str]:
    """Which parts of a sent message differ from a rebuilt report, and a unified diff of the text."""
    text = _body(sent, "plain")
    html = _body(sent, "html")
    images = sorted(_sha(p.get_content()) for p in sent.walk() if p.get_content_type() == "image/png")
    attachments = sorted(_sha(p.get_content()) for p in sent.iter_attachments())
    parts = []
    if str(sent["Subject"]) != rebuilt.subject:
        parts.append("emne")
    if text != rebuilt.text:
        parts.append("tekst")
    if html != rebuilt.html:
        parts.append("html")
    if images != sorted(_sha(i.png) for i in rebuilt.images):
        parts.append("billeder")
    if attachments != sorted(_sha(a.data) for a in rebuilt.attachments):
        parts.append("bilag")
    lines = difflib.unified_diff(
        text.splitlines(keepends=True), rebuilt.text.splitlines(keepends=True), "afsendt", "genskabt fra loggen"
    )
    return tuple(parts), "".join(lines)


def _body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    if not isinstance(part, EmailMessage):
        return ""
    content = part.get_content()
    return content.replace("\r\n", "\n") if isinstance(content, str) else ""


def _sha(data: Any) -> str:
    return hashlib.sha256(data if isinstance(data, bytes) else str(data).encode()).hexdigest()
