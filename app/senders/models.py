"""Sender accounts, their users, sender domains and the domains' DKIM keys (SPEC M1).

Sender accounts belong to the organisation, not to a client (SPEC A2: the administrator
manages them; decision D39): one domain's DKIM key and DNS state serve every mailing.
"""

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, TextField

from app.clock import utcnow
from app.models import BaseModel
from app.users.models import User

# States of a published DNS record, as the last check found them.
OK, MISSING, DIFFERENT, UNCHECKED, NOT_CHECKED = (
    "ok",
    "missing",
    "different",
    "unchecked",  # the check could not be done: no network, timeout, SERVFAIL
    "never",  # no check has run yet
)


class SenderDomain(BaseModel):
    """The domain of one or more sender addresses, with the last DNS check's findings."""

    name = CharField(max_length=253, unique=True)
    created_at = DateTimeField(default=utcnow)
    checked_at = DateTimeField(null=True)
    dkim_state = CharField(max_length=10, default=NOT_CHECKED)
    dkim_found = TextField(default="")
    spf_state = CharField(max_length=10, default=NOT_CHECKED)
    spf_found = TextField(default="")
    dmarc_state = CharField(max_length=10, default=NOT_CHECKED)
    dmarc_found = TextField(default="")
    check_error = CharField(max_length=200, default="")

    def __str__(self):
        return self.name


class DkimKey(BaseModel):
    """An RSA key pair of a sender domain under one selector. The newest key without
    `retired_at` signs; a retired key stays until the operator removes it, so that its DNS
    record can remain published while messages signed with it are still being verified."""

    domain = ForeignKeyField(SenderDomain, backref="keys", on_delete="CASCADE")
    selector = CharField(max_length=63)
    private_key = TextField()  # PEM, encrypted with app.crypto (purpose "dkim-key")
    public_key = TextField()  # base64 of the DER SubjectPublicKeyInfo, as in the p= tag
    created_at = DateTimeField(default=utcnow)
    retired_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("domain", "selector"), True),)


class SenderAccount(BaseModel):
    """A From address users may send mailings from."""

    display_name = CharField(max_length=200)
    address = CharField(max_length=254, unique=True)
    reply_to = CharField(max_length=254, default="")
    domain = ForeignKeyField(SenderDomain, backref="senders", on_delete="RESTRICT")
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    def __str__(self):
        return f"{self.display_name} <{self.address}>"


class SenderUser(BaseModel):
    """A user may send from a sender account."""

    sender = ForeignKeyField(SenderAccount, backref="user_links", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="+", on_delete="CASCADE")

    class Meta:
        indexes = ((("sender", "user"), True),)
