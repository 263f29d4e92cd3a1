"""Operator notices for the users' status page (SPEC A8)."""

from peewee import CharField, DateTimeField, Model, TextField


def up(migrator, db):
    class Notice(Model):
        text = TextField()
        level = CharField(max_length=8, default="info")
        starts_at = DateTimeField(index=True)
        ends_at = DateTimeField(null=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "notice"

    db.create_tables([Notice])


def down(migrator, db):
    db.execute_sql('DROP TABLE "notice"')
