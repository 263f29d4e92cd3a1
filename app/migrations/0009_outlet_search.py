"""Search over media outlets (SPEC C2, C4): a canonical search text per outlet with its
full-text index, built like the persons' one of migration 0006 (docs/decisions.md D32).
Existing outlets get their text on the first search of the outlets screen."""

from peewee import PostgresqlDatabase, TextField


def up(migrator, db):
    migrator.migrate(migrator.add_column("outlet", "search_text", TextField(default="")))
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql(
            "CREATE INDEX outlet_search_text_gin ON outlet "
            "USING GIN (to_tsvector('simple', search_text))"
        )
        return
    db.execute_sql(
        "CREATE VIRTUAL TABLE outlet_fts USING fts5(search_text, content='outlet', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
    )
    db.execute_sql(
        "CREATE TRIGGER outlet_fts_insert AFTER INSERT ON outlet BEGIN "
        "INSERT INTO outlet_fts(rowid, search_text) VALUES (new.id, new.search_text); END"
    )
    db.execute_sql(
        "CREATE TRIGGER outlet_fts_delete AFTER DELETE ON outlet BEGIN "
        "INSERT INTO outlet_fts(outlet_fts, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); END"
    )
    db.execute_sql(
        "CREATE TRIGGER outlet_fts_update AFTER UPDATE OF search_text ON outlet BEGIN "
        "INSERT INTO outlet_fts(outlet_fts, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); "
        "INSERT INTO outlet_fts(rowid, search_text) VALUES (new.id, new.search_text); END"
    )
    db.execute_sql("INSERT INTO outlet_fts(outlet_fts) VALUES ('rebuild')")


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql("DROP INDEX IF EXISTS outlet_search_text_gin")
    else:
        db.execute_sql("DROP TRIGGER IF EXISTS outlet_fts_insert")
        db.execute_sql("DROP TRIGGER IF EXISTS outlet_fts_delete")
        db.execute_sql("DROP TRIGGER IF EXISTS outlet_fts_update")
        db.execute_sql("DROP TABLE IF EXISTS outlet_fts")
    migrator.migrate(migrator.drop_column("outlet", "search_text"))
