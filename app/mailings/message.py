"""One recipient's message of a mailing: personalised text and HTML parts (multipart/
alternative) and the attachments from the file store."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from app import files
from app.mailings.content import personalise

HTML_FRAME = (
    '<!doctype html><html><head><meta charset="utf-8"></head>'
    '<body style="font-family: Arial, Helvetica, sans-serif; line-height: 1.45;">'
    "{body}</body></html>"
)


def build(mailing, values: dict, *, sender: str, to: str, extra_headers=None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = personalise(mailing.subject, values, html=False)
    message["Date"] = formatdate(localtime=False)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    for name, value in (extra_headers or {}).items():
        message[name] = value
    message.set_content(personalise(mailing.text, values, html=False))
    body = personalise(mailing.html, values, html=True)
    message.add_alternative(HTML_FRAME.format(body=body), subtype="html")
    for attachment in mailing.attachments:
        maintype, _, subtype = attachment.file_type.partition("/")
        message.add_attachment(
            files.path_for(attachment.file_sha256).read_bytes(),
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=attachment.file_name,
        )
    return message


def size_of(message: EmailMessage) -> int:
    return len(message.as_bytes())
