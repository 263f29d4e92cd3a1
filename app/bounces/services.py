"""Bounce intake and the undeliverable addresses (SPEC M3, M7, M8).

`intake(raw, envelope_recipient)` is the one way a message that arrived at a return path
is handled, whether the MTA pipes it in or the mailbox fetch reads it:

1. read it (`app.bounces.parse`, never raises);
2. the same message a second time (its Message-ID, else its digest) changes nothing;
3. a bounce whose VERP token (or, failing that, the original's Message-ID) names a
   recipient row sets that row's state and bounce fields, and recounts the address's
   bounce state: a hard bounce or SOFT_LIMIT soft bounces in a row make the address
   hard-bounced — excluded from every mailing's recipients (the "bounced" exclusion of
   app.lists.recipients) and, with the setting `blacklist_hard_bounces`, blacklisted;
4. automatic replies and delay warnings are noted and change nothing; bounces of no known
   recipient and messages that cannot be read are kept, compressed, for administrators.

Database errors propagate (the pipe answers EX_TEMPFAIL and the MTA retries); any other
failure while applying a bounce keeps the message for review instead.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from peewee import JOIN, IntegrityError, InterfaceError, OperationalError, fn

from app.bounces.models import REVIEW, AddressBounce, BounceMessage
from app.bounces.parse import Bounce, message_key, parse
from app.clients.models import READ
from app.clients.scoping import in_clients
from app.clock import utcnow
from app.contacts.models import Person, PersonEmail
from app.extensions import db
from app.lists import recipients as recipient_resolution
from app.mailings.models import Mailing, MailingRecipient

log = logging.getLogger(__name__)

SOFT_LIMIT = 3  # soft bounces in a row that count as a hard one
RAW_KEEP_MAX = 10 * 1024 * 1024  # bytes of a message kept for review
STREAK_WINDOW = 20  # deliveries to an address looked at when counting soft bounces
SETTLE = timedelta(days=1)  # a message not bounced by then was received
# States of a recipient row whose message never reached the recipient's server, so they
# neither continue nor break a streak of soft bounces.
NOT_DELIVERED = ("queued", "sending", "deferred", "failed", "cancelled")
# Errors that mean "the database is not there now": the caller should try again later.
UNAVAILABLE = (OperationalError, InterfaceError)


class BounceError(ValueError):
    def __init__(self, message):
        self.message = str(message)
        super().__init__(self.message)


@dataclass
class IntakeResult:
    outcome: str  # a key of models.OUTCOMES, or "duplicate"
    message_id: int | None = None  # the BounceMessage row
    recipient_id: int | None = None
    address: str = ""
    status: str = ""
    reason: str = ""
    became_hard: bool = False


# --- the exclusion from recipients ------------------------------------------------------


def hard_bounced(addresses) -> set[str]:
    """The given (normalised) addresses that are hard-bounced; one query per 900."""
    values = sorted({a.lower() for a in addresses if a})
    found: set[str] = set()
    for start in range(0, len(values), 900):
        chunk = values[start : start + 900]
        found |= {
            address
            for (address,) in AddressBounce.select(AddressBounce.address)
            .where(AddressBounce.address.in_(chunk) & AddressBounce.hard_at.is_null(False))
            .tuples()
        }
    return found


recipient_resolution.EXCLUSIONS["bounced"] = hard_bounced


# --- intake -----------------------------------------------------------------------------


def _compress(raw: bytes) -> bytes:
    return zlib.compress(raw[:RAW_KEEP_MAX], 6)


def raw_message(message: BounceMessage) -> bytes:
    """The kept message's bytes (b'' when none was kept)."""
    return zlib.decompress(bytes(message.raw)) if message.raw else b""


def _match(bounce: Bounce) -> MailingRecipient | None:
    if bounce.token:
        found = MailingRecipient.get_or_none(MailingRecipient.token == bounce.token)
        if found is not None:
            return found
    original = bounce.original_message_id.strip()
    if original:
        bare = original.strip("<>")
        return (
            MailingRecipient.select()
            .where(MailingRecipient.message_id.in_([f"<{bare}>", bare]))
            .first()
        )
    return None


def _outcome(bounce: Bounce, recipient) -> tuple[str, str]:
    if bounce.kind == "ignore":
        return "ignored", bounce.reason
    if bounce.kind == "unknown":
        return "unreadable", bounce.reason
    if recipient is None:
        if bounce.token:
            return "unmatched", f"unknown VERP token {bounce.token}"
        return "unmatched", "no VERP token found"
    return bounce.kind, bounce.form


def intake(raw: bytes, envelope_recipient: str | None = None, source: str = "pipe") -> IntakeResult:
    """Handle one message that arrived at a return path (see the module's description)."""
    raw = raw or b""
    bounce = parse(raw, envelope_recipient)
    key = message_key(raw, bounce.message_id)
    existing = BounceMessage.get_or_none(BounceMessage.key == key)
    if existing is not None:
        return _duplicate(existing)
    try:
        with db.atomic():
            return _store(raw, bounce, key, source)
    except IntegrityError:
        # the same message taken in at the same moment by another process
        existing = BounceMessage.get_or_none(BounceMessage.key == key)
        if existing is None:
            raise
        return _duplicate(existing)
    except UNAVAILABLE:
        raise
    except Exception as exc:  # a bug must not lose the bounce: keep it for review
        log.exception("bounce intake failed; the message is kept for review")
        bounce = Bounce("unknown", token=bounce.token, reason=f"intake error: {type(exc).__name__}")
        with db.atomic():
            return _store(raw, bounce, key, source, match=False)


def _duplicate(existing: BounceMessage) -> IntakeResult:
    recipient = existing.recipient if existing.recipient_id else None
    address = recipient.address if recipient else existing.address
    return IntakeResult("duplicate", existing.id, existing.recipient_id, address, existing.status)


def _store(raw: bytes, bounce: Bounce, key: str, source: str, match: bool = True) -> IntakeResult:
    recipient = _match(bounce) if match else None
    outcome, reason = _outcome(bounce, recipient)
    message = BounceMessage.create(
        key=key,
        source=source[:8],
        outcome=outcome,
        reason=reason[:200],
        token=bounce.token[:64],
        recipient=recipient.id if recipient else None,
        address=bounce.recipient[:254],
        status=bounce.status[:16],
        smtp_code=bounce.smtp_code,
        diagnostic=bounce.diagnostic[:2000],
        subject=bounce.subject[:300],
        sender=bounce.sender[:254],
        size=len(raw),
        raw=_compress(raw) if outcome in REVIEW else None,
    )
    result = IntakeResult(
        outcome, message.id, recipient.id if recipient else None, bounce.recipient, bounce.status
    )
    result.reason = reason
    if outcome in ("hard", "soft"):
        log.info("bounce %s %s for recipient %s", outcome, bounce.status, recipient.id)
        result.address = recipient.address
        result.became_hard = _apply(recipient, bounce)
    elif outcome in REVIEW:
        log.warning("bounce message kept for review (%s): %s", outcome, reason)
    return result


def _apply(recipient: MailingRecipient, bounce: Bounce) -> bool:
    """Set the recipient row's bounce and recount its address; True if the address became
    hard-bounced now."""
    now = utcnow()
    if recipient.bounce_kind != "hard" or bounce.kind == "hard":
        fields = {
            MailingRecipient.bounce_kind: bounce.kind,
            MailingRecipient.bounce_code: (
                bounce.status or (str(bounce.smtp_code) if bounce.smtp_code else "")
            )[:16],
            MailingRecipient.bounce_reason: bounce.diagnostic[:500],
            MailingRecipient.bounced_at: now,
            MailingRecipient.updated_at: now,
        }
        if recipient.state != "unsubscribed":
            fields[MailingRecipient.state] = f"bounced_{bounce.kind}"
        MailingRecipient.update(fields).where(MailingRecipient.id == recipient.id).execute()
    return _recount(recipient, bounce, now)


def soft_streak(address: str) -> int:
    """How many of the address's latest delivered messages bounced soft one after the
    other, newest first. A message that has not bounced within SETTLE of being sent counts
    as received and ends the streak; a younger one may still bounce and is passed over."""
    settled = utcnow() - SETTLE
    rows = (
        MailingRecipient.select(MailingRecipient.state, MailingRecipient.sent_at)
        .where(
            (MailingRecipient.address == address)
            & MailingRecipient.sent_at.is_null(False)
            & MailingRecipient.state.not_in(NOT_DELIVERED)
        )
        .order_by(MailingRecipient.sent_at.desc(), MailingRecipient.id.desc())
        .limit(STREAK_WINDOW)
        .tuples()
    )
    streak = 0
    for state, sent_at in rows:
        if state == "bounced_soft":
            streak += 1
        elif state in ("sent", "uncertain") and sent_at > settled:
            continue
        else:
            break
    return streak


def _recount(recipient: MailingRecipient, bounce: Bounce, now) -> bool:
    address = recipient.address.lower()
    state = AddressBounce.get_or_none(AddressBounce.address == address)
    if state is None:
        state = AddressBounce(address=address)
    state.soft_streak = soft_streak(address)
    state.last_kind = bounce.kind
    state.last_status = bounce.status[:16]
    state.last_reason = bounce.diagnostic[:500]
    state.last_bounced_at = now
    state.last_recipient = recipient.id
    state.updated_at = now
    became_hard = state.hard_at is None and (
        bounce.kind == "hard" or state.soft_streak >= SOFT_LIMIT
    )
    if became_hard:
        state.hard_at = now
    state.save()
    if became_hard:
        _hard_bounced(recipient, bounce, state)
    return became_hard


def _hard_bounced(recipient: MailingRecipient, bounce: Bounce, state: AddressBounce) -> None:
    """An address stopped receiving mailings: say so on the person's history, and put it on
    the blacklist if the organisation wants that."""
    from app.audit.services import record
    from app.blacklist import services as blacklist
    from app.settings.services import get

    details = {
        "address": state.address,
        "mailing_id": recipient.mailing_id,
        "kind": bounce.kind,
        "status": bounce.status,
        "soft_streak": state.soft_streak,
    }
    person = Person.get_or_none(Person.id == recipient.person_id) if recipient.person_id else None
    if person is not None:
        record("person.hard_bounce", person, details=details)
    else:
        record(
            "address_bounce.hard",
            target_type="address_bounce",
            target_id=state.id,
            target_label=state.address,
            details=details,
        )
    if get("blacklist_hard_bounces"):
        try:
            blacklist.add(None, state.address, "bounce", note=(bounce.status or "")[:200])
        except blacklist.BlacklistError:
            log.warning("hard-bounced address %r not blacklisted: not an address", state.address)


# --- the "undeliverable addresses" screen -------------------------------------------------


def undeliverable(user):
    """The hard-bounced addresses that are still a visible person's primary address, with
    the person's newest bounced delivery to it (its mailing, code and reason), newest first.
    Only clients the user has a right on; erased persons never."""
    latest = (
        MailingRecipient.select(fn.MAX(MailingRecipient.id))
        .join(AddressBounce, on=(AddressBounce.address == MailingRecipient.address))
        .switch(MailingRecipient)
        .join(Mailing)
        .where(
            AddressBounce.hard_at.is_null(False)
            & MailingRecipient.person.is_null(False)
            & MailingRecipient.bounced_at.is_null(False)
            & in_clients(Mailing.client, user, READ)
        )
        .group_by(MailingRecipient.person, MailingRecipient.address)
    )
    return (
        MailingRecipient.select(MailingRecipient, Mailing, Person, AddressBounce)
        .join(Mailing)
        .switch(MailingRecipient)
        .join(Person)
        .switch(MailingRecipient)
        .join(AddressBounce, on=(AddressBounce.address == MailingRecipient.address))
        .switch(MailingRecipient)
        .join(
            PersonEmail,
            JOIN.INNER,
            on=(
                (PersonEmail.person == MailingRecipient.person)
                & (PersonEmail.address == MailingRecipient.address)
                & (PersonEmail.is_primary == True)  # noqa: E712
            ),
        )
        .where(
            MailingRecipient.id.in_(latest)
            & Person.erased_at.is_null()
            & in_clients(Person.client, user, READ)
        )
        .order_by(MailingRecipient.bounced_at.desc(), MailingRecipient.id.desc())
    )


def bounced_delivery(user, recipient_id: int) -> MailingRecipient:
    """A bounced recipient row of a mailing the user sees (404 otherwise)."""
    from flask import abort

    row = (
        MailingRecipient.select(MailingRecipient, Mailing)
        .join(Mailing)
        .where(
            (MailingRecipient.id == recipient_id)
            & MailingRecipient.bounced_at.is_null(False)
            & MailingRecipient.person.is_null(False)
            & in_clients(Mailing.client, user, READ)
        )
        .first()
    )
    return row or abort(404)


def correct_address(user, recipient_id: int, address: str) -> tuple[MailingRecipient, bool]:
    """Correct the bounced address of a delivery's person: the new address becomes the
    person's primary one (through the contacts service, audited there; the old one stays as
    a secondary address). Giving the same address again confirms that it works now: its
    hard-bounce state (and a blacklist entry made for the bounce) is removed. Returns the
    row and whether the address changed. ContactError for an invalid address; 404/403 by
    the person's rights."""
    from app.contacts.services import ContactError, update_person
    from app.emails import InvalidEmail, normalise_email

    row = bounced_delivery(user, recipient_id)
    person = Person.get_writable_or_403(user, row.person_id)
    if not (address or "").strip():
        raise ContactError({"email": _("Please give the correct e-mail address.")})
    try:
        new = normalise_email(address)
    except InvalidEmail:
        raise ContactError({"email": _("This is not a valid e-mail address.")}) from None
    if new == row.address:
        clear_address(row.address, person)
        return row, False
    update_person(user, person, email=new)
    return row, True


def clear_address(address: str, person=None) -> bool:
    """Take an address off the hard-bounced ones (it works again); audited."""
    from app.audit.services import record
    from app.blacklist.models import BlacklistEntry

    with db.atomic():
        state = AddressBounce.get_or_none(AddressBounce.address == address)
        if state is None or state.hard_at is None:
            return False
        AddressBounce.update(hard_at=None, soft_streak=0, updated_at=utcnow()).where(
            AddressBounce.id == state.id
        ).execute()
        BlacklistEntry.delete().where(
            (BlacklistEntry.value == address) & (BlacklistEntry.reason == "bounce")
        ).execute()
        details = {"address": address}
        if person is not None:
            record("person.bounce_cleared", person, details=details)
        else:
            record(
                "address_bounce.clear",
                target_type="address_bounce",
                target_id=state.id,
                target_label=address,
                details=details,
            )
    return True


def forget_addresses(addresses) -> int:
    """Delete the bounce state of these addresses (an erased person's), except of those
    that another person still has."""
    values = {a.lower() for a in addresses if a}
    values -= (
        {
            a
            for (a,) in PersonEmail.select(PersonEmail.address)
            .where(PersonEmail.address.in_(list(values)))
            .tuples()
        }
        if values
        else set()
    )
    if not values:
        return 0
    return AddressBounce.delete().where(AddressBounce.address.in_(sorted(values))).execute()


# --- review by administrators -------------------------------------------------------------


def kept_messages():
    return (
        BounceMessage.select(
            BounceMessage.id,
            BounceMessage.received_at,
            BounceMessage.source,
            BounceMessage.outcome,
            BounceMessage.reason,
            BounceMessage.token,
            BounceMessage.address,
            BounceMessage.subject,
            BounceMessage.sender,
            BounceMessage.size,
        )
        .where(BounceMessage.outcome.in_(REVIEW))
        .order_by(BounceMessage.received_at.desc(), BounceMessage.id.desc())
    )


def kept_message(message_id: int) -> BounceMessage:
    from flask import abort

    message = BounceMessage.get_or_none(
        (BounceMessage.id == message_id) & BounceMessage.outcome.in_(REVIEW)
    )
    return message or abort(404)


def delete_kept(message_id: int) -> None:
    """Delete a message kept for review (it was looked at); audited."""
    from app.audit.services import record

    message = kept_message(message_id)
    with db.atomic():
        record(
            "bounce_message.delete",
            target_type="bounce_message",
            target_id=message.id,
            target_label=message.subject[:100],
            details={"outcome": message.outcome, "reason": message.reason},
        )
        message.delete_instance()


def purge(days: int = 90) -> int:
    """Forget the bounces that were applied or ignored more than `days` ago (the key that
    makes a repeated delivery a no-op is not needed that long); kept messages stay until an
    administrator deletes them."""
    limit = utcnow() - timedelta(days=days)
    return (
        BounceMessage.delete()
        .where(BounceMessage.outcome.not_in(REVIEW) & (BounceMessage.received_at < limit))
        .execute()
    )
