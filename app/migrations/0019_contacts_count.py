"""The contacts screen's count on 100,000 persons (D41): the persons a user sees that are
not erased, counted from an index alone instead of reading every row for `erased_at`."""


def up(migrator, db):
    migrator.migrate(
        migrator.add_index("person", ("client_id", "erased_at"), False),
    )
    # statistics for the planner to weigh the new index (SQLite has none until ANALYZE)
    db.execute_sql("ANALYZE")


def down(migrator, db):
    migrator.migrate(migrator.drop_index("person", "person_client_id_erased_at"))
