"""Persons, outlets, topics and their links (SPEC C1–C3), with the full-text index."""

from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    PostgresqlDatabase,
    TextField,
)


def up(migrator, db):
    class Client(Model):
        class Meta:
            database = db
            table_name = "client"

    class Base(Model):
        class Meta:
            database = db

    class Outlet(Base):
        client = ForeignKeyField(Client, backref="+", on_delete="RESTRICT")
        name = CharField(max_length=200, index=True)
        kind = CharField(max_length=16, default="daily")
        circulation = IntegerField(null=True)
        reach = IntegerField(null=True)
        region = CharField(max_length=120, default="")
        language = CharField(max_length=8, default="de")
        website = CharField(max_length=254, default="")
        email = CharField(max_length=254, default="")
        phone = CharField(max_length=64, default="")
        street = CharField(max_length=200, default="")
        postcode = CharField(max_length=16, default="")
        city = CharField(max_length=120, default="")
        country = CharField(max_length=2, default="DE")
        notes = TextField(default="")
        origin = CharField(max_length=16, default="manual")
        origin_file = CharField(max_length=254, default="")
        origin_row = IntegerField(null=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            table_name = "outlet"

    class OutletDepartment(Base):
        outlet = ForeignKeyField(Outlet, on_delete="CASCADE")
        name = CharField(max_length=120)

        class Meta:
            table_name = "outlet_department"
            indexes = ((("outlet", "name"), True),)

    class Topic(Base):
        client = ForeignKeyField(Client, backref="+", on_delete="RESTRICT")
        name = CharField(max_length=80)

        class Meta:
            table_name = "topic"
            indexes = ((("client", "name"), True),)

    class Person(Base):
        client = ForeignKeyField(Client, backref="+", on_delete="RESTRICT")
        gender = CharField(max_length=8, default="")
        title = CharField(max_length=60, default="")
        first_name = CharField(max_length=100, default="")
        last_name = CharField(max_length=100, index=True)
        position = CharField(max_length=120, default="")
        department = CharField(max_length=120, default="")
        language = CharField(max_length=8, default="de")
        street = CharField(max_length=200, default="")
        postcode = CharField(max_length=16, default="")
        city = CharField(max_length=120, default="")
        country = CharField(max_length=2, default="DE")
        notes = TextField(default="")
        blocked = BooleanField(default=False, index=True)
        blocked_at = DateTimeField(null=True)
        blocked_reason = CharField(max_length=200, default="")
        erased_at = DateTimeField(null=True)
        origin = CharField(max_length=16, default="manual")
        origin_file = CharField(max_length=254, default="")
        origin_row = IntegerField(null=True)
        search_text = TextField(default="")
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            table_name = "person"

    class PersonEmail(Base):
        person = ForeignKeyField(Person, on_delete="CASCADE")
        address = CharField(max_length=254, index=True)
        is_primary = BooleanField(default=False)

        class Meta:
            table_name = "person_email"

    class PersonPhone(Base):
        person = ForeignKeyField(Person, on_delete="CASCADE")
        number = CharField(max_length=64)
        kind = CharField(max_length=16, default="office")
        is_primary = BooleanField(default=False)

        class Meta:
            table_name = "person_phone"

    class PersonOutlet(Base):
        person = ForeignKeyField(Person, on_delete="CASCADE")
        outlet = ForeignKeyField(Outlet, on_delete="CASCADE")
        position = CharField(max_length=120, default="")
        department = CharField(max_length=120, default="")

        class Meta:
            table_name = "person_outlet"
            indexes = ((("person", "outlet"), True),)

    class PersonTopic(Base):
        person = ForeignKeyField(Person, on_delete="CASCADE")
        topic = ForeignKeyField(Topic, on_delete="CASCADE")

        class Meta:
            table_name = "person_topic"
            indexes = ((("person", "topic"), True),)

    class OutletTopic(Base):
        outlet = ForeignKeyField(Outlet, on_delete="CASCADE")
        topic = ForeignKeyField(Topic, on_delete="CASCADE")

        class Meta:
            table_name = "outlet_topic"
            indexes = ((("outlet", "topic"), True),)

    db.create_tables(
        [
            Outlet,
            OutletDepartment,
            Topic,
            Person,
            PersonEmail,
            PersonPhone,
            PersonOutlet,
            PersonTopic,
            OutletTopic,
        ]
    )
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql(
            "CREATE INDEX person_search_text_gin ON person "
            "USING GIN (to_tsvector('simple', search_text))"
        )
        return
    # SQLite: an FTS5 index with external content, kept in step by triggers.
    db.execute_sql(
        "CREATE VIRTUAL TABLE person_fts USING fts5(search_text, content='person', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
    )
    db.execute_sql(
        "CREATE TRIGGER person_fts_insert AFTER INSERT ON person BEGIN "
        "INSERT INTO person_fts(rowid, search_text) VALUES (new.id, new.search_text); END"
    )
    db.execute_sql(
        "CREATE TRIGGER person_fts_delete AFTER DELETE ON person BEGIN "
        "INSERT INTO person_fts(person_fts, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); END"
    )
    db.execute_sql(
        "CREATE TRIGGER person_fts_update AFTER UPDATE OF search_text ON person BEGIN "
        "INSERT INTO person_fts(person_fts, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); "
        "INSERT INTO person_fts(rowid, search_text) VALUES (new.id, new.search_text); END"
    )


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql("DROP INDEX IF EXISTS person_search_text_gin")
    else:
        db.execute_sql("DROP TRIGGER IF EXISTS person_fts_insert")
        db.execute_sql("DROP TRIGGER IF EXISTS person_fts_delete")
        db.execute_sql("DROP TRIGGER IF EXISTS person_fts_update")
        db.execute_sql("DROP TABLE IF EXISTS person_fts")
    db.execute_sql('DROP TABLE "outlet_topic"')
    db.execute_sql('DROP TABLE "person_topic"')
    db.execute_sql('DROP TABLE "person_outlet"')
    db.execute_sql('DROP TABLE "person_phone"')
    db.execute_sql('DROP TABLE "person_email"')
    db.execute_sql('DROP TABLE "person"')
    db.execute_sql('DROP TABLE "topic"')
    db.execute_sql('DROP TABLE "outlet_department"')
    db.execute_sql('DROP TABLE "outlet"')
