"""When an import's file and rejected rows were deleted (SPEC L3, GDPR storage limitation)."""

from peewee import DateTimeField


def up(migrator, db):
    migrator.migrate(migrator.add_column("import_job", "purged_at", DateTimeField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("import_job", "purged_at"))
