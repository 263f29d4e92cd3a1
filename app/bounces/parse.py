"""Reading bounce messages (SPEC M7): pure functions, no database.

`parse(raw, envelope_recipient)` takes the bytes of one message that arrived at a VERP
return path and says what it is:

- `kind` "hard" or "soft": a bounce, with the failed recipient, the enhanced status code
  (5.1.1) and the SMTP code (550) where the message gives them, and the diagnostic text;
- `kind` "ignore": no bounce — an out-of-office or other automatic reply, a delay warning
  ("will retry"), a success notice; `reason` says which;
- `kind` "unknown": a message nothing could be made of (empty, junk, a bounce without any
  hint of its cause); it is kept for an administrator to look at.

The VERP token (bounces+TOKEN@domain) comes from the envelope recipient the MTA gives,
else the delivery headers (Delivered-To, X-Original-To, To), else the returned original
message (its Return-Path, or anywhere in the text); the original's Message-ID is returned
too, as a second way to find the recipient.

Forms understood: RFC 3464 multipart/report DSNs (Postfix, Exim, Exchange/Office 365,
Gmail, most others), and the plain-text forms of qmail, Postfix, Exim, Exchange and older
Gmail; what is left is classified by keywords (mailbox full → soft, user unknown → hard).

Nothing here raises for any input: malformed MIME, broken headers, binary junk.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from email.message import Message

VERP_LOCAL = "bounces"
MAX_TEXT = 200_000  # characters of a part that are looked at
TOKEN_RE = re.compile(rf"\b{VERP_LOCAL}\+([A-Za-z0-9_-]{{6,64}})@", re.IGNORECASE)
ADDRESS_RE = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?"
)
# An enhanced status code (RFC 3463): class.subject.detail, not part of an IP address.
STATUS_RE = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)")
SMTP_RE = re.compile(r"(?<![\d.-])([45]\d\d)(?=[ -]|$)", re.MULTILINE)

BOUNCE_SENDERS = re.compile(
    r"^(mailer-daemon|postmaster|mail delivery (sub)?system|mail delivery system|"
    r"microsoftexchange\w*|mail-daemon|mdaemon|returns?)\b",
    re.IGNORECASE,
)
BOUNCE_SUBJECTS = re.compile(
    r"undeliver|undelivered mail|delivery status notification \((failure|delay)\)|"
    r"delivery (has )?failed|delivery failure|failure notice|returned mail|"
    r"mail delivery failed|could not be delivered|non[- ]?remis|nicht zustellbar|"
    r"unzustellbar|zustellung fehlgeschlagen|delivery notification|mail system error",
    re.IGNORECASE,
)
AUTOREPLY_SUBJECTS = re.compile(
    r"^\s*(\[?auto(matic|matische|matisch)?[ -]?(reply|response|antwort)\]?|"
    r"abwesenheits(notiz|meldung|nachricht)|out of (the )?office|"
    r"automatische antwort|automatic reply|autoreply|auto-reply|r[ée]ponse automatique|"
    r"away from (the )?office|vacation|urlaub|ich bin (nicht|ab)|not in the office)",
    re.IGNORECASE,
)
DELAY_HINTS = re.compile(
    r"will (continue to )?(retry|try)|delivery (is )?delayed|has been delayed|"
    r"not yet been delivered|warning: message .* delayed|still trying|"
    r"delay(ed)? (status )?notification|zustellung verz[öo]gert",
    re.IGNORECASE,
)
HARD_WORDS = re.compile(
    r"user unknown|unknown user|no such (user|mailbox|recipient|address)|"
    r"(does not|doesn'?t|did not) exist|not exist|unknown (recipient|address|mailbox)|"
    r"(recipient|address|mailbox|user|account) (was )?not found|"
    r"invalid (recipient|mailbox|address)|"
    r"recipient address rejected|address rejected|recipnotfound|no mailbox here|"
    r"mailbox unavailable|mailbox (is )?disabled|account (has been )?(disabled|deactivated|closed)|"
    r"address (couldn'?t|could not) be found|unrouteable|unroutable|host or domain name not found|"
    r"domain (not found|does not exist)|name or service not known|nxdomain|no mx|"
    r"unbekannt|existiert nicht|ung[üu]ltige (adresse|empf)|"
    r"empf[äa]nger (unbekannt|nicht gefunden)",
    re.IGNORECASE,
)
SOFT_WORDS = re.compile(
    r"mailbox (is )?full|over ?quota|quota (exceeded|exceed)|exceeded (storage|quota)|"
    r"insufficient (system )?storage|storage (space )?(full|exceeded)|out of storage|"
    r"(postfach|mailbox) (ist )?voll|speicherplatz|try again later|temporar(il)?y|"
    r"greylist|graylist|too many (connections|messages)|rate limit|connection timed out|"
    r"message (is )?too (large|big)|size limit",
    re.IGNORECASE,
)
PERMANENT_WORDS = re.compile(r"permanent(ly)? (error|failure|fatal)|failed permanently", re.I)


@dataclass
class Bounce:
    kind: str  # "hard", "soft", "ignore", "unknown"
    token: str = ""
    recipient: str = ""  # the failed address, lower case
    status: str = ""  # enhanced status code, e.g. "5.1.1"
    smtp_code: int | None = None
    diagnostic: str = ""
    reason: str = ""  # why "ignore" or "unknown"; the form of a bounce otherwise
    form: str = ""  # dsn, qmail, exchange, gmail, postfix, exim, keywords, autoreply
    message_id: str = ""  # of the bounce message
    original_message_id: str = ""  # of the message that bounced
    subject: str = ""
    sender: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def is_bounce(self) -> bool:
        return self.kind in ("hard", "soft")


def message_key(raw: bytes, message_id: str = "") -> str:
    """What makes one bounce message the same when it comes twice: its Message-ID, else a
    digest of its bytes."""
    if message_id:
        return "mid:" + message_id[:200]
    return "sha256:" + hashlib.sha256(raw or b"").hexdigest()


# --- safe access to a message -------------------------------------------------------------


def _header(msg: Message, name: str) -> str:
    """A header's value as text; a header the parser cannot make sense of is given raw."""
    try:
        value = msg.get(name)
        return " ".join(str(value).split()) if value is not None else ""
    except Exception:  # noqa: BLE001 (malformed header: fall back to its raw text)
        for key, value in msg.raw_items() if hasattr(msg, "raw_items") else msg.items():
            if key.lower() == name.lower():
                return " ".join(str(value).split())
        return ""


def _headers(msg: Message, name: str) -> list[str]:
    try:
        return [" ".join(str(v).split()) for v in (msg.get_all(name) or [])]
    except Exception:  # noqa: BLE001
        return []


def _walk(msg: Message):
    try:
        yield from msg.walk()
    except Exception:  # noqa: BLE001 (a broken structure: what was reached so far)
        return


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:  # noqa: BLE001
        return "text/plain"


def _text(part: Message) -> str:
    """The decoded text of a leaf part ('' for what is not text)."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        payload = None
    if payload is None:
        try:
            payload = part.get_payload()
        except Exception:  # noqa: BLE001
            return ""
        if not isinstance(payload, str):
            return ""
        return payload[:MAX_TEXT]
    try:
        charset = part.get_content_charset() or "utf-8"
    except Exception:  # noqa: BLE001
        charset = "utf-8"
    try:
        return payload.decode(charset, errors="replace")[:MAX_TEXT]
    except LookupError:
        return payload.decode("latin-1", errors="replace")[:MAX_TEXT]


def _html_to_text(html: str) -> str:
    text = re.sub(r"(?is)<(script|style).*?</\1>", " ", html)
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>", "\n", text)
    text = re.sub(r"<[^>]+>", " ", text)
    return (
        text.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
        .replace("&#39;", "'")
    )


def _address(value: str) -> str:
    match = ADDRESS_RE.search(value or "")
    return match.group(0).lower().rstrip(".") if match else ""


def _token_in(value: str) -> str:
    match = TOKEN_RE.search(value or "")
    return match.group(1) if match else ""


# --- the parts of a report ----------------------------------------------------------------


def _field_blocks(text: str) -> list[dict]:
    """Header-like blocks separated by blank lines (a delivery-status body as text)."""
    blocks, current, last = [], {}, None
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            if current:
                blocks.append(current)
            current, last = {}, None
            continue
        if line[0] in " \t" and last:
            current[last] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if sep and re.fullmatch(r"[A-Za-z0-9-]+", name.strip()):
            last = name.strip().lower()
            current[last] = value.strip()
    if current:
        blocks.append(current)
    return blocks


def _status_groups(part: Message) -> list[dict]:
    """The per-message and per-recipient field groups of a message/delivery-status part."""
    try:
        payload = part.get_payload()
    except Exception:  # noqa: BLE001
        payload = None
    groups = []
    if isinstance(payload, list):
        for block in payload:
            if isinstance(block, Message):
                try:
                    names = [key for key, _value in block.raw_items()]
                except Exception:  # noqa: BLE001
                    names = []
                groups.append({n.lower(): _header(block, n) for n in names})
    else:
        groups = _field_blocks(_text(part))
    return [g for g in groups if g]


def _original_headers(msg: Message) -> Message | None:
    """The returned message's headers: a message/rfc822 part or text/rfc822-headers."""
    for part in _walk(msg):
        kind = _content_type(part)
        if kind in ("message/rfc822", "message/global"):
            inner = _payload(part)
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                return inner[0]
        if kind in ("text/rfc822-headers", "text/global-headers"):
            return email.message_from_string(_text(part), policy=email.policy.default)
    return None


def _payload(part: Message):
    try:
        return part.get_payload()
    except Exception:  # noqa: BLE001
        return None


def _codes(text: str) -> tuple[str, int | None]:
    status = STATUS_RE.search(text or "")
    smtp = SMTP_RE.search(text or "")
    code = ".".join(status.groups()) if status else ""
    return code, int(smtp.group(1)) if smtp else None


def classify(status: str, smtp_code: int | None, text: str) -> str:
    """'hard', 'soft' or '' (undecided) from the codes and the diagnostic's words.

    Hard means the address is wrong or gone (5.1.x, 5.2.1, 5.4.4, or the words for it);
    a full mailbox (5.2.2), a message too large (5.2.3, 5.3.4), a system or network
    problem (5.3.x, 5.4.x), a rejection by policy (5.7.x: spam filters, reputation) are
    soft: the address itself may well be right. A 4.x.x or 4xx code is always soft.
    """
    text = text or ""
    if status.startswith("4") or (not status and smtp_code and 400 <= smtp_code < 500):
        return "soft"
    if SOFT_WORDS.search(text) and not status.startswith("5.1."):
        return "soft"
    if status.startswith("5."):
        subject_detail = status[2:]
        if subject_detail.startswith("1.") or subject_detail in ("2.1", "4.4"):
            return "hard"
        if subject_detail in ("2.2", "2.3", "3.4") or subject_detail.startswith(("3.", "4.")):
            return "soft"
        if HARD_WORDS.search(text):
            return "hard"
        if subject_detail.startswith("7."):
            return "soft"
        return "hard"  # 5.0.0, 5.2.0, 5.5.x and others without a better hint
    if HARD_WORDS.search(text):
        return "hard"
    if smtp_code == 552:
        return "soft"
    if smtp_code and 500 <= smtp_code < 600:
        return "hard"
    return ""


# --- the forms ----------------------------------------------------------------------------


def _from_dsn(msg: Message, result: Bounce) -> bool:
    """RFC 3464: take the first failed recipient of the delivery-status part."""
    parts = [
        p
        for p in _walk(msg)
        if _content_type(p) in ("message/delivery-status", "message/global-delivery-status")
    ]
    if not parts:
        return False
    groups = [g for part in parts for g in _status_groups(part)]
    recipients = [g for g in groups if "final-recipient" in g or "original-recipient" in g]
    if not recipients:
        result.notes.append("delivery-status part without recipients")
        return False
    failed = [g for g in recipients if g.get("action", "").lower().startswith("failed")]
    if not failed:
        actions = {g.get("action", "").lower().split(" ")[0] for g in recipients}
        if actions & {"delayed"}:
            result.kind, result.reason = "ignore", "delayed"
        elif actions & {"delivered", "relayed", "expanded"}:
            result.kind, result.reason = "ignore", "delivered"
        else:  # no Action field at all: go by the status
            failed = recipients
        if not failed:
            result.form = "dsn"
            return True
    group = failed[0]
    address = group.get("final-recipient") or group.get("original-recipient") or ""
    result.recipient = _address(address.split(";", 1)[-1])
    diagnostic = group.get("diagnostic-code", "")
    if ";" in diagnostic[:12]:
        diagnostic = diagnostic.split(";", 1)[1].strip()
    status = group.get("status", "")
    code, smtp = _codes(diagnostic)
    status_match = STATUS_RE.search(status)
    result.status = ".".join(status_match.groups()) if status_match else code
    result.smtp_code = smtp
    result.diagnostic = diagnostic or status
    result.form = "dsn"
    if not result.diagnostic:
        # the human-readable part explains it (Gmail, Exchange put the reason there)
        result.diagnostic = _explanation(msg)
    return True


def _explanation(msg: Message) -> str:
    for part in _walk(msg):
        if _content_type(part) == "text/plain" and not part.is_multipart():
            text = " ".join(_text(part).split())
            if text:
                return text[:500]
    return ""


def _body_text(msg: Message) -> str:
    """The human-readable text of the message (text/plain parts, else HTML as text), not
    the returned original's body."""
    texts, htmls = [], []
    for part in _walk(msg):
        kind = _content_type(part)
        if kind in ("message/rfc822", "message/global"):
            break  # the original follows; its text is the press release, not the reason
        if kind == "text/plain":
            texts.append(_text(part))
        elif kind == "text/html":
            htmls.append(_html_to_text(_text(part)))
    return "\n".join(texts) if any(t.strip() for t in texts) else "\n".join(htmls)


ORIGINAL_MARKERS = re.compile(
    r"^(--- Below this line is a copy of the message|--- Enclosed are the original headers|"
    r"------ This is a copy of the message|-+ ?Original message|-+ ?Forwarded message|"
    r"Original message headers:|----- Original message -----|\s*------ The header of the original)",
    re.IGNORECASE | re.MULTILINE,
)


def _report_text(text: str) -> str:
    """The part of a plain-text bounce before the quoted original."""
    match = ORIGINAL_MARKERS.search(text)
    return text[: match.start()] if match else text


def _from_qmail(text: str, result: Bounce) -> bool:
    if "qmail-send program" not in text and "I'm afraid I wasn't able to deliver" not in text:
        return False
    report = _report_text(text)
    match = re.search(r"^<([^>\s]+@[^>\s]+)>:\s*$\n(?P<diag>(?:.+\n?)+?)(?:^\s*$|\Z)", report, re.M)
    if match:
        result.recipient = _address(match.group(1))
        result.diagnostic = " ".join(match.group("diag").split())
    else:
        result.recipient = _address(report.split("following addresses", 1)[-1])
        result.diagnostic = " ".join(report.split())[-500:]
    result.form = "qmail"
    return True


def _from_exchange(text: str, result: Bounce) -> bool:
    markers = (
        "Delivery has failed to these recipients or groups",
        "Your message to",
        "Die Nachricht konnte nicht an die folgenden Empfänger",
        "Fehler bei der Zustellung an diese Empfänger oder Gruppen",
        "Remote Server returned",
        "Diagnostic information for administrators",
    )
    if not any(m in text for m in markers):
        return False
    if "Delivery has failed" in text or "Fehler bei der Zustellung" in text:
        section = re.split(
            r"Delivery has failed to these recipients or groups:?|"
            r"Fehler bei der Zustellung an diese Empfänger oder Gruppen:?",
            text,
            maxsplit=1,
        )[-1]
        result.recipient = _address(section)
    else:
        result.recipient = _address(text.split("Your message to", 1)[-1])
    remote = re.search(r"Remote Server returned '([^']+)'|#(\d{3} [245]\.\d+\.\d+[^#]*)##", text)
    if remote:
        result.diagnostic = (remote.group(1) or remote.group(2)).strip()
    else:
        result.diagnostic = " ".join(_report_text(text).split())[:500]
    result.form = "exchange"
    return True


def _from_gmail(msg: Message, text: str, result: Bounce) -> bool:
    sender = _header(msg, "From").lower()
    google = "google" in sender or "gmail" in sender
    if not google and "Delivery to the following recipient failed" not in text:
        return False
    if (
        "Address not found" not in text
        and "Delivery to the following recipient" not in text
        and "wasn't delivered" not in text
        and "Message not delivered" not in text
    ):
        return False
    failed = _header(msg, "X-Failed-Recipients")
    match = re.search(
        r"(?:wasn't delivered to|failed permanently:|recipient failed[^:]*:|delivered to)"
        r"\s*\n?\s*<?([^\s<>]+@[^\s<>]+?)>?[\s.,]",
        text,
    )
    result.recipient = _address(failed) or (_address(match.group(1)) if match else "")
    response = re.search(
        r"(?:The response (?:from the remote server )?was:|"
        r"Technical details of permanent failure:)\s*(.+?)(?:\n\s*\n|\Z)",
        text,
        re.S,
    )
    result.diagnostic = " ".join((response.group(1) if response else text[:500]).split())
    if "Address not found" in text and not STATUS_RE.search(result.diagnostic):
        result.diagnostic = "Address not found. " + result.diagnostic
    result.form = "gmail"
    return True


def _from_postfix(text: str, result: Bounce) -> bool:
    if (
        "This is the mail system at host" not in text
        and "I'm sorry to have to inform you" not in text
    ):
        return False
    report = _report_text(text)
    match = re.search(
        r"^<([^>\s]+@[^>\s]+)>(?: \(expanded from <[^>]+>\))?:\s*(?P<diag>(?:.+\n?)+?)(?:^\s*$|\Z)",
        report,
        re.M,
    )
    if match:
        result.recipient = _address(match.group(1))
        result.diagnostic = " ".join(match.group("diag").split())
    result.form = "postfix"
    return True


def _from_exim(msg: Message, text: str, result: Bounce) -> bool:
    marker = re.search(r"following address(?:\(es\))? failed:\s*\n", text)
    if not marker:
        return False
    report = _report_text(text[marker.end() :])
    address, diag = "", []
    for line in report.split("\n"):
        if not address:
            if line.strip():
                address = _address(line)
            continue
        if not line.strip() and diag:
            break
        if line.strip():
            diag.append(line.strip())
    result.recipient = _address(_header(msg, "X-Failed-Recipients")) or address
    result.diagnostic = " ".join(diag)[:1000]
    result.form = "exim"
    return True


def _is_autoreply(msg: Message) -> str:
    auto = _header(msg, "Auto-Submitted").lower()
    if auto.startswith("auto-replied") or auto.startswith("auto-generated"):
        return "auto-submitted"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Response"):
        if _header(msg, name):
            return "x-autoreply"
    if _header(msg, "Precedence").lower() in ("auto_reply", "auto-reply"):
        return "precedence"
    if _header(msg, "X-Auto-Response-Suppress") and AUTOREPLY_SUBJECTS.search(
        _header(msg, "Subject")
    ):
        return "exchange-autoreply"
    if AUTOREPLY_SUBJECTS.search(_header(msg, "Subject")):
        return "subject"
    return ""


def _looks_like_bounce(msg: Message) -> bool:
    sender = _header(msg, "From")
    local = sender.split("<")[-1].split("@")[0].strip(' "') if sender else ""
    name = sender.split("<")[0].strip(' "')
    return bool(
        BOUNCE_SENDERS.match(local)
        or BOUNCE_SENDERS.match(name)
        or _header(msg, "X-Failed-Recipients")
        or BOUNCE_SUBJECTS.search(_header(msg, "Subject"))
        or _header(msg, "Return-Path").strip() == "<>"
    )


def _find_token(msg: Message, envelope_recipient: str | None, raw_text: str) -> str:
    token = _token_in(envelope_recipient or "")
    if token:
        return token
    for name in ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To", "Cc"):
        for value in _headers(msg, name):
            token = _token_in(value)
            if token:
                return token
    original = _original_headers(msg)
    if original is not None:
        for name in ("Return-Path", "Sender", "Errors-To", "From", "List-Unsubscribe"):
            token = _token_in(_header(original, name))
            if token:
                return token
    return _token_in(raw_text)


def _original_message_id(msg: Message, text: str) -> str:
    original = _original_headers(msg)
    if original is not None:
        value = _header(original, "Message-ID")
        if value:
            return value.strip()
    body = re.split(r"\r?\n\r?\n", text, maxsplit=1)[-1]  # not the bounce's own header
    match = re.search(r"^Message-ID:\s*(<[^>\s]+>)", body, re.IGNORECASE | re.MULTILINE)
    return match.group(1) if match else ""


def parse(raw: bytes, envelope_recipient: str | None = None) -> Bounce:
    """What the message `raw` is; never raises (see the module's description)."""
    try:
        return _parse(raw or b"", envelope_recipient)
    except Exception as exc:  # noqa: BLE001 (a parser bug must not stop the intake)
        return Bounce(
            "unknown",
            token=_token_in(envelope_recipient or ""),
            reason=f"parser error: {type(exc).__name__}",
        )


def _parse(raw: bytes, envelope_recipient: str | None) -> Bounce:
    if not raw.strip():
        return Bounce("unknown", token=_token_in(envelope_recipient or ""), reason="empty message")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    raw_text = raw[: MAX_TEXT * 4].decode("utf-8", errors="replace")
    result = Bounce("unknown")
    result.message_id = _header(msg, "Message-ID")[:250]
    result.subject = _header(msg, "Subject")[:300]
    result.sender = _header(msg, "From")[:254]
    result.token = _find_token(msg, envelope_recipient, raw_text)
    result.original_message_id = _original_message_id(msg, raw_text)[:250]
    has_headers = bool(list(msg.keys())) and any(
        _header(msg, n) for n in ("From", "Subject", "Date", "Message-ID", "Content-Type", "To")
    )
    if not has_headers:
        result.reason = "no message headers"
        return result
    text = _body_text(msg)
    found = _from_dsn(msg, result)
    if result.kind == "ignore":
        return result
    if not found:
        found = (
            _from_qmail(text, result)
            or _from_exchange(text, result)
            or _from_gmail(msg, text, result)
            or _from_postfix(text, result)
            or _from_exim(msg, text, result)
        )
    if not found:
        why = _is_autoreply(msg)
        if why and not _looks_like_bounce(msg):
            result.kind, result.reason, result.form = "ignore", f"auto-reply ({why})", "autoreply"
            return result
        if not _looks_like_bounce(msg):
            result.reason = "not a bounce message"
            return result
        result.form = "keywords"
        report = _report_text(text)
        result.recipient = _address(_header(msg, "X-Failed-Recipients")) or _address(report)
        result.diagnostic = " ".join(report.split())[:1000]
    if not result.recipient:
        result.recipient = _address(_header(msg, "X-Failed-Recipients"))
    if (
        result.form != "dsn"
        and DELAY_HINTS.search(_report_text(text))
        and not PERMANENT_WORDS.search(text)
    ):
        result.kind, result.reason = "ignore", "delayed"
        return result
    code, smtp = _codes(result.diagnostic)
    result.status = result.status or code
    result.smtp_code = result.smtp_code or smtp
    kind = classify(result.status, result.smtp_code, result.diagnostic)
    if not kind and result.form in ("qmail", "exim", "exchange", "gmail", "postfix"):
        kind = classify(result.status, result.smtp_code, _report_text(text))
    if not kind and PERMANENT_WORDS.search(text):
        kind = "hard"
    result.diagnostic = result.diagnostic[:1000]
    if kind:
        result.kind, result.reason = kind, result.form
    else:
        result.reason = "bounce without a recognisable cause"
    return result
