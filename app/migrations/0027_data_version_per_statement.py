"""PostgreSQL: the contacts data version (migration 0024, D41) changed once per writing
transaction at the cost of one statement-level trigger per write statement, instead of one
deferred event per written row (D42: an import of 100,000 persons queued 270,000 events,
0.9 s of the server's 8 s).

Each write statement on a watched table runs `data_version_mark()` once, which, the first
time in a transaction, inserts one row into `data_version_pending`; that row's deferred
constraint trigger (still named `data_version_contacts`, so `data_versions.settle()` works
as before) sets the new value at the commit — the version row is still locked only while
committing — and deletes the pending row. The mark is a setting local to the transaction:
a savepoint rolled back takes the mark and its pending row with it. SQLite keeps 0024's
row triggers (no statement triggers there; its writes are in-process and cheap)."""

from peewee import PostgresqlDatabase

# the tables and events of 0024, whose row triggers are replaced
WATCHED = (
    ("person", "INSERT OR UPDATE OR DELETE"),
    ("person_outlet", "INSERT OR UPDATE OR DELETE"),
    ("person_topic", "INSERT OR UPDATE OR DELETE"),
    ("list_member", "INSERT OR UPDATE OR DELETE"),
    ("outlet", "UPDATE OF kind"),
)

# Every statement written out from the constants above (nothing from outside this module).
ROW_TRIGGERS = tuple(
    (
        f"CREATE CONSTRAINT TRIGGER data_version_contacts AFTER {events} ON {table} "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION data_version_contacts()",
        f"DROP TRIGGER IF EXISTS data_version_contacts ON {table}",
    )
    for table, events in WATCHED
)
STATEMENT_TRIGGERS = tuple(
    (
        f"CREATE TRIGGER data_version_contacts AFTER {events} ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION data_version_mark()",
        f"DROP TRIGGER IF EXISTS data_version_contacts ON {table}",
    )
    for table, events in WATCHED
)

# 0024's function, for the way down
ROW_FUNCTION = (
    "CREATE OR REPLACE FUNCTION data_version_contacts() RETURNS trigger LANGUAGE plpgsql AS $$ "
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
MARK_FUNCTION = (
    "CREATE FUNCTION data_version_mark() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "IF current_setting('depesche.data_version_contacts', true) "
    "IS DISTINCT FROM txid_current()::text THEN "
    "PERFORM set_config('depesche.data_version_contacts', txid_current()::text, true); "
    "INSERT INTO data_version_pending (txid) VALUES (txid_current()); "
    "END IF; "
    "RETURN NULL; "
    "END $$"
)
COMMIT_FUNCTION = (
    "CREATE OR REPLACE FUNCTION data_version_contacts() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "INSERT INTO data_version (name, value) VALUES ('contacts', txid_current()) "
    "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value; "
    "DELETE FROM data_version_pending WHERE txid = txid_current(); "
    "RETURN NULL; "
    "END $$"
)


def up(migrator, db):
    if not isinstance(db, PostgresqlDatabase):
        return
    db.execute_sql("CREATE TABLE data_version_pending (txid BIGINT NOT NULL)")
    for _, drop in ROW_TRIGGERS:
        db.execute_sql(drop)
    db.execute_sql(COMMIT_FUNCTION)
    db.execute_sql(MARK_FUNCTION)
    db.execute_sql(
        "CREATE CONSTRAINT TRIGGER data_version_contacts AFTER INSERT ON data_version_pending "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION data_version_contacts()"
    )
    for create, _ in STATEMENT_TRIGGERS:
        db.execute_sql(create)


def down(migrator, db):
    if not isinstance(db, PostgresqlDatabase):
        return
    for _, drop in STATEMENT_TRIGGERS:
        db.execute_sql(drop)
    db.execute_sql("DROP TABLE data_version_pending")  # and its trigger
    db.execute_sql("DROP FUNCTION data_version_mark()")
    db.execute_sql(ROW_FUNCTION)
    for create, _ in ROW_TRIGGERS:
        db.execute_sql(create)
