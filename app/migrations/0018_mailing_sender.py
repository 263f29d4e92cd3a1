"""The sender account a mailing goes out from (SPEC M1, M2)."""

from peewee import ForeignKeyField, Model


def up(migrator, db):
    class SenderAccount(Model):
        class Meta:
            database = db
            table_name = "sender_account"

    migrator.migrate(
        migrator.add_column(
            "mailing",
            "sender_id",
            ForeignKeyField(SenderAccount, null=True, field=SenderAccount.id, on_delete="RESTRICT"),
        )
    )


def down(migrator, db):
    migrator.migrate(migrator.drop_column("mailing", "sender_id"))
