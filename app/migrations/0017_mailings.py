"""Mailings with their attachments and recipient sources (SPEC M2, M3)."""

from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)


def up(migrator, db):
    def table(name):
        class Stub(Model):
            class Meta:
                database = db
                table_name = name

        return Stub

    Client, User, Person, DistributionList = (
        table("client"),
        table("user"),
        table("person"),
        table("distribution_list"),
    )

    class Base(Model):
        class Meta:
            database = db

    class Mailing(Base):
        client = ForeignKeyField(Client, backref="+", on_delete="RESTRICT")
        subject = CharField(max_length=300, default="")
        html = TextField(default="")
        text = TextField(default="")
        text_edited = BooleanField(default=False)
        priority = CharField(max_length=8, default="standard")
        state = CharField(max_length=10, default="draft", index=True)
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            table_name = "mailing"

    class MailingAttachment(Base):
        mailing = ForeignKeyField(Mailing, on_delete="CASCADE")
        file_sha256 = CharField(max_length=64, index=True)
        file_name = CharField(max_length=254)
        file_size = IntegerField()
        file_type = CharField(max_length=127)
        created_at = DateTimeField()

        class Meta:
            table_name = "mailing_attachment"

    class MailingSource(Base):
        mailing = ForeignKeyField(Mailing, on_delete="CASCADE")
        distribution_list = ForeignKeyField(DistributionList, null=True, on_delete="CASCADE")
        person = ForeignKeyField(Person, null=True, on_delete="CASCADE")

        class Meta:
            table_name = "mailing_source"
            indexes = (
                (("mailing", "distribution_list"), True),
                (("mailing", "person"), True),
            )

    db.create_tables([Mailing, MailingAttachment, MailingSource])


def down(migrator, db):
    db.execute_sql('DROP TABLE "mailing_source"')
    db.execute_sql('DROP TABLE "mailing_attachment"')
    db.execute_sql('DROP TABLE "mailing"')
