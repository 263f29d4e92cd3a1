from flask_babel import lazy_gettext as _l
from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from app.clients.scoping import ClientScoped
from app.clock import utcnow
from app.lists.models import DistributionList
from app.models import BaseModel
from app.users.models import User

STATES = {
    "new": _l("Being prepared"),
    "queued": _l("Waiting"),
    "running": _l("Running"),
    "done": _l("Done"),
    "failed": _l("Failed"),
}
ON_DUPLICATE = {
    "skip": _l("Skip the row"),
    "update": _l("Update the existing contact"),
    "create": _l("Create another contact"),
}


class ImportJob(ClientScoped):
    """One import of a file into a client: the stored file, how its columns map to a
    person's fields, what happens with duplicates, and the progress of the task."""

    user = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    file_sha256 = CharField(max_length=64, index=True)  # app.files store
    file_name = CharField(max_length=254)
    file_size = IntegerField(default=0)
    kind = CharField(max_length=8)  # xlsx, csv
    sheet = CharField(max_length=100, default="")
    encoding = CharField(max_length=16, default="")  # csv
    delimiter = CharField(max_length=1, default="")  # csv
    header_row = IntegerField(default=1)  # 1-based row number of the headers
    columns = TextField(default="[]")  # JSON: the header of each column
    mapping = TextField(default="{}")  # JSON: {column index: field}
    on_duplicate = CharField(max_length=8, default="skip")  # a key of ON_DUPLICATE
    locale = CharField(max_length=8, default="")  # the language of the reasons in the report
    target_list = ForeignKeyField(DistributionList, null=True, backref="+", on_delete="SET NULL")
    state = CharField(max_length=8, default="new")  # a key of STATES
    total = IntegerField(default=0)  # data rows of the sheet (checked before the run)
    processed = IntegerField(default=0)
    created = IntegerField(default=0)
    updated = IntegerField(default=0)
    skipped = IntegerField(default=0)
    rejected = IntegerField(default=0)
    error = TextField(default="")
    created_at = DateTimeField(default=utcnow)
    started_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)
    # The uploaded file and the report's rows (personal data) are deleted KEEP_DAYS after
    # the import (app.transfer.services.purge); the counts stay.
    purged_at = DateTimeField(null=True)

    def __str__(self):
        return self.file_name


class ImportIssue(BaseModel):
    """A row of an import that was rejected (with the reason) or skipped (a duplicate)."""

    # index=False: (job, row) below leads with the job (migration 0025)
    job = ForeignKeyField(ImportJob, backref="issues", on_delete="CASCADE", index=False)
    row = IntegerField()  # the row number as the spreadsheet shows it
    kind = CharField(max_length=8)  # rejected, skipped
    reason = TextField()
    summary = CharField(max_length=254, default="")  # name and address of the row

    class Meta:
        indexes = ((("job", "row"), False),)
