from flask_babel import lazy_gettext as _l
from peewee import CharField, DateTimeField, ForeignKeyField, TextField

from app.clients.scoping import ClientScoped
from app.clock import utcnow
from app.contacts.models import Person
from app.models import BaseModel
from app.users.models import User

EVENT_KINDS = {
    "press_conference": _l("Press conference"),
    "trip": _l("Press trip"),
    "interviews": _l("Interview round"),
    "background": _l("Background talk"),
    "other": _l("Other event"),
}
RSVP_STATES = {
    "invited": _l("invited"),
    "accepted": _l("accepted"),
    "declined": _l("declined"),
    "attended": _l("attended"),
}


class Event(ClientScoped):
    """An event of a client (SPEC L2) with its invited persons."""

    title = CharField(max_length=200)
    kind = CharField(max_length=20, default="press_conference")  # a key of EVENT_KINDS
    starts_at = DateTimeField(index=True)  # UTC
    ends_at = DateTimeField(null=True)
    place = CharField(max_length=200, default="")
    description = TextField(default="")
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    def __str__(self):
        return self.title


class Invitation(BaseModel):
    """A person invited to an event, with the answer (RSVP) and whether they came."""

    event = ForeignKeyField(Event, backref="invitations", on_delete="CASCADE")
    person = ForeignKeyField(Person, backref="invitations", on_delete="CASCADE")
    state = CharField(max_length=10, default="invited")  # a key of RSVP_STATES
    note = CharField(max_length=200, default="")
    invited_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("event", "person"), True),)
