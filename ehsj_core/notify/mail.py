"""Composing a report e-mail and handing it to SMTP, or to the outbox folder when no SMTP is set.

Every SMTP problem is classified by one function, `classify`, into a `MailFailure`: one Danish line
naming the server, what failed and the setting to change, whether trying again later may help, and
whether the server was reachable at all. The worker, the CLI, the API and the reports page all show
that line (the ledger keeps it as the row's `last_error`).
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ehsj_core.houses import House
from ehsj_core.settings import Settings

if TYPE_CHECKING:  # rendering pulls in matplotlib: keep it out of what only needs Message-IDs
    from ehsj_core.reports.render import RenderedReport

FailureKind = Literal["unreachable", "tls", "auth", "server", "recipient", "message"]


@dataclass(frozen=True)
class MailFailure:
    """One SMTP problem, as the reader needs it."""

    kind: FailureKind
    text: str  # one line, Danish: the server, what failed, the setting to change
    retry: bool  # a later attempt may work (4xx, connection, configuration that can be fixed)

    @property
    def server_problem(self) -> bool:
        """The server or its configuration, not this one message: the other rows fail alike."""
        return self.kind in ("unreachable", "tls", "auth", "server")

    @property
    def http_status(self) -> int:
        """503 when the server could not be reached, 502 when it answered but refused."""
        return 503 if self.kind == "unreachable" else 502


class MailError(Exception):
    """An SMTP attempt failed; `failure` says how (see `classify`)."""

    def __init__(self, failure: MailFailure) -> None:
        super().__init__(failure.text)
        self.failure = failure


def server_name(settings: Settings) -> str:
    return f"{settings.smtp_host}:{settings.smtp_port}"


def _reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {' '.join(text.split())}".strip()


def classify(exc: BaseException, settings: Settings) -> MailFailure:
    """The one place that turns an SMTP or socket error into a `MailFailure`."""
    server = server_name(settings)
    mode = settings.smtp_security
    if isinstance(exc, MailError):
        return exc.failure
    if isinstance(exc, smtplib.SMTPNotSupportedError) and "STARTTLS" in str(exc):
        return MailFailure(
            "tls",
            f"SMTP-serveren {server} tilbyder ikke STARTTLS — sæt EHSJ_SMTP_TLS=none"
            " eller brug port 465 med EHSJ_SMTP_TLS=implicit",
            retry=True,
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return MailFailure(
            "tls",
            f"SMTP-serveren {server}: certifikatet kunne ikke verificeres ({exc.verify_message})"
            " — ret EHSJ_SMTP_HOST til navnet i certifikatet, eller giv serveren et gyldigt certifikat",
            retry=True,
        )
    if isinstance(exc, ssl.SSLError):
        hint = (
            "sæt EHSJ_SMTP_TLS=starttls for port 587, eller EHSJ_SMTP_PORT=465"
            if mode == "implicit"
            else "tjek EHSJ_SMTP_TLS og EHSJ_SMTP_PORT"
        )
        return MailFailure("tls", f"SMTP-serveren {server}: TLS mislykkedes ({exc.reason or exc}) — {hint}", retry=True)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return MailFailure(
            "auth",
            f"SMTP-serveren {server} afviste login for {settings.smtp_user!r} ({_reply(exc.smtp_code, exc.smtp_error)})"
            " — ret EHSJ_SMTP_USER og EHSJ_SMTP_PASSWORD",
            retry=True,
        )
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = list(exc.recipients.items())
        temporary = all(400 <= code < 500 for _addr, (code, _msg) in replies)
        who = ", ".join(addr for addr, _reply_ in replies)
        first = _reply(*replies[0][1]) if replies else ""
        if temporary:
            return MailFailure(
                "recipient",
                f"SMTP-serveren {server} afviste modtageren {who} midlertidigt ({first}) — prøves igen",
                True,
            )
        relay = any(str(code).startswith("5") and b"5.7" in msg for _addr, (code, msg) in replies)
        if relay:
            return MailFailure(
                "server",
                f"SMTP-serveren {server} vil ikke videresende til {who} ({first})"
                " — sæt EHSJ_SMTP_USER og EHSJ_SMTP_PASSWORD, eller tillad afsenderen EHSJ_MAIL_FROM på serveren",
                retry=True,
            )
        return MailFailure(
            "recipient",
            f"SMTP-serveren {server} afviste modtageren {who} ({first}) — ret adressen med `ehsj recipients`",
            retry=False,
        )
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return MailFailure(
            "server",
            f"SMTP-serveren {server} afviste afsenderen {exc.sender!r} ({_reply(exc.smtp_code, exc.smtp_error)})"
            " — ret EHSJ_MAIL_FROM eller EHSJ_SMTP_USER",
            retry=True,
        )
    if isinstance(exc, smtplib.SMTPConnectError):
        return MailFailure(
            "server",
            f"SMTP-serveren {server} afviste forbindelsen ({_reply(exc.smtp_code, exc.smtp_error)}) "
            f"— tjek EHSJ_SMTP_HOST og EHSJ_SMTP_PORT",
            retry=True,
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        temporary = 400 <= exc.smtp_code < 500
        what = "midlertidigt " if temporary else ""
        return MailFailure(
            "message",
            f"SMTP-serveren {server} afviste {what}meddelelsen ({_reply(exc.smtp_code, exc.smtp_error)})"
            + (" — prøves igen" if temporary else ""),
            retry=temporary,
        )
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        hint = " — brug EHSJ_SMTP_TLS=implicit til port 465" if settings.smtp_port == 465 and mode != "implicit" else ""
        return MailFailure(
            "unreachable", f"SMTP-serveren {server} lukkede forbindelsen ({exc or 'uden svar'}){hint}", retry=True
        )
    if isinstance(exc, socket.gaierror):
        return MailFailure(
            "unreachable",
            f"SMTP-serveren {server} findes ikke (navneopslag fejlede: {exc.strerror}) — ret EHSJ_SMTP_HOST",
            True,
        )
    if isinstance(exc, TimeoutError | socket.timeout):
        return MailFailure(
            "unreachable",
            f"SMTP-serveren {server} svarede ikke inden for {settings.smtp_timeout_seconds:g} s"
            " — tjek EHSJ_SMTP_HOST og EHSJ_SMTP_PORT (og en firewall)",
            retry=True,
        )
    if isinstance(exc, ConnectionRefusedError):
        return MailFailure(
            "unreachable",
            f"SMTP-serveren {server} kan ikke nås (forbindelsen blev afvist) — tjek EHSJ_SMTP_HOST og EHSJ_SMTP_PORT",
            True,
        )
    if isinstance(exc, OSError):
        return MailFailure(
            "unreachable",
            f"SMTP-serveren {server} kan ikke nås ({exc.strerror or exc}) — tjek EHSJ_SMTP_HOST og EHSJ_SMTP_PORT",
            True,
        )
    return MailFailure("server", f"SMTP-serveren {server}: {type(exc).__name__}: {exc}", retry=False)


def sender(configured: str | None, house: House) -> str:
    """Who the reports are from: EHSJ_MAIL_FROM when it is set, else the house file's sender."""
    return configured or house.mail_from


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
        params = {"charset": "utf-8"} if maintype == "text" else None  # the statement's page is UTF-8
        msg.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename, params=params
        )
    return msg


def tls_context() -> ssl.SSLContext:
    """A verifying context (certificate and host name), for STARTTLS and implicit TLS alike."""
    return ssl.create_default_context()


def _connect(settings: Settings) -> smtplib.SMTP:
    """An open, secured and (when a user is set) logged-in SMTP session."""
    assert settings.smtp_host
    mode = settings.smtp_security
    timeout = settings.smtp_timeout_seconds
    smtp: smtplib.SMTP
    if mode == "implicit":
        smtp = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=timeout, context=tls_context())
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    try:
        if mode == "starttls":
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                raise smtplib.SMTPNotSupportedError("STARTTLS extension not supported by server.")
            smtp.starttls(context=tls_context())
            smtp.ehlo()
        if settings.smtp_user:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            smtp.login(settings.smtp_user, password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def check_server(settings: Settings) -> None:
    """Connect, secure, log in and quit, sending nothing: a misconfigured or unreachable server is
    found before any ledger row is claimed. Raises MailError; does nothing without an SMTP host."""
    if not settings.smtp_host:
        return
    try:
        smtp = _connect(settings)
        try:
            smtp.noop()
        finally:
            _quit(smtp)
    except Exception as exc:
        raise MailError(classify(exc, settings)) from exc


def deliver_message(settings: Settings, msg: EmailMessage) -> None:
    """Send through SMTP; without an SMTP host, write `<Message-ID>.eml` to the outbox folder.

    Raises MailError (see `classify`) for every SMTP problem."""
    if not settings.smtp_host:
        outbox: Path = settings.outbox_dir
        outbox.mkdir(parents=True, exist_ok=True)
        name = str(msg["Message-ID"]).strip("<>").replace("/", "_") + ".eml"
        (outbox / name).write_bytes(bytes(msg))
        return
    try:
        smtp = _connect(settings)
        try:
            smtp.send_message(msg)
        finally:
            _quit(smtp)
    except Exception as exc:
        raise MailError(classify(exc, settings)) from exc


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
