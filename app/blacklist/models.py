from flask_babel import lazy_gettext as _l
from peewee import CharField, DateTimeField, ForeignKeyField

from app.clock import utcnow
from app.models import BaseModel
from app.users.models import User

REASONS = {
    "manual": _l("entered by hand"),
    "unsubscribe": _l("unsubscribed"),
    "bounce": _l("hard bounce"),
    "import": _l("imported"),
}


class BlacklistEntry(BaseModel):
    """An address (`kind` "address") or a whole domain ("domain") that no mailing of the
    organisation goes to, whichever client (SPEC M8). `value` is normalised: a lower-case
    address, or a lower-case domain without "@"."""

    kind = CharField(max_length=8)
    value = CharField(max_length=254, unique=True)
    reason = CharField(max_length=12, default="manual")  # a key of REASONS
    note = CharField(max_length=200, default="")
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
