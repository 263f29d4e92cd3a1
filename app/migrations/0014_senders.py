"""Sender accounts, their users, sender domains and DKIM keys (SPEC M1)."""

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, Model, TextField


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Base(Model):
        class Meta:
            database = db

    class SenderDomain(Base):
        name = CharField(max_length=253, unique=True)
        created_at = DateTimeField()
        checked_at = DateTimeField(null=True)
        dkim_state = CharField(max_length=10, default="never")
        dkim_found = TextField(default="")
        spf_state = CharField(max_length=10, default="never")
        spf_found = TextField(default="")
        dmarc_state = CharField(max_length=10, default="never")
        dmarc_found = TextField(default="")
        check_error = CharField(max_length=200, default="")

        class Meta:
            table_name = "sender_domain"

    class DkimKey(Base):
        domain = ForeignKeyField(SenderDomain, on_delete="CASCADE")
        selector = CharField(max_length=63)
        private_key = TextField()
        public_key = TextField()
        created_at = DateTimeField()
        retired_at = DateTimeField(null=True)

        class Meta:
            table_name = "dkim_key"
            indexes = ((("domain", "selector"), True),)

    class SenderAccount(Base):
        display_name = CharField(max_length=200)
        address = CharField(max_length=254, unique=True)
        reply_to = CharField(max_length=254, default="")
        domain = ForeignKeyField(SenderDomain, on_delete="RESTRICT")
        active = BooleanField(default=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            table_name = "sender_account"

    class SenderUser(Base):
        sender = ForeignKeyField(SenderAccount, on_delete="CASCADE")
        user = ForeignKeyField(User, on_delete="CASCADE")

        class Meta:
            table_name = "sender_user"
            indexes = ((("sender", "user"), True),)

    db.create_tables([SenderDomain, DkimKey, SenderAccount, SenderUser])


def down(migrator, db):
    db.execute_sql('DROP TABLE "sender_user"')
    db.execute_sql('DROP TABLE "sender_account"')
    db.execute_sql('DROP TABLE "dkim_key"')
    db.execute_sql('DROP TABLE "sender_domain"')
