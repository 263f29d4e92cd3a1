"""Events and invitations (SPEC L2)."""

from peewee import CharField, DateTimeField, ForeignKeyField, Model, TextField


def up(migrator, db):
    class Client(Model):
        class Meta:
            database = db
            table_name = "client"

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Person(Model):
        class Meta:
            database = db
            table_name = "person"

    class Base(Model):
        class Meta:
            database = db

    class Event(Base):
        client = ForeignKeyField(Client, backref="+", on_delete="RESTRICT")
        title = CharField(max_length=200)
        kind = CharField(max_length=20, default="press_conference")
        starts_at = DateTimeField(index=True)
        ends_at = DateTimeField(null=True)
        place = CharField(max_length=200, default="")
        description = TextField(default="")
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            table_name = "event"

    class Invitation(Base):
        event = ForeignKeyField(Event, on_delete="CASCADE")
        person = ForeignKeyField(Person, on_delete="CASCADE")
        state = CharField(max_length=10, default="invited")
        note = CharField(max_length=200, default="")
        invited_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            table_name = "invitation"
            indexes = ((("event", "person"), True),)

    db.create_tables([Event, Invitation])


def down(migrator, db):
    db.execute_sql('DROP TABLE "invitation"')
    db.execute_sql('DROP TABLE "event"')
