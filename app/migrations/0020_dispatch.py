"""Dispatch of mailings (SPEC M4–M6): the mailing's dispatch fields and one row per
recipient with its delivery state."""

from peewee import (
    BigIntegerField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

MAILING_COLUMNS = (
    ("send_at", lambda: DateTimeField(null=True)),
    ("started_at", lambda: DateTimeField(null=True)),
    ("finished_at", lambda: DateTimeField(null=True)),
    ("cancelled_at", lambda: DateTimeField(null=True)),
    ("dispatch_token", lambda: CharField(max_length=32, default="")),
    ("heartbeat_at", lambda: DateTimeField(null=True)),
    ("recipients_total", lambda: IntegerField(default=0)),
    ("bytes_total", lambda: BigIntegerField(default=0)),
    ("check_summary", lambda: TextField(default="{}")),
)


def up(migrator, db):
    def table(name):
        class Stub(Model):
            class Meta:
                database = db
                table_name = name

        return Stub

    User, Person, Mailing = table("user"), table("person"), table("mailing")
    operations = [migrator.add_column("mailing", name, make()) for name, make in MAILING_COLUMNS]
    operations.append(
        migrator.add_column(
            "mailing",
            "sent_by_id",
            ForeignKeyField(User, null=True, field=User.id, on_delete="SET NULL"),
        )
    )
    migrator.migrate(*operations)

    class MailingRecipient(Model):
        mailing = ForeignKeyField(Mailing, on_delete="CASCADE")
        person = ForeignKeyField(Person, null=True, on_delete="SET NULL")
        address = CharField(max_length=254)
        token = CharField(max_length=32, unique=True)
        state = CharField(max_length=16, default="queued")
        attempts = IntegerField(default=0)
        next_attempt_at = DateTimeField(null=True)
        smtp_code = IntegerField(null=True)
        smtp_response = CharField(max_length=500, default="")
        message_id = CharField(max_length=255, default="")
        size = IntegerField(default=0)
        queued_at = DateTimeField()
        sent_at = DateTimeField(null=True, index=True)
        updated_at = DateTimeField()
        bounce_kind = CharField(max_length=4, default="")
        bounce_code = CharField(max_length=16, default="")
        bounce_reason = CharField(max_length=500, default="")
        bounced_at = DateTimeField(null=True)
        unsubscribed_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "mailing_recipient"
            indexes = ((("mailing", "state"), False),)

    class DispatchLease(Model):
        name = CharField(max_length=32, primary_key=True)
        holder = CharField(max_length=32, default="")
        expires_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "dispatch_lease"

    db.create_tables([MailingRecipient, DispatchLease])


def down(migrator, db):
    db.execute_sql('DROP TABLE "dispatch_lease"')
    db.execute_sql('DROP TABLE "mailing_recipient"')
    migrator.migrate(
        *[migrator.drop_column("mailing", name) for name, _ in MAILING_COLUMNS],
        migrator.drop_column("mailing", "sent_by_id"),
    )
