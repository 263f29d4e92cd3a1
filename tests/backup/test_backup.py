"""Backup and restore round trips, damaged repositories, an unreachable site, the drill
(SPEC O4). Runs on SQLite, and on PostgreSQL when DEPESCHE_TEST_POSTGRES is set (the
suite's database fixture then gives a PostgreSQL database)."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from app.extensions import make_database
from tests.backup.helpers import needs_borg, run_tool, tool_settings
from tests.conftest import PG_ADMIN_URL

pytestmark = needs_borg


def _snapshot_of_live(database_url, data_dir):
    from backup.depesche_backup import snapshot

    database = make_database(database_url)
    try:
        rows = snapshot.table_rows(database)
    finally:
        database.close()
    from backup.depesche_backup.settings import Settings

    settings = Settings(data_dir=data_dir, database_url=database_url, secret_key="")
    files = {str(p): (data_dir / p).read_bytes() for p in snapshot.data_files(settings)}
    return rows, files


def _drop_if_postgres(url):
    if not url.startswith("sqlite:"):
        from backup.depesche_backup.operations import drop_postgres

        drop_postgres(url)


def test_round_trip_every_row_and_file_identical(instance, tmp_path):
    data_dir = Path(instance["DEPESCHE_DATA_DIR"])
    before_rows, before_files = _snapshot_of_live(instance["DEPESCHE_DATABASE_URL"], data_dir)
    assert sum(len(r) for r in before_rows.values()) > 50  # the demo data is there

    created = run_tool(instance, "create")
    assert created.returncode == 0, created.stderr + created.stdout
    assert "site A: ok: archive depesche-" in created.stdout
    assert "site B: ok: archive depesche-" in created.stdout

    listed = run_tool(instance, "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.count("1 archives") == 2

    checked = run_tool(instance, "check")
    assert checked.returncode == 0, checked.stderr + checked.stdout
    assert checked.stdout.count("consistent") == 2

    into = tmp_path / "restored"
    restored = run_tool(instance, "restore", "latest", "--site", "B", "--into", str(into))
    assert restored.returncode == 0, restored.stderr + restored.stdout
    assert "equal the manifest" in restored.stdout
    url = next(
        line.split("DEPESCHE_DATABASE_URL=")[1].split()[0]
        for line in restored.stdout.splitlines()
        if "DEPESCHE_DATABASE_URL=" in line
    )
    try:
        after_rows, after_files = _snapshot_of_live(url, into)
    finally:
        _drop_if_postgres(url)
    assert after_rows == before_rows
    # the restored directory holds every data file, plus the marker of its origin and the
    # secret key (the test instance has it from the environment, not from a file)
    extra = {"RESTORED-FROM", "secret_key"}
    assert {k: v for k, v in after_files.items() if k not in extra} == before_files
    assert (into / "secret_key").read_text().strip() == instance["DEPESCHE_SECRET_KEY"]

    status = run_tool(instance, "status")
    assert status.returncode == 0, status.stdout
    assert "site A: last successful backup" in status.stdout


def test_manifest_describes_the_snapshot(instance):
    from backup.depesche_backup import snapshot
    from backup.depesche_backup.settings import write_borgmatic_config

    settings = tool_settings(instance)
    write_borgmatic_config(settings)
    manifest = snapshot.make_snapshot(settings)
    assert manifest["schema_revision"]
    assert manifest["row_counts"]["user"] == 8
    assert set(manifest["versions"]) >= {"python", "os"}
    assert "postgresql" in manifest["versions"] or "sqlite" in manifest["versions"]
    assert "media/2024/kit.pdf" in manifest["files"]
    dump = settings.work_dir / "snapshot" / snapshot.SQLITE_FILE
    if settings.is_sqlite:  # the archived file's bytes prove every table
        assert manifest["database_sha256"] == snapshot.sha256(dump)
        assert "table_sha256" not in manifest
    else:  # per table, the rows as the archived dump holds them
        assert set(manifest["table_sha256"]) == set(manifest["row_counts"])
        assert manifest["table_sha256"]["user"] != manifest["table_sha256"]["person"]
    # never the live database, its WAL, the queue or the tool's own files
    assert not any(
        name.startswith(("depesche.db", "queue.db", ".backup")) for name in manifest["files"]
    )
    config = settings.borgmatic_config.read_text()
    for expected in ("keep_daily: 28", "keep_monthly: 3", 'prefix: "depesche-"'):
        assert expected in config


def test_one_site_unreachable_the_other_still_backed_up(instance, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where site A's parent directory should be")
    env = {**instance, "DEPESCHE_BACKUP_SITE_A": str(blocker / "repo")}
    created = run_tool(env, "create")
    assert created.returncode == 1
    assert "site A: FAILED:" in created.stdout
    assert "site B: ok: archive depesche-" in created.stdout
    status = json.loads((Path(env["DEPESCHE_DATA_DIR"]) / "backup-status.json").read_text())
    assert status["create"]["A"]["last_result"] == "failed"
    assert "last_success" not in status["create"]["A"]
    assert status["create"]["B"]["last_result"] == "ok"
    shown = run_tool(env, "status")
    assert shown.returncode == 1
    assert "ALARM site A: no successful backup recorded" in shown.stdout


def test_a_vanished_repository_fails_loudly_and_is_not_made_anew(instance, tmp_path):
    """After a site's first successful backup its repository is never created again: a
    backup disk that is not mounted must not quietly get a new, empty repository with a
    key nobody exported. A site pointed at a new repository gets one made."""
    import shutil

    assert run_tool(instance, "create").returncode == 0
    site_a = Path(instance["DEPESCHE_BACKUP_SITE_A"])
    unmounted = tmp_path / "disk-on-the-shelf"
    shutil.move(site_a, unmounted)
    created = run_tool(instance, "create")
    assert created.returncode == 1
    assert "site A: FAILED:" in created.stdout and "repository is missing" in created.stdout
    assert "site B: ok: archive depesche-" in created.stdout
    assert not site_a.exists(), "no new repository where the old one is missing"
    shutil.move(unmounted, site_a)
    assert run_tool(instance, "create").returncode == 0
    moved = {**instance, "DEPESCHE_BACKUP_SITE_A": str(tmp_path / "new-disk" / "repo")}
    created = run_tool(moved, "create")
    assert created.returncode == 0, created.stdout + created.stderr
    assert (tmp_path / "new-disk" / "repo").is_dir()


def test_damaged_repository_restore_fails_loudly_live_untouched(instance, tmp_path):
    assert run_tool(instance, "create").returncode == 0
    data_dir = Path(instance["DEPESCHE_DATA_DIR"])
    before_rows, before_files = _snapshot_of_live(instance["DEPESCHE_DATABASE_URL"], data_dir)
    repo = Path(instance["DEPESCHE_BACKUP_SITE_A"])
    for segment in (repo / "data").rglob("*"):
        if segment.is_file() and segment.stat().st_size > 1000:
            raw = bytearray(segment.read_bytes())
            for offset in range(200, len(raw), 997):
                raw[offset] ^= 0xFF
            segment.write_bytes(bytes(raw))
    into = tmp_path / "restored"
    restored = run_tool(instance, "restore", "latest", "--site", "A", "--into", str(into))
    assert restored.returncode != 0
    assert restored.stderr.strip(), "a failed restore must say why"
    assert not into.exists() or not any(into.iterdir())
    live = run_tool(instance, "restore", "latest", "--site", "A", "--yes-overwrite-live")
    assert live.returncode != 0
    after_rows, after_files = _snapshot_of_live(instance["DEPESCHE_DATABASE_URL"], data_dir)
    assert after_rows == before_rows
    assert after_files == before_files
    checked = run_tool(instance, "check")
    assert checked.returncode == 1
    assert "site A: FAILED" in checked.stdout and "site B: ok" in checked.stdout


def test_restore_refuses_an_archive_from_a_newer_schema(instance, tmp_path, monkeypatch):
    from backup.depesche_backup import operations
    from backup.depesche_backup.settings import BackupError

    assert run_tool(instance, "create").returncode == 0
    monkeypatch.setattr("app.models.migration_names", lambda: ["0001_older_release"])
    with pytest.raises(BackupError, match="newer Depesche"):
        operations.restore_into(tool_settings(instance), "latest", tmp_path / "restored")
    assert not (tmp_path / "restored").exists()


def test_drill_ok_and_fail_when_a_restored_table_was_tampered_with(instance):
    from backup.depesche_backup import operations

    assert run_tool(instance, "create").returncode == 0
    drilled = run_tool(instance, "drill")
    assert drilled.returncode == 0, drilled.stdout + drilled.stderr
    assert drilled.stdout.count("verdict=ok") == 2

    def tamper(restored):
        if restored.database_url.startswith("sqlite:"):
            conn = sqlite3.connect(restored.database_url[len("sqlite:///") :])
            conn.execute("UPDATE user SET name = 'Mallory' WHERE id = (SELECT min(id) FROM user)")
            conn.commit()
            conn.close()
        else:
            database = make_database(restored.database_url)
            database.execute_sql(
                'UPDATE "user" SET name = %s WHERE id = (SELECT min(id) FROM "user")', ("Mallory",)
            )
            database.close()

    report = operations.drill(tool_settings(instance), after_restore=tamper)
    assert not report.ok
    lines = report.lines()
    assert all("verdict=fail" in line for line in lines), lines
    if tool_settings(instance).is_sqlite:
        assert "database file: checksum differs" in lines[0]
    else:
        assert "table user: contents differ" in lines[0]


def test_second_backup_reads_only_what_changed(instance):
    """Each run links the media files into a new snapshot directory, which changes their
    ctime but not their mtime: borg's files cache (mtime, size, inode) must still know them,
    so that a second backup reads only the new database snapshot and the new files — the
    deduplication that makes a daily backup of a large media store cheap."""
    from backup.depesche_backup import snapshot
    from backup.depesche_backup.settings import borgmatic, write_borgmatic_config

    assert run_tool(instance, "create").returncode == 0
    data_dir = Path(instance["DEPESCHE_DATA_DIR"])
    (data_dir / "media" / "new.pdf").write_bytes(b"%PDF-1.4 new\n")
    settings = tool_settings(instance)
    write_borgmatic_config(settings)
    snapshot.make_snapshot(settings)  # built as each run builds it
    time.sleep(1)  # archive names are unique per second
    listed = borgmatic(settings, settings.sites["A"], "create", "--list")
    # borgmatic lists what borg read: A(dded), M(odified), E(rror); not U(nchanged)
    read = {line[2:] for line in listed.stdout.splitlines() if line[:2] in ("A ", "M ", "E ")}
    assert "snapshot/data/media/new.pdf" in read
    assert "snapshot/manifest.json" in read
    assert "snapshot/data/media/2024/kit.pdf" not in read
    assert "snapshot/data/media/logo.svg" not in read


def test_exported_key_brings_a_keyless_repository_back(instance, tmp_path):
    """`export-keys` writes each site's key; a repository that lost its key (a damaged
    config) is readable again with that file and the passphrase — and not without it."""
    import configparser
    import shutil
    import subprocess

    assert run_tool(instance, "create").returncode == 0
    keys = tmp_path / "keys"
    exported = run_tool(instance, "export-keys", str(keys))
    assert exported.returncode == 0, exported.stderr + exported.stdout
    key_a = keys / "depesche-site-A.borg-key"
    assert key_a.read_text().startswith("BORG_KEY ")
    assert key_a.stat().st_mode & 0o777 == 0o600
    assert (keys / "depesche-site-B.borg-key").exists()

    copy = tmp_path / "keyless"
    shutil.copytree(instance["DEPESCHE_BACKUP_SITE_A"], copy)
    parser = configparser.ConfigParser()
    parser.read(copy / "config")
    assert parser.remove_option("repository", "key"), "a repokey repository keeps its key here"
    with open(copy / "config", "w") as out:
        parser.write(out)
    env = {**instance, "BORG_RELOCATED_REPO_ACCESS_IS_OK": "yes"}

    def borg(*args):
        return subprocess.run(["borg", *args], env=env, capture_output=True, text=True)

    assert borg("list", str(copy)).returncode != 0, "without the key nothing is readable"
    imported = borg("key", "import", str(copy), str(key_a))
    assert imported.returncode == 0, imported.stderr
    listed = borg("list", str(copy))
    assert listed.returncode == 0 and "depesche-" in listed.stdout


def test_check_verify_data_finds_a_damaged_chunk(instance):
    assert run_tool(instance, "create").returncode == 0
    verified = run_tool(instance, "check", "--verify-data")
    assert verified.returncode == 0, verified.stderr + verified.stdout
    status = json.loads((Path(instance["DEPESCHE_DATA_DIR"]) / "backup-status.json").read_text())
    assert status["check"]["A"]["last_result"] == "ok"
    # flip bytes in the middle of site B's largest data segment
    segments = sorted(
        Path(instance["DEPESCHE_BACKUP_SITE_B"]).glob("data/*/*"), key=lambda p: p.stat().st_size
    )
    damaged = segments[-1]
    data = bytearray(damaged.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(b ^ 0xFF for b in data[middle : middle + 64])
    damaged.write_bytes(bytes(data))
    failed = run_tool(instance, "check", "--verify-data")
    assert failed.returncode != 0
    assert "site A: ok" in failed.stdout and "site B: FAILED" in failed.stdout
    status = json.loads((Path(instance["DEPESCHE_DATA_DIR"]) / "backup-status.json").read_text())
    assert status["check"]["B"]["last_result"] == "failed"


def test_restore_over_the_live_instance(disposable, tmp_path):
    """`restore --yes-overwrite-live`: yesterday's state comes back, today's is kept beside
    it, and the app answers /healthz on the result (no systemd here: the tool says to stop
    the app by hand, which the appliance's units do)."""
    from app.extensions import make_database

    env = disposable
    data_dir = Path(env["DEPESCHE_DATA_DIR"])
    assert run_tool(env, "create").returncode == 0
    database = make_database(f"sqlite:///{data_dir / 'depesche.db'}")
    before = database.execute_sql("SELECT COUNT(*) FROM person").fetchone()[0]
    database.execute_sql(
        "INSERT INTO person (client_id, last_name, gender, title, first_name, position, "
        "department, language, street, postcode, city, country, notes, blocked, "
        "blocked_reason, origin, origin_file, search_text, name_key, created_at, updated_at) "
        "SELECT client_id, 'Heutig', '', '', '', '', '', 'de', '', '', '', 'DE', '', 0, '', "
        "'manual', '', '', '', created_at, updated_at FROM person LIMIT 1"
    )
    database.close()
    refused = run_tool(env, "restore", "latest")
    assert refused.returncode != 0, "over the live data only with --yes-overwrite-live"
    restored = run_tool(env, "restore", "latest", "--yes-overwrite-live", timeout=600)
    assert restored.returncode == 0, restored.stderr + restored.stdout
    assert "stop the app by hand" in restored.stdout
    assert "/healthz: ok" in restored.stdout
    database = make_database(f"sqlite:///{data_dir / 'depesche.db'}")
    try:
        assert database.execute_sql("SELECT COUNT(*) FROM person").fetchone()[0] == before
    finally:
        database.close()
    (kept,) = data_dir.parent.glob(f"{data_dir.name}.before-restore-*")
    old = make_database(f"sqlite:///{kept / 'depesche.db'}")
    try:
        assert old.execute_sql("SELECT COUNT(*) FROM person").fetchone()[0] == before + 1
    finally:
        old.close()


@pytest.mark.skipif(not PG_ADMIN_URL, reason="PostgreSQL run only (DEPESCHE_TEST_POSTGRES)")
def test_restore_over_a_live_postgresql_instance(instance, tmp_path):
    """The same over PostgreSQL: the restored copy is verified in a database of its own,
    then the live database is renamed aside and the copy takes its name."""
    import psycopg2
    from psycopg2 import sql

    from tests.conftest import postgres_database, run_cli

    with postgres_database("depesche_live") as url:
        env = dict(instance)
        env["DEPESCHE_DATABASE_URL"] = url
        env["DEPESCHE_DATA_DIR"] = str(tmp_path / "live")
        env["DEPESCHE_BACKUP_SITE_A"] = str(tmp_path / "live-a" / "repo")
        env["DEPESCHE_BACKUP_SITE_B"] = str(tmp_path / "live-b" / "repo")
        for args in (("init-db",), ("demo-data", "--contacts", "50")):
            done = run_cli(env, *args, timeout=300)
            assert done.returncode == 0, done.stderr
        assert run_tool(env, "create").returncode == 0
        database = make_database(url)
        before = database.execute_sql("SELECT COUNT(*) FROM person").fetchone()[0]
        database.execute_sql("DELETE FROM list_member")
        database.execute_sql("UPDATE person SET city = 'Heute'")
        database.close()
        restored = run_tool(env, "restore", "latest", "--yes-overwrite-live", timeout=600)
        assert restored.returncode == 0, restored.stderr + restored.stdout
        assert "/healthz: ok" in restored.stdout
        if env.get("DEPESCHE_REDIS_URL"):
            # the check after the swap ran with the instance's own queue, not a file of its own
            assert not (Path(env["DEPESCHE_DATA_DIR"]) / "queue.db").exists()
        kept = next(
            line.rsplit(" ", 1)[1]
            for line in restored.stdout.splitlines()
            if "previous database kept as" in line
        )
        database = make_database(url)
        try:
            assert database.execute_sql("SELECT COUNT(*) FROM person").fetchone()[0] == before
            heute = "SELECT COUNT(*) FROM person WHERE city = 'Heute'"
            assert database.execute_sql(heute).fetchone()[0] == 0
            assert database.execute_sql("SELECT COUNT(*) FROM list_member").fetchone()[0] > 0
        finally:
            database.close()
        admin = psycopg2.connect(PG_ADMIN_URL)
        admin.autocommit = True
        try:
            with admin.cursor() as cur:
                cur.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(kept))
                )
        finally:
            admin.close()
