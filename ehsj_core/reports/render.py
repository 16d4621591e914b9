"""Rendering report data as a Danish e-mail: subject, HTML, plain text, inline PNGs, attachments.

`render` is a pure function of the report: the same report gives the same bytes, so `digest` of a
report rendered again from the same log position equals the digest recorded when it was sent.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from ehsj_core.audit.statement import FinalStatement
from ehsj_core.projections.status import GoalStatus
from ehsj_core.reports import charts, kinds, labels, xlsx
from ehsj_core.reports.consultant import ConsultantReminder
from ehsj_core.reports.data import AnnualStatus, Basis, HalfYearReport, QuarterlyStatus, Reminder, Report
from ehsj_core.reports.house import fictitious_note, subject_prefix

STATUS_ORDER = ("met", "met_late", "on_track", "behind", "missed", "not_started", "awaiting")


@dataclass(frozen=True)
class InlineImage:
    cid: str  # referenced from the HTML as "cid:<cid>"
    png: bytes
    filename: str


@dataclass(frozen=True)
class Attachment:
    filename: str
    mimetype: str
    data: bytes


@dataclass(frozen=True)
class RenderedReport:
    subject: str
    html: str
    text: str
    images: tuple[InlineImage, ...] = ()
    attachments: tuple[Attachment, ...] = ()


Parts = tuple[str, dict[str, InlineImage], tuple[Attachment, ...]]  # subject, named images, attachments


def _quarterly_parts(report: QuarterlyStatus) -> Parts:
    key = report.period.key
    subject = (
        f"Status for resultatkontrakten, {report.period.label}: {report.municipality} Kommune"
        f" – {report.basis.house_name}"
    )
    slug = _slug(report.municipality)
    named = {
        "progress": _image("progress", key, charts.progress_chart(report.goals)),
        "share": _image(f"share-{slug}", key, charts.share_chart(report.year_to_date, report.deviation_limit_pp)),
    }
    workbook = Attachment(f"kvartalsstatus-{key}-{slug}.xlsx", xlsx.MIMETYPE, xlsx.chief_workbook_bytes(report))
    return subject, named, (workbook,)


def _overview_parts(report: HalfYearReport | AnnualStatus, to: str, stem: str) -> Parts:
    """`to`: whom the subject names ("K17"; "{kkr}": the house's KKR)."""
    spec = kinds.of_report(report)
    key = report.period.key
    asked = f" ({_on_request_text(report.basis)})" if isinstance(report, AnnualStatus) and report.on_request else ""
    audience = to.format(kkr=report.basis.kkr)
    subject = f"{spec.label} {report.period.label}{asked} til {audience} – {report.basis.house_name}"
    named = {
        "progress": _image("progress", key, charts.progress_chart(report.goals)),
        "deviation": _image("deviation", key, charts.deviation_chart(report.municipalities, report.deviation_limit_pp)),
    }
    return subject, named, (Attachment(f"{stem}-{key}.xlsx", xlsx.MIMETYPE, xlsx.workbook_bytes(report)),)


def _statement_parts(report: FinalStatement) -> Parts:
    """The statement's e-mail: a summary, and the statement itself attached as the printable page
    and the workbook (the very bytes `ehsj statement YEAR --as-of POSITION` writes)."""
    from ehsj_core.audit import statement_render as documents  # it imports this package: on use

    key = str(report.year)
    subject = f"{_statement_heading(report)} {report.year} til {report.kkr} – {report.house_name}"
    named = {"progress": _image("progress", key, charts.progress_chart(report.goals))}
    attachments = (
        Attachment(f"resultatopgoerelse-{key}.html", "text/html", documents.statement_html(report)),
        Attachment(f"resultatopgoerelse-{key}.xlsx", documents.XLSX_MIMETYPE, documents.statement_xlsx(report)),
    )
    return subject, named, attachments


def _statement_heading(report: FinalStatement) -> str:
    from ehsj_core.audit.statement_render import heading

    return heading(report)


def _local_date(moment: datetime, timezone: str) -> str:
    return labels.long_date(moment.astimezone(ZoneInfo(timezone)).date())


def _reminder_parts(report: Reminder) -> Parts:
    count = report.attention_count
    what = "intet kræver opmærksomhed" if report.is_empty else f"{count} forhold kræver opmærksomhed"
    return f"Påmindelse {labels.long_date(report.on_date)}: {what} – {report.basis.house_name}", {}, ()


def _consultant_parts(report: ConsultantReminder) -> Parts:
    what = "intet åbent" if report.is_empty else f"{report.attention_count} åbne forløb"
    return f"Dine åbne forløb {labels.long_date(report.on_date)}: {what} – {report.basis.house_name}", {}, ()


# The e-mail parts of each template of the registry (kinds.ReportKind.template).
PARTS: dict[str, Callable[[Any], Parts]] = {
    "quarterly_status": _quarterly_parts,
    "half_year_report": lambda r: _overview_parts(r, "K17", "halvaarsrapport"),
    "annual_status": lambda r: _overview_parts(r, "{kkr}", "aarsstatus"),
    "final_statement": _statement_parts,
    "reminder": _reminder_parts,
    "consultant_reminder": _consultant_parts,
}


def render(report: Report | ConsultantReminder | FinalStatement) -> RenderedReport:
    """The e-mail of a report; charts for the status reports, an XLSX for the quarterly (the chief's
    municipality), half-year and annual, the statement itself (HTML and XLSX) for the final statement."""
    spec = kinds.of_report(report)
    subject, named, attachments = PARTS[spec.template](report)
    basis = report.basis
    note = fictitious_note(basis.house_name) if basis.fictitious else None
    subject = subject_prefix(basis.fictitious) + subject
    context = {
        "r": report,
        "kind": spec.name,
        "subject": subject,
        "title": spec.label,
        "audience": _audience(spec, basis),
        "on_request_text": _on_request_text(basis),
        "fictitious_note": note,
        "images": named,
        "attachments": attachments,
        "summary": _summary(getattr(report, "goals", ())),
        "T": labels.TEXT,
        "names": dict(report.basis.course_types),
    }
    env = _environment()
    html = env.get_template(f"{spec.template}.html").render(context)
    text = env.get_template(f"{spec.template}.txt").render(context)
    if note is not None:  # first in the plain text, as the banner is first in the HTML's column
        text = f"{note}\n\n{text}"
    return RenderedReport(subject, html, _tidy(text), tuple(named.values()), attachments)


def digest(rendered: RenderedReport) -> str:
    """SHA-256 (hex) of a canonical JSON of the rendered e-mail, binary parts by their own SHA-256."""
    canonical = {
        "subject": rendered.subject,
        "html": rendered.html,
        "text": rendered.text,
        "images": [{"cid": i.cid, "filename": i.filename, "sha256": _sha(i.png)} for i in rendered.images],
        "attachments": [
            {"filename": a.filename, "mimetype": a.mimetype, "sha256": _sha(a.data)} for a in rendered.attachments
        ],
    }
    payload = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return _sha(payload.encode("utf-8"))


def preview_html(rendered: RenderedReport) -> str:
    """The HTML with every `cid:` image inlined as a data URI, for a browser preview."""
    html = rendered.html
    for image in rendered.images:
        uri = "data:image/png;base64," + base64.b64encode(image.png).decode("ascii")
        html = html.replace(f"cid:{image.cid}", uri)
    return html


# --- helpers -----------------------------------------------------------------------------------------
def _audience(spec: kinds.ReportKind, basis: Basis) -> str:
    """The kind's readers in the house's words: "KKR Sjælland" (the house file), "… de 17 kommuner"."""
    return spec.audience_for(basis.kkr, basis.municipality_count)


def _on_request_text(basis: Basis) -> str:
    return f"{labels.TEXT['on_request']} {basis.kkr}"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _tidy(text: str) -> str:
    """Plain text without trailing spaces or runs of blank lines (template whitespace)."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out) + "\n"


def _slug(name: str) -> str:
    table = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})
    return "".join(c if c.isascii() and c.isalnum() else "-" for c in name.translate(table)).lower()


def _image(name: str, key: str, png: bytes) -> InlineImage:
    return InlineImage(cid=f"{name}.{key}@ehsj", png=png, filename=f"{name}-{key}.png")


def _summary(goals: Iterable[GoalStatus]) -> list[tuple[str, int]]:
    counts = Counter[str](t.status for g in goals for t in g.targets)
    return [(status, counts[status]) for status in STATUS_ORDER if counts[status]]


def _badge(status: str) -> Markup:
    background, colour = labels.STATUS_COLOURS.get(status, ("#e5e7eb", "#111827"))
    style = (
        f"display:inline-block;background:{background};color:{colour};padding:2px 7px;"
        "border-radius:10px;font-size:12px;font-weight:bold;white-space:nowrap"
    )
    return Markup('<span style="{}">{}</span>').format(style, escape(labels.status_word(status)))


def _actual(t: Any) -> str:
    return labels.actual_text(t.kind, t.actual, getattr(t, "reached_on", None))


def _wanted(t: Any) -> str:
    return labels.wanted_text(
        t.kind, t.target, getattr(t, "target_min", None), getattr(t, "target_max", None), getattr(t, "deadline", None)
    )


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("ehsj_core.reports", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(labels.FILTERS)
    env.filters.update(
        yesno=labels.yes_no,
        days=labels.days_left,
        badge=_badge,
        actual=_actual,
        wanted=_wanted,
        before=lambda c: labels.actual_text(c.kind, c.actual_before),
        local_date=_local_date,
    )
    env.globals.update(
        colours=labels.STATUS_COLOURS, dispatch_kinds=labels.dispatch_kinds(), statement_heading=_statement_heading
    )
    return env
