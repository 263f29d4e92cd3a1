"""What a snapshot proves and how cheaply (decisions, D24): a SQLite copy gets SQLite's
quick check on daily backups and the full integrity check once a week and at every
restore; a PostgreSQL dump's row counts and table digests are read from the dump itself."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.backup.helpers import needs_borg, run_tool, tool_settings


def _index_pages_swapped(path: Path) -> None:
    """Two tables with an index each, whose b-trees then trade places: every page and
    record is sound (the quick check passes), but each index holds the other table's
    entries (only the full check compares indexes with their tables)."""
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE damage_a(x INTEGER); CREATE INDEX damage_a_x ON damage_a(x);"
        "CREATE TABLE damage_b(x INTEGER); CREATE INDEX damage_b_x ON damage_b(x);"
        "INSERT INTO damage_a VALUES (1), (2), (3); INSERT INTO damage_b VALUES (7), (8);"
    )
    pages = dict(
        conn.execute(
            "SELECT name, rootpage FROM sqlite_master WHERE name IN ('damage_a_x', 'damage_b_x')"
        ).fetchall()
    )
    conn.execute("PRAGMA writable_schema = ON")
    for name, other in (("damage_a_x", "damage_b_x"), ("damage_b_x", "damage_a_x")):
        conn.execute("UPDATE sqlite_master SET rootpage = ? WHERE name = ?", (pages[other], name))
    conn.commit()
    conn.close()


def test_quick_check_finds_damaged_pages_the_full_check_also_indexes(tmp_path):
    from backup.depesche_backup.settings import BackupError
    from backup.depesche_backup.snapshot import integrity_check

    swapped = tmp_path / "swapped.sqlite3"
    _index_pages_swapped(swapped)
    integrity_check(swapped, full=False)  # pages and records are sound
    with pytest.raises(BackupError, match="SQLite integrity_check of .* failed"):
        integrity_check(swapped)

    broken = tmp_path / "broken.sqlite3"
    conn = sqlite3.connect(broken)
    conn.executescript(
        "CREATE TABLE t(x TEXT); INSERT INTO t SELECT hex(randomblob(200)) "
        "FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) "
        "SELECT i FROM n);"
    )
    conn.close()
    data = bytearray(broken.read_bytes())
    data[4096 + 8 : 4096 + 400] = b"\xff" * 392  # a table page's header and cell pointers
    broken.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="SQLite quick_check of .* failed"):
        integrity_check(broken, full=False)


@needs_borg
def test_sqlite_copy_checked_quickly_daily_in_full_weekly_and_at_restore(disposable, tmp_path):
    """The first backup checks the copy in full, the next days' quickly; a damaged index
    then still gets into a daily archive, but the restore refuses it (it checks in full),
    and the weekly full check makes that day's backup fail at both sites."""
    data_dir = Path(disposable["DEPESCHE_DATA_DIR"])
    status_path = data_dir / "backup-status.json"
    first = run_tool(disposable, "create")
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.count("check=full") == 2, first.stdout
    checked = json.loads(status_path.read_text())["integrity_check"]["last_success"]

    _index_pages_swapped(data_dir / "depesche.db")
    daily = run_tool(disposable, "create")
    assert daily.returncode == 0, daily.stdout + daily.stderr
    assert daily.stdout.count("check=quick") == 2, daily.stdout
    assert json.loads(status_path.read_text())["integrity_check"]["last_success"] == checked

    restored = run_tool(disposable, "restore", "latest", "--into", str(tmp_path / "restored"))
    assert restored.returncode != 0
    assert "SQLite integrity_check of" in restored.stdout + restored.stderr

    status = json.loads(status_path.read_text())
    week_ago = (datetime.now(UTC) - timedelta(days=7)).isoformat(timespec="seconds")
    status["integrity_check"]["last_success"] = week_ago
    status_path.write_text(json.dumps(status))
    weekly = run_tool(disposable, "create")
    assert weekly.returncode == 1, weekly.stdout + weekly.stderr
    for site in ("A", "B"):
        assert f"site {site}: FAILED:" in weekly.stdout
    assert "snapshot failed: SQLite integrity_check of" in weekly.stdout
    # not checked in full successfully: the next day checks in full again
    assert json.loads(status_path.read_text())["integrity_check"]["last_success"] == week_ago


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
