"""The messages of a mailing (SPEC M2, M4): one template per mailing, one message per
recipient — personalised text and HTML parts (multipart/alternative) and the attachments.

Thousands of messages are made from one template, so the template prepares once what all
share (the attachments' MIME parts, the sender's header fields) and `render` assembles a
recipient's bytes directly: the parts quoted-printable (binascii, in C), the header fields
folded and encoded as RFC 5322/2047 want. The e-mail package would take several times as
long per message (tests/bench/dispatch.py). The preview, the test message and dispatch all
use this one path, so the test message is what recipients get.
"""

from __future__ import annotations

import binascii
import secrets
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr

from app import files
from app.mailings.content import personalise

HTML_FRAME = (
    '<!doctype html><html><head><meta charset="utf-8"></head>'
    '<body style="font-family: Arial, Helvetica, sans-serif; line-height: 1.45;">'
    "{body}</body></html>"
)
CRLF = "\r\n"


def _qp(text: str) -> bytes:
    """Quoted-printable with CRLF line ends throughout (binascii ends soft line breaks
    with a bare LF when the text has no line break of its own; SMTP wants CRLF, and
    Postfix refuses bare LFs)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    encoded = binascii.b2a_qp(text.encode("utf-8"), quotetabs=False, istext=True)
    return encoded.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def encoded_words(value: str) -> str:
    """`value` as RFC 2047 encoded words (UTF-8, base64), each at most 75 characters and
    never splitting a character, folded onto continuation lines. (The e-mail package's
    Header does the same several times slower: per message, per recipient.)"""
    data = value.encode("utf-8")
    words, start = [], 0
    while start < len(data):
        end = min(start + 45, len(data))  # 45 bytes → 60 base64 characters
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # inside a character
            end -= 1
        words.append(
            "=?utf-8?b?" + binascii.b2a_base64(data[start:end], newline=False).decode() + "?="
        )
        start = end
    return (CRLF + " ").join(words)


def header_value(value: str) -> str:
    """A header field's value, RFC 2047-encoded if it is not ASCII."""
    value = " ".join(value.split())
    if value.isascii():
        return value
    return encoded_words(value)


def address_value(name: str, address: str) -> str:
    name = " ".join(name.split())
    if name.isascii():
        return formataddr((name, address))
    return f"{encoded_words(name)} <{address}>"


def _attachment_part(attachment) -> bytes:
    part = EmailMessage()
    maintype, _, subtype = attachment.file_type.partition("/")
    part.set_content(
        files.path_for(attachment.file_sha256).read_bytes(),
        maintype=maintype or "application",
        subtype=subtype or "octet-stream",
        disposition="attachment",
        filename=attachment.file_name,
    )
    del part["MIME-Version"]
    return part.as_bytes(policy=part.policy.clone(linesep=CRLF))


class MessageTemplate:
    """What one mailing's messages share; `render` makes one recipient's message."""

    def __init__(self, mailing, *, sender: str, reply_to: str = ""):
        self.subject = mailing.subject
        self.text = mailing.text
        self.html = mailing.html
        name, address = parseaddr(sender)
        self.from_field = address_value(name, address)
        self.domain = address.rpartition("@")[2] or "localhost"
        self.reply_to = reply_to
        self.attachments = [_attachment_part(a) for a in mailing.attachments]

    def message_id(self) -> str:
        return f"<{secrets.token_hex(12)}@{self.domain}>"

    def render(
        self,
        values: dict,
        *,
        to: str,
        to_name: str = "",
        message_id: str | None = None,
        headers: dict | None = None,
        text_footer: str = "",
        html_footer: str = "",
        html_filter=None,
    ) -> bytes:
        """The recipient's message as it goes over SMTP (CRLF line ends). `headers` are
        further header fields (List-Unsubscribe …); the footers end the parts;
        `html_filter(html)` may change the personalised HTML body (link tracking)."""
        fields = [
            ("From", self.from_field),
            ("To", address_value(to_name, to)),
            ("Subject", header_value(personalise(self.subject, values, html=False))),
            ("Date", formatdate(localtime=False)),
            ("Message-ID", message_id or self.message_id()),
            ("MIME-Version", "1.0"),
        ]
        if self.reply_to:
            fields.append(("Reply-To", self.reply_to))
        fields.extend((name, header_value(value)) for name, value in (headers or {}).items())
        text = personalise(self.text, values, html=False) + text_footer
        body = personalise(self.html, values, html=True) + html_footer
        if html_filter is not None:
            body = html_filter(body)
        html = HTML_FRAME.format(body=body)
        alt = "=_a" + secrets.token_hex(10)
        alternative = (
            f'Content-Type: multipart/alternative; boundary="{alt}"\r\n\r\n'
            f"--{alt}\r\n"
            'Content-Type: text/plain; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        ).encode()
        alternative += (
            _qp(text)
            + (
                f"\r\n--{alt}\r\n"
                'Content-Type: text/html; charset="utf-8"\r\n'
                "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            ).encode()
        )
        alternative += _qp(html) + f"\r\n--{alt}--\r\n".encode()
        head = "".join(f"{name}: {value}\r\n" for name, value in fields).encode()
        if not self.attachments:
            return head + alternative
        mixed = "=_m" + secrets.token_hex(10)
        parts = [f'Content-Type: multipart/mixed; boundary="{mixed}"\r\n\r\n'.encode()]
        for part in (alternative, *self.attachments):
            parts.append(f"--{mixed}\r\n".encode() + part.rstrip(b"\r\n") + b"\r\n")
        parts.append(f"--{mixed}--\r\n".encode())
        return head + b"".join(parts)
