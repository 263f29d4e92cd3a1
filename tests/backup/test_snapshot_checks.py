"""What a snapshot proves and how cheaply (decisions, D24): a PostgreSQL dump's row counts
and table digests are read from the dump itself."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from tests.backup.helpers import needs_borg, tool_settings


def test_copy_digests_count_and_hash_each_tables_rows_in_any_order():
    """pg_restore's text of a dump, read in blocks of any size: the rows of each table
    between its COPY line and the end mark, hashed in sorted order (a restored table need
    not keep its rows' order); an empty table and a table of one empty row differ."""
    from backup.depesche_backup.snapshot import copy_digests

    def text(rows_of_user):
        return (
            b"--\n-- PostgreSQL database dump\n--\nSET client_encoding = 'UTF8';\n\n"
            b'COPY public."user" (id, name) FROM stdin;\n' + rows_of_user + b"\\.\n\n"
            b"COPY public.empty (id) FROM stdin;\n\\.\n"
            b"SELECT pg_catalog.setval('public.user_id_seq', 2, true);\n"
            b"COPY public.blank (note) FROM stdin;\n\n\\.\n"
        )

    dump = text(b"1\tAda\n2\tBob\\\\.\\nline two\n")
    whole = copy_digests([dump])
    assert whole["user"] == (
        2,
        hashlib.sha256(b"1\tAda\n2\tBob\\\\.\\nline two\n").hexdigest(),
    )
    assert whole["empty"] == (0, hashlib.sha256(b"").hexdigest())
    assert whole["blank"] == (1, hashlib.sha256(b"\n").hexdigest())
    for size in (1, 2, 3, 5, 64):
        assert copy_digests(dump[i : i + size] for i in range(0, len(dump), size)) == whole
    assert copy_digests([text(b"2\tBob\\\\.\\nline two\n1\tAda\n")]) == whole
    assert copy_digests([text(b"1\tAda\n2\tBob\n")])["user"] != whole["user"]


def test_a_dump_cut_short_or_failing_is_an_error(tmp_path):
    from backup.depesche_backup.settings import BackupError
    from backup.depesche_backup.snapshot import copy_digests, pg_dump_digests

    with pytest.raises(BackupError, match="table person ends without its end mark"):
        copy_digests([b"COPY public.person (id) FROM stdin;\n1\n2\n"])
    if not shutil.which("pg_dump"):
        pytest.skip("pg_dump not installed (Debian: postgresql-client)")
    with pytest.raises(BackupError, match="pg_dump failed: .*"):
        pg_dump_digests(
            "postgresql://nobody@127.0.0.1:1/no_such_database", tmp_path / "never.pgdump"
        )


@needs_borg
def test_postgresql_manifest_counts_and_digests_come_from_the_dump(instance):
    """The manifest's rows and digests per table are those of the archived dump (read by
    pg_restore), and the live database dumped again gives the same ones."""
    from backup.depesche_backup import snapshot
    from backup.depesche_backup.settings import write_borgmatic_config

    settings = tool_settings(instance)
    if settings.is_sqlite:
        pytest.skip("PostgreSQL only (DEPESCHE_TEST_POSTGRES)")
    write_borgmatic_config(settings)
    manifest = snapshot.make_snapshot(settings)
    assert manifest["format"] == 4
    from_dump = snapshot.pg_dump_digests(settings.database_url)
    for table, rows in manifest["row_counts"].items():
        assert from_dump[table] == (rows, manifest["table_sha256"][table]), table
    database = snapshot._database(settings.database_url)
    try:
        assert snapshot.row_counts(database) == manifest["row_counts"]
    finally:
        database.close()
