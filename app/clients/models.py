"""Clients (Mandanten, SPEC A3) and each user's right on each client."""

from flask_babel import lazy_gettext as _l
from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    DeferredForeignKey,
    ForeignKeyField,
    TextField,
)

from app.clock import utcnow
from app.models import BaseModel

FULL, READ, HIDDEN = "full", "read", "hidden"
RIGHTS = (FULL, READ, HIDDEN)
RIGHT_LABELS = {FULL: _l("Full access"), READ: _l("Read only"), HIDDEN: _l("Hidden")}
# A user without a ClientRight row on a client has this right there: deny by default.
DEFAULT_RIGHT = HIDDEN


class Client(BaseModel):
    """A business area, partner or affiliated company; every client-owned record belongs to
    exactly one. Clients are deactivated, never deleted: records may belong to them."""

    name = CharField(max_length=200, unique=True)
    description = TextField(default="")
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)

    def __str__(self):
        return self.name


class ClientRight(BaseModel):
    """What one user may do with the records of one client: full access, read only, or
    hidden (the records do not exist for the user). No row means hidden."""

    # Deferred: User refers to Client (its default client), so app.users.models imports
    # this module before it defines User, and peewee binds the key when User is created.
    user = DeferredForeignKey("User", on_delete="CASCADE", backref="client_rights")
    client = ForeignKeyField(Client, on_delete="CASCADE", backref="rights")
    right = CharField(max_length=8)

    class Meta:
        indexes = ((("user", "client"), True),)

    def __str__(self):
        return f"{self.user.email} · {self.client.name}: {self.right}"
