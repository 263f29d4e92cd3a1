"""Contact history (C5), duplicate detection (C7) and redactable audit entries (C9).

- `history_entry`: notes, calls, documents and filed e-mails of a person.
- `person.name_key`: the phonetic key of the last name, filled here for existing persons
  as app.contacts.duplicates.name_key computes it (Kölner Phonetik per name part).
- `not_duplicate`: pairs of persons a user declared different.
- `audit_entry.version`, `payload_sha256`, `redacted_at`: entries from now on chain a digest
  of their payload, so that erasing a person can blank it (app.audit.services).
"""

from peewee import (
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)


def up(migrator, db):
    import cologne_phonetics

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Person(Model):
        last_name = CharField()
        name_key = CharField()

        class Meta:
            database = db
            table_name = "person"

    class Base(Model):
        class Meta:
            database = db

    class HistoryEntry(Base):
        person = ForeignKeyField(Person, on_delete="CASCADE")
        kind = CharField(max_length=16)
        occurred_at = DateTimeField()
        direction = CharField(max_length=3, default="")
        subject = CharField(max_length=200, default="")
        body = TextField(default="")
        file_sha256 = CharField(max_length=64, default="", index=True)
        file_name = CharField(max_length=254, default="")
        file_size = IntegerField(default=0)
        file_type = CharField(max_length=127, default="")
        author = ForeignKeyField(User, null=True, on_delete="SET NULL")
        created_at = DateTimeField()

        class Meta:
            table_name = "history_entry"
            indexes = ((("person", "occurred_at"), False),)

    class NotDuplicate(Base):
        first = ForeignKeyField(Person, on_delete="CASCADE")
        second = ForeignKeyField(Person, on_delete="CASCADE")
        decided_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        decided_at = DateTimeField()

        class Meta:
            table_name = "not_duplicate"
            indexes = ((("first", "second"), True),)

    # Plain ALTER TABLE … ADD COLUMN … DEFAULT on both engines: peewee's SQLite migrator
    # would rebuild the table for a NOT NULL column, which drops the full-text triggers
    # of migration 0006 with the old table.
    for statement in (
        "ALTER TABLE person ADD COLUMN name_key VARCHAR(40) NOT NULL DEFAULT ''",
        "ALTER TABLE audit_entry ADD COLUMN version INTEGER NOT NULL DEFAULT 1",
        "ALTER TABLE audit_entry ADD COLUMN payload_sha256 VARCHAR(64) NOT NULL DEFAULT ''",
        "ALTER TABLE audit_entry ADD COLUMN redacted_at TIMESTAMP",
    ):
        db.execute_sql(statement)
    migrator.migrate(migrator.add_index("person", ("name_key",), False))
    db.create_tables([HistoryEntry, NotDuplicate])
    with db.atomic():
        names = Person.select(Person.last_name).distinct().tuples()
        for (last_name,) in list(names):
            key = "-".join(code for _, code in cologne_phonetics.encode(last_name) if code)[:40]
            if key:
                Person.update(name_key=key).where(Person.last_name == last_name).execute()


def down(migrator, db):
    db.execute_sql('DROP TABLE "not_duplicate"')
    db.execute_sql('DROP TABLE "history_entry"')
    migrator.migrate(migrator.drop_index("person", "person_name_key"))
    for statement in (
        "ALTER TABLE person DROP COLUMN name_key",
        "ALTER TABLE audit_entry DROP COLUMN version",
        "ALTER TABLE audit_entry DROP COLUMN payload_sha256",
        "ALTER TABLE audit_entry DROP COLUMN redacted_at",
    ):
        db.execute_sql(statement)
