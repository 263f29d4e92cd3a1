"""DKIM signatures for outgoing mailings (RFC 6376; SPEC M4): relaxed/relaxed, rsa-sha256.

Implemented here with `cryptography` rather than with dkimpy, whose pure-Python RSA signs
about twenty times slower (tests/bench/dkim.py measures both; decision D39). dkimpy
verifies our signatures in the tests, as an independent implementation.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

SIGNED_HEADERS = (
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "list-unsubscribe",
    "list-unsubscribe-post",
)
_WSP = re.compile(rb"[ \t]+")
_EOL = re.compile(rb"\r\n|\n|\r")
_BLANKS = re.compile(rb"[ \t]{2,}|\t")


class SigningError(ValueError):
    pass


def split_message(message: bytes, crlf: bool = False) -> tuple[list[bytes], bytes]:
    """The header fields (each with its continuation lines, CRLF-terminated) and the body,
    with every line ending made CRLF as it will be sent over SMTP (`crlf`: they are
    already, as the mailings' own messages are)."""
    if not crlf:
        message = _EOL.sub(b"\r\n", message)
    head, sep, body = message.partition(b"\r\n\r\n")
    if not sep:
        head, body = message.rstrip(b"\r\n"), b""
    fields: list[bytes] = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += line + b"\r\n"
        elif line:
            fields.append(line + b"\r\n")
    return fields, body


def relaxed_body(body: bytes) -> bytes:
    """RFC 6376 3.4.4 on a CRLF body: runs of blanks become one space, blanks at line ends
    and empty lines at the end go. (Only runs and tabs are rewritten: a single space is
    left alone, which is most of a text and keeps this fast.)"""
    if b"\t" in body or b"  " in body:  # most bodies have neither: no regex pass
        body = _BLANKS.sub(b" ", body)
    body = body.replace(b" \r\n", b"\r\n")
    body = body.rstrip(b"\r\n")
    if body.endswith(b" "):  # a last line without CRLF that ended in blanks
        body = body[:-1].rstrip(b"\r\n")
    return body + b"\r\n" if body else b""


def relaxed_header(field: bytes) -> bytes:
    name, _, value = field.partition(b":")
    value = _WSP.sub(b" ", value.replace(b"\r\n", b"")).strip(b" ")
    return name.strip().lower() + b":" + value + b"\r\n"


def _fold(data: str, width: int = 74) -> str:
    return "\r\n\t".join(data[i : i + width] for i in range(0, len(data), width))


class Signer:
    """Signs messages for one domain with one key (load it once, sign many)."""

    def __init__(self, domain: str, selector: str, key):
        self.domain = domain
        self.selector = selector
        self.key = key

    def sign(self, message: bytes, timestamp: int | None = None, crlf: bool = False) -> bytes:
        """The message with a DKIM-Signature header field in front (`crlf`: every line of
        `message` already ends in CRLF)."""
        fields, body = split_message(message, crlf)
        by_name: dict[bytes, list[bytes]] = {}
        for field in fields:
            by_name.setdefault(field.split(b":", 1)[0].strip().lower(), []).append(field)
        if b"from" not in by_name:
            raise SigningError("a message to be signed needs a From header field")
        # the last instance of a repeated field is signed (RFC 6376 5.4.2)
        signed = [
            (name, by_name[name.encode()][-1])
            for name in SIGNED_HEADERS
            if name.encode() in by_name
        ]
        body_hash = base64.b64encode(hashlib.sha256(relaxed_body(body)).digest()).decode()
        stamp = int(time.time()) if timestamp is None else timestamp
        header = (
            f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={self.domain};\r\n"
            f"\ts={self.selector}; t={stamp};\r\n"
            f"\th={':'.join(name for name, _ in signed)};\r\n"
            f"\tbh={body_hash};\r\n"
            "\tb="
        )
        data = b"".join(relaxed_header(field) for _, field in signed)
        data += relaxed_header(header.encode())[:-2]  # without its CRLF (RFC 6376 3.7)
        signature = self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        header += _fold(base64.b64encode(signature).decode()) + "\r\n"
        return header.encode() + b"".join(fields) + b"\r\n" + body


def signer_for(domain_name: str) -> Signer:
    """The signer of a sender domain with its current key (raises SigningError if the
    domain is unknown or has no key)."""
    from app.senders.keys import private_key
    from app.senders.services import current_key

    key = current_key(domain_name)
    if key is None:
        raise SigningError(f"no DKIM key for {domain_name}")
    return Signer(domain_name, key.selector, private_key(key.private_key))


def sign(message: bytes, domain: str) -> bytes:
    """`message` signed with the current DKIM key of the sender domain `domain`."""
    return signer_for(domain.lower()).sign(message)
