"""The contacts screen on 100,000 persons (D33): its default order (name) read from an
index instead of sorting every visible person for each page."""


def up(migrator, db):
    migrator.migrate(
        migrator.add_index("person", ("last_name", "first_name", "id"), False),
    )
    # statistics, so that the planner weighs the new index against the client filter's
    # (SQLite has none until ANALYZE runs)
    db.execute_sql("ANALYZE")


def down(migrator, db):
    migrator.migrate(migrator.drop_index("person", "person_last_name_first_name_id"))
