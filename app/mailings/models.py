from flask_babel import lazy_gettext as _l
from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from app.clients.scoping import ClientScoped
from app.clock import utcnow
from app.contacts.models import Person
from app.lists.models import DistributionList
from app.models import BaseModel
from app.senders.models import SenderAccount
from app.users.models import User

STATES = {
    "draft": _l("draft"),
    "scheduled": _l("scheduled"),
    "sending": _l("sending"),
    "sent": _l("sent"),
    "cancelled": _l("cancelled"),
}
# A recipient's delivery state (SPEC M5, M6). queued → sending → sent, around the SMTP
# transaction; deferred waits for its next attempt; uncertain: the worker died during the
# transaction, so the relay may or may not have taken the message (never sent again).
RECIPIENT_STATES = {
    "queued": _l("queued"),
    "sending": _l("sending"),
    "sent": _l("sent"),
    "deferred": _l("deferred"),
    "failed": _l("refused by the relay"),
    "bounced_hard": _l("bounced (hard)"),
    "bounced_soft": _l("bounced (soft)"),
    "unsubscribed": _l("unsubscribed"),
    "uncertain": _l("uncertain"),
    "cancelled": _l("cancelled"),
}
# States from which the worker still sends.
PENDING = ("queued", "deferred")
PRIORITIES = {"standard": _l("standard"), "premium": _l("premium")}


class Mailing(ClientScoped):
    """A press mailing of a client (SPEC M2): subject, HTML body (sanitised when saved),
    the plain-text part (generated from the HTML unless the user edited it), attachments,
    and its recipients' sources."""

    subject = CharField(max_length=300, default="")
    html = TextField(default="")
    text = TextField(default="")
    text_edited = BooleanField(default=False)
    sender = ForeignKeyField(SenderAccount, null=True, backref="+", on_delete="RESTRICT")
    priority = CharField(max_length=8, default="standard")  # a key of PRIORITIES
    state = CharField(max_length=10, default="draft", index=True)  # a key of STATES
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    # Dispatch (SPEC M4): set when a user with the dispatch right confirmed the pre-send
    # check. `dispatch_token` names the one live chain of batch tasks (a task carrying an
    # older token stops); `heartbeat_at` is the last batch's time, so that a mailing whose
    # task was lost is found and resumed.
    send_at = DateTimeField(null=True)
    sent_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    started_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)
    cancelled_at = DateTimeField(null=True)
    dispatch_token = CharField(max_length=32, default="")
    heartbeat_at = DateTimeField(null=True)
    recipients_total = IntegerField(default=0)
    bytes_total = BigIntegerField(default=0)  # estimated when confirmed: size × recipients
    check_summary = TextField(default="{}")  # the confirmed pre-send check, as JSON
    # Whether opens and clicks were tracked (the setting `tracking` when the mailing was
    # sent; set by the dispatch). The report shows open and click rates only for such
    # mailings, or while the setting is on (docs/decisions.md, reports).
    tracking = BooleanField(default=False)

    def __str__(self):
        return self.subject or "–"


class MailingRecipient(BaseModel):
    """One recipient of a sent mailing and what became of the message (SPEC M4–M7).

    `token` is the recipient's VERP token: the return path is bounces+<token>@<bounce
    domain>, and the unsubscribe link is signed over it, so a bounce or an unsubscription
    maps to exactly this row. The address is kept as it was when the mailing was sent."""

    mailing = ForeignKeyField(Mailing, backref="deliveries", on_delete="CASCADE")
    person = ForeignKeyField(Person, null=True, backref="+", on_delete="SET NULL")
    address = CharField(max_length=254)
    token = CharField(max_length=32, unique=True)
    state = CharField(max_length=16, default="queued")  # a key of RECIPIENT_STATES
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(null=True)
    smtp_code = IntegerField(null=True)
    smtp_response = CharField(max_length=500, default="")
    message_id = CharField(max_length=255, default="")
    size = IntegerField(default=0)  # bytes of the signed message
    queued_at = DateTimeField(default=utcnow)
    sent_at = DateTimeField(null=True, index=True)
    updated_at = DateTimeField(default=utcnow)
    bounce_kind = CharField(max_length=4, default="")  # "hard" or "soft"
    bounce_code = CharField(max_length=16, default="")  # enhanced status code, e.g. 5.1.1
    bounce_reason = CharField(max_length=500, default="")
    bounced_at = DateTimeField(null=True)
    unsubscribed_at = DateTimeField(null=True)
    # Opt-in tracking (app/mailings/tracking.py): the first open and click, and how many.
    opened_at = DateTimeField(null=True)
    opens = IntegerField(default=0)
    clicked_at = DateTimeField(null=True)
    clicks = IntegerField(default=0)

    class Meta:
        indexes = ((("mailing", "state"), False),)


class MailingAttachment(BaseModel):
    """A file sent with a mailing; the bytes are in the file store (app.files)."""

    mailing = ForeignKeyField(Mailing, backref="attachments", on_delete="CASCADE")
    file_sha256 = CharField(max_length=64, index=True)
    file_name = CharField(max_length=254)
    file_size = IntegerField()
    file_type = CharField(max_length=127)
    created_at = DateTimeField(default=utcnow)


class MailingSource(BaseModel):
    """Where a mailing's recipients come from: a distribution list, or one person."""

    mailing = ForeignKeyField(Mailing, backref="sources", on_delete="CASCADE")
    distribution_list = ForeignKeyField(
        DistributionList, null=True, backref="+", on_delete="CASCADE"
    )
    person = ForeignKeyField(Person, null=True, backref="+", on_delete="CASCADE")

    class Meta:
        indexes = (
            (("mailing", "distribution_list"), True),
            (("mailing", "person"), True),
        )


class DispatchLease(BaseModel):
    """Who sends through the relay now (one batch at a time, so the relay's rate limits
    hold across worker threads): the holder's id until `expires_at`. A worker that dies
    leaves a lease that simply expires; the consumer clears them when it starts."""

    name = CharField(max_length=32, primary_key=True)
    holder = CharField(max_length=32, default="")
    expires_at = DateTimeField(null=True)
