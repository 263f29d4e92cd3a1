"""Import jobs and the rows they rejected or skipped (SPEC L3)."""

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField


def up(migrator, db):
    class Client(Model):
        class Meta:
            database = db
            table_name = "client"

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class DistributionList(Model):
        class Meta:
            database = db
            table_name = "distribution_list"

    class Base(Model):
        class Meta:
            database = db

    class ImportJob(Base):
        client = ForeignKeyField(Client, backref="+", on_delete="RESTRICT")
        user = ForeignKeyField(User, null=True, on_delete="SET NULL")
        file_sha256 = CharField(max_length=64, index=True)
        file_name = CharField(max_length=254)
        file_size = IntegerField(default=0)
        kind = CharField(max_length=8)
        sheet = CharField(max_length=100, default="")
        encoding = CharField(max_length=16, default="")
        delimiter = CharField(max_length=1, default="")
        header_row = IntegerField(default=1)
        columns = TextField(default="[]")
        mapping = TextField(default="{}")
        on_duplicate = CharField(max_length=8, default="skip")
        locale = CharField(max_length=8, default="")
        target_list = ForeignKeyField(DistributionList, null=True, on_delete="SET NULL")
        state = CharField(max_length=8, default="new")
        total = IntegerField(default=0)
        processed = IntegerField(default=0)
        created = IntegerField(default=0)
        updated = IntegerField(default=0)
        skipped = IntegerField(default=0)
        rejected = IntegerField(default=0)
        error = TextField(default="")
        created_at = DateTimeField()
        started_at = DateTimeField(null=True)
        finished_at = DateTimeField(null=True)

        class Meta:
            table_name = "import_job"

    class ImportIssue(Base):
        job = ForeignKeyField(ImportJob, on_delete="CASCADE")
        row = IntegerField()
        kind = CharField(max_length=8)
        reason = TextField()
        summary = CharField(max_length=254, default="")

        class Meta:
            table_name = "import_issue"
            indexes = ((("job", "row"), False),)

    db.create_tables([ImportJob, ImportIssue])


def down(migrator, db):
    db.execute_sql('DROP TABLE "import_issue"')
    db.execute_sql('DROP TABLE "import_job"')
