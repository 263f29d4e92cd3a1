"""The record of a full data export run by the worker (SPEC L5)."""

from flask_babel import lazy_gettext as _l
from peewee import (
    BigIntegerField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from app.clock import utcnow
from app.models import BaseModel
from app.users.models import User

JOB_STATES = {
    "queued": _l("waiting for the worker"),
    "running": _l("running"),
    "done": _l("ready"),
    "failed": _l("failed"),
    "expired": _l("deleted"),
}


class ExportJob(BaseModel):
    """One full export: who asked, how far it is, and the ZIP it wrote under
    `DATA_DIR/exports/` (deleted after seven days or when a newer export is ready)."""

    kind = CharField(max_length=16, default="full")
    user = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    state = CharField(max_length=8, default="queued")  # a key of JOB_STATES
    progress = IntegerField(default=0)  # percent
    step = CharField(max_length=120, default="")  # the table or files being written
    file_name = CharField(max_length=120, default="")
    file_sha256 = CharField(max_length=64, default="")
    file_size = BigIntegerField(default=0)
    created_at = DateTimeField(default=utcnow)
    started_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)
    error = TextField(default="")

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")
