from flask_babel import lazy_gettext as _l
from peewee import CharField, DateTimeField, ForeignKeyField, TextField

from app.clients.scoping import ClientScoped
from app.clock import utcnow
from app.contacts.models import Person
from app.models import BaseModel
from app.users.models import User

LIST_KINDS = {"static": _l("Fixed members"), "dynamic": _l("Saved search")}


class DistributionList(ClientScoped):
    """A distribution list of a client (SPEC L1): fixed members (static), or a saved search
    of the contacts screen evaluated whenever the list is used (dynamic)."""

    name = CharField(max_length=120)
    description = TextField(default="")
    kind = CharField(max_length=8, default="static")  # a key of LIST_KINDS
    search = CharField(max_length=1000, default="")  # the contacts screen's query string
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("client", "name"), True),)

    def __str__(self):
        return self.name


class ListMember(BaseModel):
    """A person on a static list."""

    distribution_list = ForeignKeyField(DistributionList, backref="members", on_delete="CASCADE")
    person = ForeignKeyField(Person, backref="list_links", on_delete="CASCADE")
    added_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    added_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("distribution_list", "person"), True),)
