"""A data version for what the contacts screen counts (D41): a value that database triggers
change with every write of persons, their outlets and topics, list members and outlet
types, in the same transaction, so that a process may keep a count until the data changes
— whichever process, service or bulk load wrote it (app/data_versions.py)."""

from peewee import PostgresqlDatabase

# what the contacts screen's filters read: (table, the event that can change a count)
WATCHED = (
    ("person", "INSERT OR UPDATE OR DELETE"),
    ("person_outlet", "INSERT OR UPDATE OR DELETE"),
    ("person_topic", "INSERT OR UPDATE OR DELETE"),
    ("list_member", "INSERT OR UPDATE OR DELETE"),
    ("outlet", "UPDATE OF kind"),
)
# SQLite (one writer at a time): a random 64-bit value per written row. Unique in practice,
# so a value never comes back, also not after a rollback.
SQLITE_BUMP = (
    "INSERT INTO data_version (name, value) VALUES ('contacts', random()) "
    "ON CONFLICT (name) DO UPDATE SET value = excluded.value; END"
)


# Every trigger's CREATE and DROP statement, written out from the constants above (nothing
# from outside this module goes into them).
PG_TRIGGERS = tuple(
    (
        f"CREATE CONSTRAINT TRIGGER data_version_contacts AFTER {events} ON {table} "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION data_version_contacts()",
        f"DROP TRIGGER IF EXISTS data_version_contacts ON {table}",
    )
    for table, events in WATCHED
)
SQLITE_TRIGGERS = tuple(
    (
        f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {SQLITE_BUMP}",
        f"DROP TRIGGER IF EXISTS {name}",
    )
    for table, events in WATCHED
    for event in events.split(" OR ")
    for name in (f"data_version_contacts_{table}_{event.split()[0].lower()}",)
)


def up(migrator, db):
    db.execute_sql(
        "CREATE TABLE data_version (name VARCHAR(40) NOT NULL PRIMARY KEY, value BIGINT NOT NULL)"
    )
    db.execute_sql("INSERT INTO data_version (name, value) VALUES ('contacts', 0)")
    if isinstance(db, PostgresqlDatabase):
        # The new value is the writing transaction's id: unique, never used again. The
        # triggers are deferred to the commit, so the version row is locked only while
        # committing, never while the transaction may still wait for other rows (no
        # deadlock with other writers). A transaction writes the row once: the setting
        # (local to the transaction) says it did; the other rows' triggers cost ~1 µs each.
        db.execute_sql(
            "CREATE FUNCTION data_version_contacts() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN "
            "IF current_setting('depesche.data_version_contacts', true) "
            "IS DISTINCT FROM txid_current()::text THEN "
            "INSERT INTO data_version (name, value) VALUES ('contacts', txid_current()) "
            "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value; "
            "PERFORM set_config('depesche.data_version_contacts', txid_current()::text, true); "
            "END IF; "
            "RETURN NULL; "
            "END $$"
        )
        for create, _ in PG_TRIGGERS:
            db.execute_sql(create)
        return
    for create, _ in SQLITE_TRIGGERS:
        db.execute_sql(create)


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        for _, drop in PG_TRIGGERS:
            db.execute_sql(drop)
        db.execute_sql("DROP FUNCTION IF EXISTS data_version_contacts()")
    else:
        for _, drop in SQLITE_TRIGGERS:
            db.execute_sql(drop)
    db.execute_sql("DROP TABLE data_version")
