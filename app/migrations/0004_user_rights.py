"""Per-user rights (SPEC M9): may create and delete lists and mailings, may send mailings."""

from peewee import BooleanField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("user", "may_manage_lists", BooleanField(default=False)),
        migrator.add_column("user", "may_send", BooleanField(default=False)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("user", "may_manage_lists"),
        migrator.drop_column("user", "may_send"),
    )
