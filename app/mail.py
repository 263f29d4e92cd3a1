"""System mail (invitations, password resets, sign-in codes) through the configured relay.

`queue_mail` hands the message to the worker encrypted, so that a one-time password in it
never lies readable in the queue; `send_mail` delivers at once.
"""

from __future__ import annotations

import json
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import unquote, urlsplit

from flask import current_app

from app import crypto
from app.extensions import task

QUEUE_PURPOSE = "mail-queue"
QUEUE_TTL = 24 * 3600


class MailError(Exception):
    pass


def build_message(to: str, subject: str, text: str, html: str | None = None) -> EmailMessage:
    sender = current_app.config["MAIL_FROM"]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def tls_context(url: str | None = None) -> ssl.SSLContext | None:
    """A TLS context for the relay of `url` (DEPESCHE_SMTP_URL), None if it is not spoken
    to over TLS. Making one loads the system's CA certificates — about 30 ms of CPU, more
    than sending a message — so a dispatch batch makes one for all its connections."""
    if urlsplit(url or current_app.config["SMTP_URL"]).scheme in ("smtps", "smtp+starttls"):
        return ssl.create_default_context()
    return None


def smtp_connection(
    url: str | None = None, timeout: float = 30, context: ssl.SSLContext | None = None
) -> smtplib.SMTP:
    """An open, authenticated connection to the relay of DEPESCHE_SMTP_URL (`context`: the
    TLS context to use, from `tls_context`; made here if needed and not given)."""
    parts = urlsplit(url or current_app.config["SMTP_URL"])
    if context is None:
        context = tls_context(url)
    if parts.scheme == "smtps":
        connection = smtplib.SMTP_SSL(
            parts.hostname, parts.port or 465, timeout=timeout, context=context
        )
    else:
        connection = smtplib.SMTP(parts.hostname, parts.port or 25, timeout=timeout)
        if parts.scheme == "smtp+starttls":
            connection.starttls(context=context)
    if parts.username:
        connection.login(unquote(parts.username), unquote(parts.password or ""))
    return connection


def send_mail(to: str, subject: str, text: str, html: str | None = None) -> None:
    """Deliver one message now; raises MailError with the relay's reason."""
    deliver(build_message(to, subject, text, html))


def deliver(message: EmailMessage, raw: bytes | None = None) -> None:
    """Hand one built message to the relay now; raises MailError with the relay's reason.
    `raw`: the message's bytes as they must go out (DKIM-signed), envelope from `message`."""
    try:
        with smtp_connection() as connection:
            if raw is None:
                connection.send_message(message)
            else:
                sender = parseaddr(message["From"])[1]
                connection.sendmail(sender, [parseaddr(message["To"])[1]], raw)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(str(exc) or type(exc).__name__) from exc


def queue_mail(to: str, subject: str, text: str, html: str | None = None) -> None:
    """Send through the worker; the content travels encrypted."""
    payload = json.dumps({"to": to, "subject": subject, "text": text, "html": html})
    deliver_queued_mail(crypto.encrypt(QUEUE_PURPOSE, payload))


@task(retries=5, retry_delay=30, retry_backoff=2)
def deliver_queued_mail(token: str) -> None:
    data = json.loads(crypto.decrypt(QUEUE_PURPOSE, token, ttl=QUEUE_TTL))
    send_mail(data["to"], data["subject"], data["text"], data["html"])
