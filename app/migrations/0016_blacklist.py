"""The organisation's blacklist of addresses and domains (SPEC M8)."""

from peewee import CharField, DateTimeField, ForeignKeyField, Model


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class BlacklistEntry(Model):
        kind = CharField(max_length=8)
        value = CharField(max_length=254, unique=True)
        reason = CharField(max_length=12, default="manual")
        note = CharField(max_length=200, default="")
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "blacklist_entry"

    db.create_tables([BlacklistEntry])


def down(migrator, db):
    db.execute_sql('DROP TABLE "blacklist_entry"')
