from flask_babel import lazy_gettext as _l
from peewee import CharField, DateTimeField, TextField

from app.clock import utcnow
from app.models import BaseModel

NOTICE_LEVELS = {"info": _l("Information"), "warning": _l("Warning"), "outage": _l("Outage")}


class Notice(BaseModel):
    """A notice the operator posts for every user (SPEC A8, `depesche notice`, and
    `depesche-ctl notice` on the appliance): shown on the status page and as a banner while
    it is current. Written by the operator in the language(s) of the organisation."""

    text = TextField()
    level = CharField(max_length=8, default="info")  # a key of NOTICE_LEVELS
    starts_at = DateTimeField(default=utcnow, index=True)
    ends_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
