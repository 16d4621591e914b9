"""The accessibility statement ("tilgængelighedserklæring") the web accessibility act asks of a public
body's web app: open to everyone, signed in or not, and linked from the footer of every page.

Its structure follows Digitaliseringsstyrelsen's model (the WAS-Tool, after the EU's model statement
2018/1523): what it covers, the compliance status against EN 301 549 / WCAG 2.1 AA, what is not
accessible and why, how the site was evaluated, feedback and contact, the complaints route, and the
dates it was made and last reviewed. The house reviews it at least once a year and when pages change:
update `MADE_ON`/`REVIEWED_ON` then, and the same text in the WAS-Tool."""

from __future__ import annotations

from datetime import date
from email.utils import parseaddr

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ehsj_core.notify.mail import sender
from services.api.deps import TrackerDep
from services.api.web.auth import session_user
from services.api.web.templating import page

router = APIRouter(include_in_schema=False)
PATH = "/tilgaengelighed"
MADE_ON = date(2026, 12, 1)
REVIEWED_ON = date(2026, 12, 1)
COMPLAINTS_URL = "https://www.was.digst.dk/"


@router.get(PATH)
def accessibility_statement(request: Request, tracker: TrackerDep) -> HTMLResponse:
    """No sign-in needed: the statement is for anyone who meets the site, before signing in too."""
    settings = tracker.settings
    return page(
        request,
        "accessibility.html",
        session_user(request, tracker),
        site=request.base_url.netloc,
        # A placeholder until the house names the address that answers about accessibility: the
        # address its reports are sent from (EHSJ_MAIL_FROM, else the house file's). The page says so.
        contact_email=parseaddr(sender(settings.mail_from, tracker.house_info))[1],
        idle_minutes=settings.session_idle_seconds // 60,
        max_hours=f"{settings.session_max_age_seconds / 3600:g}".replace(".", ","),
        made_on=MADE_ON,
        reviewed_on=REVIEWED_ON,
        complaints_url=COMPLAINTS_URL,
    )
