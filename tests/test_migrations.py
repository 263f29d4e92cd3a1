"""The versioned schema: an empty database upgrades to head, and head equals the models."""

import pytest
from playhouse.schema_diff import diff_models

from app.extensions import make_database
from app.models import all_models, pending_migrations, schema_revision, upgrade
from tests.conftest import PG_ADMIN_URL, postgres_database

# PostgreSQL's stored search vectors (migration 0026): a generated column no model declares
ENGINE_SPECIFIC_INDEXES = {"person_search_vector", "outlet_search_vector"}
ENGINE_SPECIFIC_COLUMNS = {("person", "search_vector"), ("outlet", "search_vector")}


def _upgrade_empty_database(url):
    database = make_database(url)
    assert schema_revision(database) is None
    applied = upgrade(database)
    assert applied, "an empty database must get every migration"
    assert schema_revision(database) == applied[-1]
    assert pending_migrations(database) == []
    assert upgrade(database) == []  # idempotent
    with database.bind_ctx(all_models()), database.connection_context():
        diff = diff_models(database, all_models())
    diff = diff._replace(
        drop_indexes=[i for i in diff.drop_indexes if i.name not in ENGINE_SPECIFIC_INDEXES],
        drop_columns=[c for c in diff.drop_columns if tuple(c) not in ENGINE_SPECIFIC_COLUMNS],
    )
    assert not any(diff), f"models and migrations differ: {diff}"
    if hasattr(database, "close_all"):
        database.close_all()


def test_empty_sqlite_database_upgrades_to_head(tmp_path):
    _upgrade_empty_database(f"sqlite:///{tmp_path / 'empty.db'}")


@pytest.mark.skipif(not PG_ADMIN_URL, reason="PostgreSQL run only (DEPESCHE_TEST_POSTGRES)")
def test_empty_postgresql_database_upgrades_to_head():
    with postgres_database("depesche_migrate") as url:
        _upgrade_empty_database(url)


def test_sqlite_runs_in_wal_mode(tmp_path):
    database = make_database(f"sqlite:///{tmp_path / 'wal.db'}")
    with database.connection_context():
        assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1


def test_an_older_schema_upgrades_in_place_keeping_its_data(tmp_path):
    from app.models import migration_names, migration_runner

    database = make_database(f"sqlite:///{tmp_path / 'old.db'}")
    with database.connection_context():
        migration_runner(database).up(target=migration_names()[0])
        database.execute_sql(
            'INSERT INTO "user" (email, name, password_hash, is_administrator, is_license_manager,'
            " active, must_change_password, timezone, session_token, created_at)"
            " VALUES ('alt@agentur.example', 'Alt', 'x', 1, 0, 1, 0, 'Europe/Berlin', 't',"
            " '2026-01-01 00:00:00')"
        )
    applied = upgrade(database)
    assert applied == migration_names()[1:]
    with database.connection_context():
        assert database.execute_sql('SELECT name FROM "user"').fetchall() == [("Alt",)]
