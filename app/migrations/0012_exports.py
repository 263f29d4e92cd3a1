"""The full data export's job record (SPEC L5)."""

from peewee import (
    BigIntegerField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class ExportJob(Model):
        kind = CharField(max_length=16, default="full")
        user = ForeignKeyField(User, null=True, on_delete="SET NULL")
        state = CharField(max_length=8, default="queued")
        progress = IntegerField(default=0)
        step = CharField(max_length=120, default="")
        file_name = CharField(max_length=120, default="")
        file_sha256 = CharField(max_length=64, default="")
        file_size = BigIntegerField(default=0)
        created_at = DateTimeField()
        started_at = DateTimeField(null=True)
        finished_at = DateTimeField(null=True)
        error = TextField(default="")

        class Meta:
            database = db
            table_name = "export_job"

    db.create_tables([ExportJob])


def down(migrator, db):
    db.execute_sql('DROP TABLE "export_job"')
