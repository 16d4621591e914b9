"""PDF documents to file and sign: HTML as A4 PDF/A, and the final statement (a report as it was
sent: reports/as_sent.py).

WeasyPrint lays out the very HTML the other documents use (the statement page, the e-mail), with a
print stylesheet of its own on top: A4, a Danish running header, "Side X af Y", and the DejaVu fonts
embedded (subsets), so that the document looks the same on every machine that has them. The output
is PDF/A-3b: transparent PNG charts are allowed, and the e-mail's attachments travel inside the PDF.

Byte-stable: the same log position gives the same bytes. Nothing here reads the clock — the PDF's
dates are the moment of the log position (the statement) or of the sending (a report), its file
identifier is derived from the content digest, and WeasyPrint's font subsets and object order are
deterministic. Nothing is fetched from the network: only `data:` URIs and the font files are read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from weasyprint import CSS, HTML  # type: ignore[import-untyped]
from weasyprint import Attachment as PdfAttachment
from weasyprint.document import Document  # type: ignore[import-untyped]
from weasyprint.text.fonts import FontConfiguration  # type: ignore[import-untyped]
from weasyprint.urls import URLFetcher, URLFetcherResponse  # type: ignore[import-untyped]

from ehsj_core.audit.statement import FinalStatement
from ehsj_core.audit.statement_render import heading, statement_html, title
from ehsj_core.events.reader import LogReader
from ehsj_core.reports import labels

PDF_MIMETYPE = "application/pdf"
PDF_VARIANT = "pdf/a-3b"  # PDF/A-3: transparency (the charts) and embedded files are allowed
# Debian's fonts-dejavu-core. They are named here, not looked up by family, so that no other font
# installed on a machine can change the layout (or the bytes).
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = {
    ("EHSJ Sans", "normal"): "DejaVuSans.ttf",
    ("EHSJ Sans", "bold"): "DejaVuSans-Bold.ttf",
    ("EHSJ Mono", "normal"): "DejaVuSansMono.ttf",
    ("EHSJ Mono", "bold"): "DejaVuSansMono-Bold.ttf",
}
GREY = "#4a5568"
GENERATOR = "EHSJ målopfølgning"  # the PDF's Creator; WeasyPrint names itself as the Producer


class FontsMissing(RuntimeError):
    """The DejaVu fonts the PDF embeds are not installed (Debian: `apt-get install fonts-dejavu-core`)."""


@dataclass(frozen=True)
class PdfDocument:
    """What the PDF says about itself, besides its pages."""

    title: str
    header: str  # the running header on every page, top left
    footer: str  # bottom left, beside "Side X af Y"
    author: str
    created: datetime  # the moment the document stands for: never "now"
    identifier: str  # hex, from the content digest: the PDF's /ID
    description: str = ""


def html_to_pdf(html: str | bytes, meta: PdfDocument, attachments: Sequence[PdfAttachment] = ()) -> bytes:
    """The HTML as an A4 PDF/A-3b with the running header and page numbers; pure and byte-stable."""
    document = layout(html, meta)
    identifier = meta.identifier.encode("ascii")
    return bytes(
        document.write_pdf(
            pdf_variant=PDF_VARIANT,
            pdf_identifier=identifier,
            attachments=list(attachments),
        )
    )


def layout(html: str | bytes, meta: PdfDocument) -> Document:
    """The laid-out pages, with the document's metadata set from `meta` (not from the HTML or the clock)."""
    fonts = FontConfiguration()
    fetcher = LocalFetcher()
    source = html.decode("utf-8") if isinstance(html, bytes) else html
    stylesheet = CSS(string=print_css(meta), font_config=fonts, url_fetcher=fetcher)
    document = HTML(string=source, url_fetcher=fetcher, base_url=FONT_DIR.as_uri() + "/").render(
        font_config=fonts, stylesheets=[stylesheet]
    )
    stamp = _w3c(meta.created)
    document.metadata.title = meta.title
    document.metadata.authors = [meta.author]
    document.metadata.description = meta.description or None
    document.metadata.generator = GENERATOR
    document.metadata.created = document.metadata.modified = stamp
    document.metadata.lang = "da"
    document.metadata.keywords = []
    document.metadata.attachments = []  # only those handed in: nothing the HTML links to
    return document


class LocalFetcher(URLFetcher):  # type: ignore[misc]  # a class of an untyped library
    """Serves `data:` URIs and the font files; refuses everything else, the network above all."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("data", "file"), fail_on_errors=False)

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url.startswith("file:") and url not in _font_uris():
            raise ValueError(f"kun skrifttyperne må læses fra disken, ikke {url}")
        return super().fetch(url, headers)


def _font_uris() -> set[str]:
    return {(FONT_DIR / name).as_uri() for name in FONTS.values()}


def print_css(meta: PdfDocument) -> str:
    """The print stylesheet, as a user stylesheet whose `!important` rules win over the document's."""
    missing = [name for name in FONTS.values() if not (FONT_DIR / name).is_file()]
    if missing:
        raise FontsMissing(f"PDF kræver skrifttyperne {', '.join(missing)} i {FONT_DIR} (pakken fonts-dejavu-core)")
    faces = "\n".join(
        f'@font-face {{ font-family: "{family}"; font-weight: {weight}; src: url("{(FONT_DIR / name).as_uri()}"); }}'
        for (family, weight), name in FONTS.items()
    )
    margin = f'font-family: "EHSJ Sans"; font-size: 7.5pt; color: {GREY};'
    return f"""{faces}
@page {{
  size: A4 !important;
  margin: 20mm 14mm 18mm 14mm !important;
  @top-left {{ content: {_css_string(meta.header)} !important; {margin} vertical-align: bottom; padding-bottom: 3mm; }}
  @bottom-left {{ content: {_css_string(meta.footer)} !important; {margin} vertical-align: top; padding-top: 3mm; }}
  @bottom-right {{ content: "Side " counter(page) " af " counter(pages) !important; {margin}
    vertical-align: top; padding-top: 3mm; }}
}}
html, body, table, td, th, div, p, span, a, strong, b, h1, h2, h3, li {{ font-family: "EHSJ Sans" !important; }}
code, pre, kbd, .mono, .hash {{ font-family: "EHSJ Mono" !important; }}
img {{ max-width: 100% !important; height: auto !important; }}
.pdf-banner {{ border: 0.75pt solid #1f3a5f; padding: 3mm 4mm; margin: 0 0 5mm; font-size: 9pt; line-height: 1.4;
  color: #1a202c; background: #ffffff; }}
.pdf-banner h1 {{ font-size: 12pt; color: #1f3a5f; margin: 0 0 1.5mm; }}
.pdf-banner p {{ margin: 0 0 1mm; }}
.pdf-banner .hash {{ font-size: 7.5pt; word-break: break-all; }}
.pdf-banner .verdict {{ font-weight: bold; }}
"""


def _css_string(text: str) -> str:
    """A CSS string literal: backslashes, quotes and line breaks escaped."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ")
    return f'"{escaped}"'


def utc(moment: datetime) -> datetime:
    """A stored moment in UTC (SQLite gives them back without a zone: they were written in UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _w3c(moment: datetime) -> str:
    """A W3C date-time in UTC, to the second (what WeasyPrint writes as CreationDate and in the XMP)."""
    return utc(moment).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the final statement -------------------------------------------------------------------------
def statement_pdf(s: FinalStatement, log: LogReader) -> bytes:
    """The final statement as PDF: the same page as `statement_html`, dated by its log position."""
    recorded = log.recorded_at(s.position) if s.position else None
    created = recorded or datetime.combine(s.judged_on, time(0, 0), tzinfo=ZoneInfo(s.timezone))
    meta = PdfDocument(
        title=title(s),
        header=f"{s.house_name} · {heading(s)} {s.year}" + (" · FIKTIVT EKSEMPEL" if s.fictitious else ""),
        footer=f"Logposition {labels.number(s.position)} · indholdets digest {s.content_digest[:16]}…",
        author=s.house_name,
        created=created,
        identifier=s.content_digest[:32],
        description=f"{s.contract_title}; indholdets digest (SHA-256) {s.content_digest}",
    )
    return html_to_pdf(statement_html(s), meta)


def statement_pdf_name(s: FinalStatement) -> str:
    return f"resultatopgoerelse-{s.year}-position-{s.position}.pdf"
