"""Reports: data built from the projection at a stated log position, then rendered as e-mail.

period = parse_period("2019Q3", "quarter")
report = build_quarterly(tracker, period, "Lolland", position)
rendered = render(report)          # subject, html, text, inline PNGs, attachments
digest(rendered)                   # what the dispatch ledger records
preview_html(rendered)             # the HTML with the images inlined, for a browser
"""

from ehsj_core.reports.data import (
    AnnualStatus,
    FailedDispatch,
    HalfYearReport,
    QuarterlyStatus,
    Reminder,
    Report,
    build_annual,
    build_half_year,
    build_quarterly,
    build_reminder,
)
from ehsj_core.reports.periods import Period, parse_period, period_of, periods_of
from ehsj_core.reports.render import (
    Attachment,
    InlineImage,
    RenderedReport,
    digest,
    preview_html,
    render,
)

__all__ = [
    "AnnualStatus",
    "Attachment",
    "FailedDispatch",
    "HalfYearReport",
    "InlineImage",
    "Period",
    "QuarterlyStatus",
    "Reminder",
    "RenderedReport",
    "Report",
    "build_annual",
    "build_half_year",
    "build_quarterly",
    "build_reminder",
    "digest",
    "parse_period",
    "period_of",
    "periods_of",
    "preview_html",
    "render",
]
