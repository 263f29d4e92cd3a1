"""Clients and users."""

from peewee import BooleanField, CharField, DateTimeField, Model, TextField


def up(migrator, db):
    class Client(Model):
        name = CharField(max_length=200, unique=True)
        description = TextField(default="")
        active = BooleanField(default=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "client"

    class User(Model):
        email = CharField(max_length=254, unique=True)
        name = CharField(max_length=200)
        password_hash = CharField(max_length=255)
        is_administrator = BooleanField(default=False)
        is_license_manager = BooleanField(default=False)
        active = BooleanField(default=True)
        must_change_password = BooleanField(default=False)
        locale = CharField(max_length=8, null=True)
        timezone = CharField(max_length=64, default="Europe/Berlin")
        session_token = CharField(max_length=64, unique=True)
        created_at = DateTimeField()
        last_login_at = DateTimeField(null=True)
        password_changed_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "user"

    db.create_tables([Client, User])


def down(migrator, db):
    db.execute_sql('DROP TABLE "user"')
    db.execute_sql('DROP TABLE "client"')
