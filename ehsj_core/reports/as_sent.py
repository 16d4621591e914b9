"""A report of the dispatch ledger as PDF, as it was sent: rebuilt from the log position in its row
(as `ehsj audit reproduce` rebuilds it), not stored — the row's position and digest are enough to make
it again, byte for byte. The PDF says so in a box before the e-mail: the digest recorded at sending
beside the one rebuilt. The e-mail's attachments are embedded in it (PDF/A-3 associated files)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup
from weasyprint import Attachment as PdfAttachment  # type: ignore[import-untyped]

from ehsj_core.errors import NotFound
from ehsj_core.notify import ledger
from ehsj_core.notify.dispatch import SendingSource, build_row
from ehsj_core.reports import labels
from ehsj_core.reports.house import fictitious_note
from ehsj_core.reports.pdf import PdfDocument, html_to_pdf, utc
from ehsj_core.reports.render import RenderedReport, digest, preview_html, render


@dataclass(frozen=True)
class DispatchPdf:
    dispatch: ledger.DispatchRow
    recorded_digest: str | None
    rebuilt_digest: str
    pdf: bytes

    @property
    def identical(self) -> bool:
        return self.recorded_digest is not None and self.recorded_digest == self.rebuilt_digest

    @property
    def filename(self) -> str:
        row = self.dispatch
        return f"forsendelse-{row.id}-{row.kind.replace('_', '-')}-{row.period}.pdf"


def dispatch_pdf(tracker: SendingSource, dispatch_id: int) -> DispatchPdf:
    """A report of the dispatch ledger as PDF, rebuilt from the log position in its row (as `ehsj audit
    reproduce` does) and saying so: the digest recorded when it was sent beside the one rebuilt, the
    e-mail's HTML with its charts, and its attachments embedded in the PDF."""
    row = ledger.get_row(tracker.engine, dispatch_id)
    if row is None:
        raise NotFound(f"forsendelse {dispatch_id} findes ikke i forsendelsesloggen")
    report = build_row(tracker, row)
    rebuilt = render(report)
    rebuilt_digest = digest(rebuilt)
    house = str(report.basis.house_name)
    kind = labels.dispatch_kinds().get(row.kind, row.kind)
    period = _period_text(row, report)
    moment = utc(row.sent_at or row.created_at)  # when it was sent (or queued): stored, so stable
    meta = PdfDocument(
        title=rebuilt.subject,
        header=f"{house} · {kind} {period}" + (" · FIKTIVT EKSEMPEL" if report.basis.fictitious else ""),
        footer=f"Forsendelse {row.id} · genskabt fra hændelsesloggen, position {labels.number(row.position)}",
        author=house,
        created=moment,
        identifier=rebuilt_digest[:32],
        description=f"Genskabt fra hændelsesloggen; digest ved afsendelse {row.sha256 or '–'}",
    )
    banner = _banner(row, report, rebuilt, rebuilt_digest, kind, period, tracker.tz)
    html = _with_banner(preview_html(rebuilt), banner)
    files = [
        PdfAttachment(
            string=a.data,
            name=a.filename,
            description=f"Bilag til e-mailen: {a.filename}",
            created=moment,
            modified=moment,
            relationship="Supplement",
        )
        for a in rebuilt.attachments
    ]
    return DispatchPdf(row, row.sha256, rebuilt_digest, html_to_pdf(html, meta, files))


def _period_text(row: ledger.DispatchRow, report: Any) -> str:
    """The period as the report names it ("1. halvår 2019"); a request or a close as the ledger says it."""
    said = labels.dispatch_period(row.period)
    label = getattr(getattr(report, "period", None), "label", None)
    return label if said == row.period and isinstance(label, str) else said


def _recipient(row: ledger.DispatchRow, report: Any) -> str:
    """Who it went to, without the address (personal data; the ledger has it)."""
    if row.municipality:
        return f"Erhvervschefen i {row.municipality}"
    basis = report.basis
    return labels.audiences(basis.kkr, basis.municipality_count).get(row.kind, row.kind)


def _verdict(row: ledger.DispatchRow, rebuilt_digest: str) -> str:
    if row.sha256 is None:
        return f"Rapporten er ikke sendt (status: {row.state}); der er ingen digest at sammenligne med."
    if row.sha256 == rebuilt_digest:
        return "Identisk: rapporten genskabt fra loggen giver samme digest som den afsendte."
    return "Afviger: rapporten genskabt fra loggen giver ikke samme digest som den afsendte (se ehsj audit reproduce)."


def _banner(
    row: ledger.DispatchRow,
    report: Any,
    rebuilt: RenderedReport,
    rebuilt_digest: str,
    kind: str,
    period: str,
    tz: ZoneInfo,
) -> Markup:
    sent = labels.long_date(utc(row.sent_at).astimezone(tz).date()) if row.sent_at else "ikke sendt"
    return Markup(
        '<div class="pdf-banner" role="note"><h1>Genskabt fra hændelsesloggen</h1>'
        "<p>Forsendelse {id}: {kind} {period} til {to}, sendt {sent}. Bygget af loggen til og med position "
        "{position}; genskabt ud fra samme position, præcis som den blev sendt.</p>"
        "<p>Emne: {subject}</p>"
        '<p>Digest ved afsendelse: <span class="hash">{recorded}</span><br>'
        'Digest genskabt: <span class="hash">{rebuilt}</span></p>'
        '<p class="verdict">{verdict}</p>{files}{fictitious}</div>'
    ).format(
        id=row.id,
        kind=kind,
        period=period,
        to=_recipient(row, report),
        sent=sent,
        position=labels.number(row.position),
        subject=rebuilt.subject,
        recorded=row.sha256 or "–",
        rebuilt=rebuilt_digest,
        verdict=_verdict(row, rebuilt_digest),
        files=Markup("<p>Bilag, indlejret i PDF-filen: {}.</p>").format(
            ", ".join(a.filename for a in rebuilt.attachments)
        )
        if rebuilt.attachments
        else "",
        fictitious=Markup("<p><strong>{}</strong></p>").format(fictitious_note(basis.house_name))
        if (basis := report.basis).fictitious
        else "",
    )


_BODY = re.compile(r"<body\b[^>]*>", re.IGNORECASE)


def _with_banner(html: str, banner: Markup) -> str:
    """The banner first in the e-mail's body (every report template has one, reports/templates/_base.html)."""
    found = _BODY.search(html)
    if found is None:
        return str(banner) + html
    return html[: found.end()] + str(banner) + html[found.end() :]
