from flask_babel import lazy_gettext as _l
from peewee import (
    BlobField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from app.clock import utcnow
from app.mailings.models import MailingRecipient
from app.models import BaseModel

# What became of a message that arrived at a return path.
OUTCOMES = {
    "hard": _l("hard bounce"),
    "soft": _l("soft bounce"),
    "ignored": _l("no bounce (automatic reply, delay warning)"),
    "unmatched": _l("bounce of no known recipient"),
    "unreadable": _l("not readable as a bounce"),
}
# Outcomes whose message is kept (compressed) for an administrator to look at.
REVIEW = ("unmatched", "unreadable")


class BounceMessage(BaseModel):
    """One message that arrived at a VERP return path (pipe or mailbox), once: `key` (its
    Message-ID, else a digest of its bytes) makes a second delivery of it a no-op. Bounces
    that could be applied keep what was read from them; the others also keep the message
    itself (`raw`, zlib-compressed) until an administrator deletes it."""

    key = CharField(max_length=220, unique=True)
    received_at = DateTimeField(default=utcnow, index=True)
    source = CharField(max_length=8, default="pipe")  # "pipe" or "imap"
    outcome = CharField(max_length=10, index=True)  # a key of OUTCOMES
    reason = CharField(max_length=200, default="")
    token = CharField(max_length=64, default="")
    recipient = ForeignKeyField(MailingRecipient, null=True, backref="+", on_delete="SET NULL")
    address = CharField(max_length=254, default="")  # the failed address the bounce names
    status = CharField(max_length=16, default="")  # enhanced status code, e.g. 5.1.1
    smtp_code = IntegerField(null=True)
    diagnostic = TextField(default="")
    subject = CharField(max_length=300, default="")
    sender = CharField(max_length=254, default="")
    size = IntegerField(default=0)  # bytes of the message as it arrived
    raw = BlobField(null=True)  # compressed message, kept for review only


class AddressBounce(BaseModel):
    """The bounce state of one address, whichever person or client has it (SPEC M3, M7).

    `soft_streak` counts the address's last deliveries that bounced soft one after the
    other (recounted from the recipient rows at every bounce); a hard bounce, or a streak
    of SOFT_LIMIT, sets `hard_at`, and from then on no mailing goes to the address until
    someone corrects or confirms it on the "undeliverable addresses" screen."""

    address = CharField(max_length=254, unique=True)
    soft_streak = IntegerField(default=0)
    hard_at = DateTimeField(null=True, index=True)
    last_kind = CharField(max_length=4, default="")
    last_status = CharField(max_length=16, default="")
    last_reason = CharField(max_length=500, default="")
    last_bounced_at = DateTimeField(null=True)
    last_recipient = ForeignKeyField(MailingRecipient, null=True, backref="+", on_delete="SET NULL")
    updated_at = DateTimeField(default=utcnow)
