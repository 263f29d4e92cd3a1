"""Rights per user and client (SPEC A3), and each user's default client."""

from peewee import CharField, ForeignKeyField, Model


def up(migrator, db):
    class Client(Model):
        class Meta:
            database = db
            table_name = "client"

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class ClientRight(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        client = ForeignKeyField(Client, on_delete="CASCADE")
        right = CharField(max_length=8)

        class Meta:
            database = db
            table_name = "client_right"
            indexes = ((("user", "client"), True),)

    db.create_tables([ClientRight])
    migrator.migrate(
        migrator.add_column(
            "user",
            "default_client_id",
            ForeignKeyField(Client, field=Client.id, null=True, on_delete="SET NULL"),
        ),
    )


def down(migrator, db):
    migrator.migrate(migrator.drop_column("user", "default_client_id"))
    db.execute_sql('DROP TABLE "client_right"')
