"""Bounce handling (SPEC M7): the messages that arrived at the return paths, and the
bounce state of each address."""

from peewee import (
    BlobField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)


def up(migrator, db):
    class MailingRecipient(Model):
        class Meta:
            database = db
            table_name = "mailing_recipient"

    class BounceMessage(Model):
        key = CharField(max_length=220, unique=True)
        received_at = DateTimeField(index=True)
        source = CharField(max_length=8, default="pipe")
        outcome = CharField(max_length=10, index=True)
        reason = CharField(max_length=200, default="")
        token = CharField(max_length=64, default="")
        recipient = ForeignKeyField(MailingRecipient, null=True, on_delete="SET NULL")
        address = CharField(max_length=254, default="")
        status = CharField(max_length=16, default="")
        smtp_code = IntegerField(null=True)
        diagnostic = TextField(default="")
        subject = CharField(max_length=300, default="")
        sender = CharField(max_length=254, default="")
        size = IntegerField(default=0)
        raw = BlobField(null=True)

        class Meta:
            database = db
            table_name = "bounce_message"

    class AddressBounce(Model):
        address = CharField(max_length=254, unique=True)
        soft_streak = IntegerField(default=0)
        hard_at = DateTimeField(null=True, index=True)
        last_kind = CharField(max_length=4, default="")
        last_status = CharField(max_length=16, default="")
        last_reason = CharField(max_length=500, default="")
        last_bounced_at = DateTimeField(null=True)
        last_recipient = ForeignKeyField(MailingRecipient, null=True, on_delete="SET NULL")
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "address_bounce"

    db.create_tables([BounceMessage, AddressBounce])


def down(migrator, db):
    db.execute_sql('DROP TABLE "address_bounce"')
    db.execute_sql('DROP TABLE "bounce_message"')
