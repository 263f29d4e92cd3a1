from flask_babel import lazy_gettext as _l
from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from app.clients.models import Client
from app.clients.scoping import ClientScoped
from app.clock import utcnow
from app.models import BaseModel
from app.outlets.models import Outlet
from app.users.models import User

SALUTATIONS = {
    "female": _l("Ms"),
    "male": _l("Mr"),
    "diverse": _l("diverse"),
    "": _l("unknown"),
}


class Topic(ClientScoped):
    """A topic or tag (SPEC C3), shared by the persons, outlets and lists of a client."""

    name = CharField(max_length=80)

    class Meta:
        indexes = ((("client", "name"), True),)

    def __str__(self):
        return self.name


class Person(ClientScoped):
    """A journalist or other contact. `search_text` is the canonical text the full-text
    index is built from (app.contacts.search), kept in step by the services."""

    # the client's own index would be the leading column of (client, erased_at) below,
    # which serves every query by client (migration 0025)
    client = ForeignKeyField(Client, backref="+", on_delete="RESTRICT", index=False)
    gender = CharField(max_length=8, default="")  # a key of SALUTATIONS
    title = CharField(max_length=60, default="")  # Dr., Prof. Dr., Mag., …
    first_name = CharField(max_length=100, default="")
    last_name = CharField(max_length=100)  # indexed by (last_name, first_name, id)
    position = CharField(max_length=120, default="")
    department = CharField(max_length=120, default="")
    language = CharField(max_length=8, default="de")
    street = CharField(max_length=200, default="")
    postcode = CharField(max_length=16, default="")
    city = CharField(max_length=120, default="")
    country = CharField(max_length=2, default="DE")
    notes = TextField(default="")
    blocked = BooleanField(default=False, index=True)  # restriction of processing (C9)
    blocked_at = DateTimeField(null=True)
    blocked_reason = CharField(max_length=200, default="")
    erased_at = DateTimeField(null=True)
    origin = CharField(max_length=16, default="manual")
    origin_file = CharField(max_length=254, default="")
    origin_row = IntegerField(null=True)
    search_text = TextField(default="")
    # phonetic key of the last name (Kölner Phonetik, app.contacts.duplicates): persons at
    # one outlet with the same key are duplicate candidates (C7)
    name_key = CharField(max_length=40, default="", index=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    AUDIT_EXCLUDE = ("search_text", "name_key")

    class Meta:
        indexes = (
            # the contacts screen's default order, read from the index (migration 0008)
            (("last_name", "first_name", "id"), False),
            # its count of the visible, not erased persons, from the index alone (0013)
            (("client", "erased_at"), False),
        )

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.title, self.first_name, self.last_name) if p)

    def __str__(self):
        return self.full_name


class PersonEmail(BaseModel):
    person = ForeignKeyField(Person, backref="emails", on_delete="CASCADE")
    address = CharField(max_length=254, index=True)  # normalised (app.emails)
    is_primary = BooleanField(default=False)


class PersonPhone(BaseModel):
    person = ForeignKeyField(Person, backref="phones", on_delete="CASCADE")
    number = CharField(max_length=64)
    kind = CharField(max_length=16, default="office")  # office, mobile, fax, home
    is_primary = BooleanField(default=False)


class PersonOutlet(BaseModel):
    """A person works for an outlet (a freelancer for several)."""

    # index=False: the unique (person, outlet) pair leads with the person (migration 0025)
    person = ForeignKeyField(Person, backref="outlet_links", on_delete="CASCADE", index=False)
    outlet = ForeignKeyField(Outlet, backref="person_links", on_delete="CASCADE")
    position = CharField(max_length=120, default="")
    department = CharField(max_length=120, default="")

    class Meta:
        indexes = ((("person", "outlet"), True),)


class PersonTopic(BaseModel):
    # index=False: the unique (person, topic) pair leads with the person (migration 0025)
    person = ForeignKeyField(Person, backref="topic_links", on_delete="CASCADE", index=False)
    topic = ForeignKeyField(Topic, backref="person_links", on_delete="CASCADE")

    class Meta:
        indexes = ((("person", "topic"), True),)


class OutletTopic(BaseModel):
    outlet = ForeignKeyField(Outlet, backref="topic_links", on_delete="CASCADE")
    topic = ForeignKeyField(Topic, backref="outlet_links", on_delete="CASCADE")

    class Meta:
        indexes = ((("outlet", "topic"), True),)


HISTORY_KINDS = {
    "note": _l("Note"),
    "call": _l("Call"),
    "document": _l("Document"),
    "email": _l("E-mail"),
}
DIRECTIONS = {"": "", "in": _l("incoming"), "out": _l("outgoing")}


class HistoryEntry(BaseModel):
    """One item of a person's contact history (SPEC C5): a note, a call, a document, or
    (later, C8) a filed e-mail. A document's bytes live in the file store (app.files)."""

    person = ForeignKeyField(Person, backref="history", on_delete="CASCADE")
    kind = CharField(max_length=16)  # a key of HISTORY_KINDS
    occurred_at = DateTimeField(default=utcnow)
    direction = CharField(max_length=3, default="")  # calls and e-mails: in, out
    subject = CharField(max_length=200, default="")
    body = TextField(default="")
    file_sha256 = CharField(max_length=64, default="", index=True)
    file_name = CharField(max_length=254, default="")
    file_size = IntegerField(default=0)
    file_type = CharField(max_length=127, default="")
    author = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("person", "occurred_at"), False),)


class NotDuplicate(BaseModel):
    """A pair of persons a user said are different people: the duplicates screen no longer
    offers it (C7). `first` < `second`."""

    first = ForeignKeyField(Person, backref="+", on_delete="CASCADE")
    second = ForeignKeyField(Person, backref="+", on_delete="CASCADE")
    decided_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    decided_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("first", "second"), True),)
