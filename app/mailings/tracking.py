"""Opt-in open and click tracking of mailings (SPEC M6; off by default, the setting
`tracking`).

When the setting is on, the dispatch passes each recipient's HTML part through
`rewrite_html(html, token)` (`token`: the recipient's `MailingRecipient.token`):

- a 1×1 transparent GIF at `PUBLIC_URL/t/o/<token>.<signature>.gif` is added at the end of
  the body; loading it counts an open;
- every http(s) link becomes `PUBLIC_URL/t/c/<token>.<signature>?u=<the original URL>`,
  which counts a click and redirects (302) to the original URL. The signature is made over
  the token *and* the URL, so the endpoint redirects only to URLs that were in the mailing
  sent to that recipient: no open redirect, and no forged token counts anything.

Links to the app itself (PUBLIC_URL: the unsubscribe link, press-kit downloads) are left as
they are. The plain-text part is not changed. Signatures are HMAC-SHA256 (itsdangerous)
with a key derived from SECRET_KEY, one salt per kind, so an open signature is no click
signature. Mail programs that block images (many do by default) or fetch every image
through a proxy make open counts approximate; the report says so.
"""

from __future__ import annotations

import hashlib
import html as html_module
import re
from urllib.parse import quote

from flask import current_app
from itsdangerous import BadSignature, Signer
from peewee import fn

from app.clock import utcnow

OPEN_SALT = "depesche-tracking-open"
CLICK_SALT = "depesche-tracking-click"
# the endpoints' paths (app/mailings/tracking_views.py); messages are built by the worker,
# outside a request, so the public URLs are joined here (a test checks they are routed)
OPEN_PATH = "/t/o/{value}.gif"
CLICK_PATH = "/t/c/{value}"
# A 1×1 transparent GIF (43 bytes).
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
    b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
MAX_URL = 2000
# an <a> tag's href (the sanitiser writes every attribute in double quotes; single quotes
# are accepted too)
_HREF = re.compile(r"(<a\b[^>]*?\shref=)([\"'])(.*?)\2", re.IGNORECASE | re.DOTALL)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


def _signer(salt: str) -> Signer:
    return Signer(current_app.config["SECRET_KEY"], salt=salt, digest_method=hashlib.sha256)


def _public_url() -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/")


def open_value(token: str) -> str:
    """`<token>.<signature>`: the path part of a recipient's pixel."""
    return _signer(OPEN_SALT).sign(token).decode()


def click_value(token: str, url: str) -> str:
    """`<token>.<signature over token and URL>`: the path part of a tracked link."""
    signature = _signer(CLICK_SALT).get_signature(f"{token}\n{url}").decode()
    return f"{token}.{signature}"


def open_url(token: str) -> str:
    return _public_url() + OPEN_PATH.format(value=open_value(token))


def click_url(token: str, url: str) -> str:
    return (
        _public_url()
        + CLICK_PATH.format(value=click_value(token, url))
        + "?u="
        + quote(url, safe=":/")  # decoded by the endpoint to exactly the signed URL
    )


def verified_open(value: str) -> str | None:
    """The recipient token of a pixel's path part, or None for a forged one."""
    try:
        return _signer(OPEN_SALT).unsign(value).decode()
    except (BadSignature, UnicodeError):
        return None


def verified_click(value: str, url: str) -> str | None:
    """The recipient token of a tracked link, or None unless the signature covers exactly
    this token and this URL (and the URL is an http(s) one)."""
    token, _, signature = value.rpartition(".")
    if not token or not signature or not _trackable(url):
        return None
    try:
        good = _signer(CLICK_SALT).verify_signature(f"{token}\n{url}", signature)
    except (BadSignature, UnicodeError):  # pragma: no cover (verify_signature returns False)
        return None
    return token if good else None


def _trackable(url: str) -> bool:
    return (
        url.lower().startswith(("http://", "https://"))
        and len(url) <= MAX_URL
        and not any(c in url for c in "\r\n\t\x00")
    )


def rewrite_html(html: str, token: str) -> str:
    """The HTML part of one recipient's message with its http(s) links passing through the
    click endpoint and the open pixel added at the end of the body."""
    own = _public_url() + "/"

    def link(match: re.Match) -> str:
        prefix, quote_char, value = match.groups()
        url = html_module.unescape(value).strip()
        if not _trackable(url) or url.startswith(own) or url == own.rstrip("/"):
            return match.group(0)
        return f'{prefix}"{html_module.escape(click_url(token, url), quote=True)}"'

    rewritten = _HREF.sub(link, html or "")
    pixel = (
        f'<img src="{html_module.escape(open_url(token), quote=True)}" width="1" height="1" '
        'alt="" style="display:block;width:1px;height:1px;border:0;">'
    )
    ends = list(_BODY_END.finditer(rewritten))
    if ends:
        at = ends[-1].start()
        return rewritten[:at] + pixel + rewritten[at:]
    return rewritten + pixel


def record_open(token: str) -> bool:
    """Count an open of the recipient's message (the first time is kept); False when no
    recipient has the token (the mailing was deleted)."""
    from app.mailings.models import MailingRecipient as R

    return bool(
        R.update(opens=R.opens + 1, opened_at=fn.COALESCE(R.opened_at, utcnow()))
        .where(R.token == token)
        .execute()
    )


def record_click(token: str) -> bool:
    """Count a click. A click also proves the message was opened (its images may have been
    blocked), so the first open is set too if it is missing, without counting an open."""
    from app.mailings.models import MailingRecipient as R

    now = utcnow()
    return bool(
        R.update(
            clicks=R.clicks + 1,
            clicked_at=fn.COALESCE(R.clicked_at, now),
            opened_at=fn.COALESCE(R.opened_at, now),
        )
        .where(R.token == token)
        .execute()
    )


def enabled() -> bool:
    """Whether the organisation tracks opens and clicks now (the dispatch asks this when a
    mailing starts and stores the answer in `Mailing.tracking`)."""
    from app.settings.services import get

    return bool(get("tracking"))
