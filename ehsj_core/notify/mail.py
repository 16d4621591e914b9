"""Composing a report e-mail and handing it to SMTP, or to the outbox folder when no SMTP is set."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING

from ehsj_core.settings import Settings

if TYPE_CHECKING:  # rendering pulls in matplotlib: keep it out of what only needs Message-IDs
    from ehsj_core.reports.render import RenderedReport


class TransientMailError(Exception):
    """The SMTP server could not take the message now; trying again later may work."""


def message_id_for(kind: str, period: str, dispatch_id: int, mail_from: str) -> str:
    """The same Message-ID for every attempt of one ledger row: a duplicate after a crash is
    recognisable by the receiving side."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "ehsj.local"
    return f"<ehsj.{kind}.{period}.{dispatch_id}@{domain}>"


def compose(rendered: RenderedReport, *, to_name: str, to_email: str, mail_from: str, message_id: str) -> EmailMessage:
    """multipart/mixed → multipart/related (text + HTML alternatives, inline PNGs) + attachments."""
    msg = EmailMessage()
    msg["Subject"] = rendered.subject
    msg["From"] = mail_from
    msg["To"] = formataddr((to_name, to_email))
    msg["Message-ID"] = message_id
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    html_part = msg.get_body(preferencelist=("html",))
    assert isinstance(html_part, EmailMessage)
    for image in rendered.images:
        html_part.add_related(image.png, maintype="image", subtype="png", cid=f"<{image.cid}>", filename=image.filename)
    for attachment in rendered.attachments:
        maintype, _, subtype = attachment.mimetype.partition("/")
        msg.add_attachment(attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename)
    return msg


def deliver_message(settings: Settings, msg: EmailMessage) -> None:
    """Send through SMTP; without an SMTP host, write `<Message-ID>.eml` to the outbox folder.

    Raises TransientMailError for errors worth retrying (4xx, connection problems)."""
    if not settings.smtp_host:
        outbox: Path = settings.outbox_dir
        outbox.mkdir(parents=True, exist_ok=True)
        name = str(msg["Message-ID"]).strip("<>").replace("/", "_") + ".eml"
        (outbox / name).write_bytes(bytes(msg))
        return
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(msg)
    except smtplib.SMTPResponseException as exc:
        if 400 <= exc.smtp_code < 500:
            raise TransientMailError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
        raise
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _msg in exc.recipients.values()]
        if all(400 <= code < 500 for code in codes):
            raise TransientMailError(f"SMTP recipients refused: {exc.recipients!r}") from exc
        raise
    except (OSError, smtplib.SMTPServerDisconnected) as exc:
        raise TransientMailError(f"SMTP connection: {exc}") from exc
