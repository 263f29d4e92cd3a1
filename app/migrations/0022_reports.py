"""Delivery reports and opt-in tracking (SPEC M6): whether a mailing was sent with open and
click tracking, and per recipient the first open and click with their counts."""

from peewee import BooleanField, DateTimeField, IntegerField

MAILING_COLUMNS = (("tracking", lambda: BooleanField(default=False)),)
RECIPIENT_COLUMNS = (
    ("opened_at", lambda: DateTimeField(null=True)),
    ("opens", lambda: IntegerField(default=0)),
    ("clicked_at", lambda: DateTimeField(null=True)),
    ("clicks", lambda: IntegerField(default=0)),
)


def up(migrator, db):
    migrator.migrate(
        *[migrator.add_column("mailing", name, make()) for name, make in MAILING_COLUMNS],
        *[
            migrator.add_column("mailing_recipient", name, make())
            for name, make in RECIPIENT_COLUMNS
        ],
    )


def down(migrator, db):
    migrator.migrate(
        *[migrator.drop_column("mailing_recipient", name) for name, _ in RECIPIENT_COLUMNS],
        *[migrator.drop_column("mailing", name) for name, _ in MAILING_COLUMNS],
    )
