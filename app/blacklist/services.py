"""The blacklist (SPEC M8): addresses and whole domains that no mailing goes to —
unsubscribes, hard bounces (when the organisation wants that), and entries by hand or
pasted in bulk by an administrator. `blacklisted()` is what recipient resolution asks."""

from __future__ import annotations

import re

import idna
from flask_babel import gettext as _

from app.blacklist.models import REASONS, BlacklistEntry
from app.emails import InvalidEmail, normalise_email
from app.extensions import db

PASTE_MAX = 20_000
SPLIT = re.compile(r"[\s,;<>]+")
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class BlacklistError(ValueError):
    def __init__(self, message):
        self.message = str(message)
        super().__init__(self.message)


def parse(text: str) -> tuple[str, str]:
    """(kind, value) of one entry: "name@example.org" is an address, "@example.org" or
    "example.org" a whole domain; BlacklistError with a translated reason otherwise."""
    text = (text or "").strip().strip("\"'()[]")
    if not text:
        raise BlacklistError(_("Please give an address or a domain."))
    if text.startswith("@") or "@" not in text:
        domain = text.lstrip("@").lower().rstrip(".")
        try:
            domain = idna.encode(domain, uts46=True).decode("ascii")
        except idna.IDNAError:
            raise BlacklistError(_("%(value)s is not a valid domain.", value=text)) from None
        if not DOMAIN.match(domain):
            raise BlacklistError(_("%(value)s is not a valid domain.", value=text))
        return "domain", domain
    try:
        return "address", normalise_email(text)
    except InvalidEmail:
        raise BlacklistError(_("%(value)s is not a valid e-mail address.", value=text)) from None


def add(user, text: str, reason: str = "manual", note: str = "") -> BlacklistEntry | None:
    """Put one address or domain on the blacklist; None when it is there already."""
    from app.audit.services import record

    kind, value = parse(text)
    if reason not in REASONS:
        raise BlacklistError(_("Unknown reason."))
    with db.atomic():
        if BlacklistEntry.select().where(BlacklistEntry.value == value).exists():
            return None
        entry = BlacklistEntry.create(
            kind=kind,
            value=value,
            reason=reason,
            note=(note or "").strip()[: BlacklistEntry.note.max_length],
            created_by=user.id if user else None,
        )
        record(
            "blacklist.add",
            target_type="blacklist_entry",
            target_id=entry.id,
            target_label=value,
            details={"kind": kind, "reason": reason},
        )
    return entry


def add_many(user, text: str, reason: str = "import") -> dict:
    """Paste: every address or domain in the text (any separators); returns counts and
    the words that were neither."""
    words = [w for w in SPLIT.split(text or "") if w.strip()]
    if len(words) > PASTE_MAX:
        raise BlacklistError(_("At most %(n)d entries at once, please.", n=PASTE_MAX))
    added, present, invalid = 0, 0, []
    for word in dict.fromkeys(words):
        if "@" not in word and "." not in word:
            continue  # names between the addresses
        try:
            entry = add(user, word, reason)
        except BlacklistError:
            invalid.append(word)
            continue
        added, present = added + (entry is not None), present + (entry is None)
    return {"added": added, "present": present, "invalid": invalid}


def remove(user, entry_id: int) -> BlacklistEntry | None:
    from app.audit.services import record

    entry = BlacklistEntry.get_or_none(BlacklistEntry.id == entry_id)
    if entry is None:
        return None
    with db.atomic():
        record(
            "blacklist.remove",
            target_type="blacklist_entry",
            target_id=entry.id,
            target_label=entry.value,
            details={"kind": entry.kind, "reason": entry.reason},
        )
        entry.delete_instance()
    return entry


def blacklisted(addresses) -> set[str]:
    """The given (normalised) addresses that are on the blacklist, by themselves or by
    their domain; a fixed number of queries for any number of addresses."""
    addresses = {a.lower() for a in addresses if a}
    if not addresses:
        return set()
    found: set[str] = set()
    values = list(addresses)
    domains = {a.rsplit("@", 1)[-1] for a in addresses}
    for start in range(0, len(values), 900):
        chunk = values[start : start + 900]
        found |= {
            v
            for (v,) in BlacklistEntry.select(BlacklistEntry.value)
            .where((BlacklistEntry.kind == "address") & BlacklistEntry.value.in_(chunk))
            .tuples()
        }
    blocked_domains = set()
    domain_list = list(domains)
    for start in range(0, len(domain_list), 900):
        chunk = domain_list[start : start + 900]
        blocked_domains |= {
            v
            for (v,) in BlacklistEntry.select(BlacklistEntry.value)
            .where((BlacklistEntry.kind == "domain") & BlacklistEntry.value.in_(chunk))
            .tuples()
        }
    found |= {a for a in addresses if a.rsplit("@", 1)[-1] in blocked_domains}
    return found
