from flask_babel import lazy_gettext as _l
from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

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

    def __str__(self):
        return self.subject or "–"


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
