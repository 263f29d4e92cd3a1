"""The consistent snapshot that goes into an archive, its manifest, and its verification.

Layout of ``snapshot/`` (the only source directory of the archive):
``manifest.json``, ``database.sqlite3`` or ``database.pgdump`` (pg_dump -Fc -Z0),
``data/`` (the data directory's files, hard links where possible) and ``config/secret_key``
(the effective secret key: the archive is encrypted with repokey-blake2, see decisions).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import subprocess  # nosec B404
import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from backup.depesche_backup.settings import STATUS_FILE, WORK_DIR_NAME, BackupError, Settings

SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
MANIFEST = "manifest.json"
RESTORED_MARK = "RESTORED-FROM"
# Never backed up from the data directory: the live databases (they go in as a snapshot),
# the task queue (transient), and the backup tool's own working files.
LIVE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


DIGEST_CACHE = "file-digests.json"


def _digest_cache(settings: Settings) -> dict:
    """The files' digests of the last snapshot by (size, mtime, inode): a file that did not
    change is not read again for the manifest (the second backup of 1 GB of unchanged media
    would otherwise hash it all again; borg itself skips such files the same way)."""
    try:
        return json.loads((settings.work_dir / DIGEST_CACHE).read_text())
    except (OSError, ValueError):
        return {}


def _save_digest_cache(settings: Settings, digests: dict) -> None:
    path = settings.work_dir / DIGEST_CACHE
    temp = path.with_suffix(".tmp")
    temp.write_text(json.dumps(digests))
    temp.replace(path)


def sqlite_path(url: str) -> Path:
    return Path(unquote(url[len("sqlite:///") :]))


def excluded_names(settings: Settings) -> set[str]:
    # exports/: full data exports (app/exports), copies of what the snapshot holds anyway,
    # deleted after seven days — a backup would keep them for months
    # RESTORED-FROM: written by a restore (operations.restore_into) after the extraction;
    # backed up, it would differ from the next restore's own and fail its verification
    names = {WORK_DIR_NAME, STATUS_FILE, "exports", RESTORED_MARK}
    for base in ("queue.db", "depesche.db"):
        names.update(base + s for s in LIVE_SUFFIXES)
    if settings.is_sqlite:
        names.update(sqlite_path(settings.database_url).name + s for s in LIVE_SUFFIXES)
    return names


def data_files(settings: Settings) -> list[Path]:
    """The data directory's files that belong in a backup, relative to it."""
    skip = excluded_names(settings)
    found = []
    for root, dirs, files in os.walk(settings.data_dir):
        rel_root = Path(root).relative_to(settings.data_dir)
        if rel_root == Path("."):
            dirs[:] = [d for d in dirs if d not in skip]
            files = [f for f in files if f not in skip]
        found.extend(rel_root / f for f in files)
    return sorted(found)


def _database(url: str):
    from app.extensions import make_database

    return make_database(url)


def row_counts(database) -> dict[str, int]:
    from app.models import all_models

    models = all_models()
    with database.bind_ctx(models):
        return {m._meta.table_name: m.select().count() for m in models}


DIGEST_FORMAT = 4
# The server's text form of the rows must not depend on the server's or the session's
# settings: the copy is often verified on another machine than the one backed up. Format 3
# set these in its own session; pg_dump (format 4) sets the date and interval styles and the
# float digits itself, and gets the rest as PGOPTIONS.
PG_DIGEST_SETTINGS = {
    "TimeZone": "UTC",
    "DateStyle": "ISO, YMD",
    "IntervalStyle": "postgres",
    "extra_float_digits": "1",
    "bytea_output": "hex",
}


PG_DUMP_SETTINGS = ("TimeZone", "bytea_output")


def table_digests(database, fmt: int) -> dict[str, str]:
    """A sha256 per table over all its rows as manifests of format 3 and older have them
    (format 4 takes them from the dump: `pg_dump_digests`). Format 3 hashes each table as the
    server writes it with COPY, ordered by key; format 2 the `repr` of the driver's rows in
    key order; format 1 one JSON list per table."""
    from app.models import all_models

    if fmt == 1:
        return {
            table: hashlib.sha256(json.dumps(rows, default=str).encode()).hexdigest()
            for table, rows in table_rows(database).items()
        }
    if fmt == 3:
        return _pg_copy_digests(database)
    digests = {}
    models = all_models()
    with database.bind_ctx(models):
        for model in models:
            digest = hashlib.sha256()
            cursor = database.execute(model.select().order_by(*_order(model)))
            while rows := cursor.fetchmany(5000):
                digest.update("\n".join(map(repr, rows)).encode("utf-8", "surrogatepass"))
                digest.update(b"\n")
            digests[model._meta.table_name] = digest.hexdigest()
    return digests


class _DigestSink:
    """A file for COPY TO: hashes what the server writes."""

    def __init__(self):
        self.digest = hashlib.sha256()

    def write(self, data) -> None:
        self.digest.update(data if isinstance(data, bytes) else data.encode("utf-8"))


def _pg_copy_digests(database) -> dict[str, str]:
    from psycopg2 import sql

    from app.models import all_models

    digests = {}
    # the settings below hold for this transaction only
    with database.atomic(), database.connection().cursor() as cur:
        for name, value in PG_DIGEST_SETTINGS.items():
            cur.execute("SELECT set_config(%s, %s, true)", (name, value))
        for model in all_models():
            query = sql.SQL("COPY (SELECT * FROM {} ORDER BY {}) TO STDOUT").format(
                sql.Identifier(model._meta.table_name),
                sql.SQL(", ").join(sql.Identifier(f.column_name) for f in _order(model)),
            )
            sink = _DigestSink()
            cur.copy_expert(query, sink)
            digests[model._meta.table_name] = sink.digest.hexdigest()
    return digests


def table_rows(database) -> dict[str, list[tuple]]:
    """Every row of every table, ordered by primary key (used to compare two copies)."""
    from app.models import all_models

    models = all_models()
    with database.bind_ctx(models):
        return {m._meta.table_name: list(m.select().order_by(*_order(m)).tuples()) for m in models}


def _order(model):
    pk = model._meta.primary_key
    if hasattr(pk, "field_names"):  # a composite key
        return [getattr(model, name) for name in pk.field_names]
    return [pk]


def versions(database, is_sqlite: bool) -> dict:
    os_name = platform.platform()
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    found = {"python": platform.python_version(), "os": os_name}
    if is_sqlite:
        found["sqlite"] = sqlite3.sqlite_version
    else:
        found["postgresql"] = database.execute_sql("SHOW server_version").fetchone()[0]
    return found


def app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("depesche")
    except PackageNotFoundError:
        return "unknown"


def integrity_check(path: Path, full: bool = True) -> None:
    """SQLite's `PRAGMA integrity_check`, or with FULL false its `quick_check`: the same
    checks of every page, b-tree, record and NOT NULL/CHECK constraint, in a fifth of the
    time, without comparing each index with its table (UNIQUE included)."""
    query = "PRAGMA integrity_check" if full else "PRAGMA quick_check"
    with contextlib.closing(sqlite3.connect(path)) as conn:
        result = conn.execute(query).fetchall()
    if result != [("ok",)]:
        raise BackupError(f"SQLite {query.split()[1]} of {path} failed: {result[:3]}")


def make_snapshot(settings: Settings, full_check: bool = True) -> dict:
    """Write ``WORK_DIR/snapshot`` afresh and return its manifest. A SQLite copy gets the
    full integrity check, or with FULL_CHECK false the quick one (`create` on the days
    between the weekly full checks; every restore checks in full)."""
    from app.models import schema_revision

    target = settings.work_dir / "snapshot"
    if target.exists():
        shutil.rmtree(target)
    (target / "data").mkdir(parents=True)
    (target / "config").mkdir(mode=0o700)
    key_file = target / "config" / "secret_key"
    key_file.touch(mode=0o600)
    key_file.write_text(settings.secret_key + "\n")

    database = _database(settings.database_url)
    checked = None
    with ThreadPoolExecutor(max_workers=1) as pool:
        if settings.is_sqlite:
            dump = target / SQLITE_FILE
            source = sqlite3.connect(sqlite_path(settings.database_url))
            dest = sqlite3.connect(dump)
            with contextlib.closing(source), contextlib.closing(dest):
                source.backup(dest)  # the online backup API: a consistent copy of a live database
            copy = _database(f"sqlite:///{dump}")
            copy.connect()  # sets its journal mode: from here on the file's bytes are final
            # the integrity check (the snapshot's longest step) beside the counts and the
            # files: SQLite lets go of Python's lock while it works
            checked = pool.submit(integrity_check, dump, full_check)
            counts, revision = row_counts(copy), schema_revision(copy)
            found_versions = versions(copy, True)
            copy.close()
        else:
            counts, revision, found_versions, digests = _pg_dump(
                settings, database, target / PG_FILE
            )
            proof = {"table_sha256": digests}
        database.close()
        files = _link_files(settings, target / "data")
        if checked is not None:
            checked.result()
            # the file as archived, read once nothing has it open: a restore that yields
            # the same bytes holds every row of every table unchanged
            proof = {
                "database_sha256": sha256(dump),
                "integrity_check": "full" if full_check else "quick",
            }

    manifest = {
        "format": DIGEST_FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "app_version": app_version(),
        "schema_revision": revision,
        "database": "sqlite" if settings.is_sqlite else "postgresql",
        "versions": found_versions,
        "row_counts": counts,
        **proof,
        "files": files,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return manifest


def _link_files(settings: Settings, target: Path) -> dict[str, str]:
    """Hard links of the data directory's files under TARGET; their sha256 by name."""
    files = {}
    known = _digest_cache(settings)
    seen = {}
    for rel in data_files(settings):
        src, dst = settings.data_dir / rel, target / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, dst)  # no second copy of the media; borg reads the same bytes
        except OSError:
            shutil.copy2(src, dst)
        stat = src.stat()
        key = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
        cached = known.get(str(rel))
        digest = cached[3] if cached and cached[:3] == key else sha256(dst)
        files[str(rel)] = digest
        seen[str(rel)] = [*key, digest]
    _save_digest_cache(settings, seen)
    return files


def _pg_dump(settings: Settings, database, path: Path):
    """pg_dump -Fc inside an exported snapshot: the schema revision of the manifest is that
    of exactly the dumped state, and its row counts and digests are read from the dump as
    it is written (`pg_dump_digests`): the tables are read once, by pg_dump, not a second
    time by COPY (decisions, D24). Uncompressed (-Z0): borg compresses what it stores, and
    only an uncompressed dump has the same bytes as yesterday's wherever the data is the
    same, which borg's deduplication needs (and zlib in pg_dump costs seconds of CPU)."""
    from app.models import all_models, schema_revision

    database.connect(reuse_if_open=True)
    with database.atomic():
        database.execute_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        snapshot_id = database.execute_sql("SELECT pg_export_snapshot()").fetchone()[0]
        revision = schema_revision(database)
        found_versions = versions(database, False)
        # exported until this transaction ends, after pg_dump has finished
        found = pg_dump_digests(pg_dsn(settings), path, snapshot_id)
    tables = [m._meta.table_name for m in all_models() if m._meta.table_name in found]
    counts = {table: found[table][0] for table in tables}
    digests = {table: found[table][1] for table in tables}
    return counts, revision, found_versions, digests


def pg_dump_digests(
    url: str, path: Path | None = None, snapshot_id: str | None = None
) -> dict[str, tuple[int, str]]:
    """Dump the database at URL with `pg_dump -Fc -Z0` (of the exported snapshot
    SNAPSHOT_ID if given) into PATH if given, and return the rows and sha256 per table of
    what it dumped (tables by name without their schema): the dump streams through `tee`
    into `pg_restore --data-only`, whose COPY text `copy_digests` reads while pg_dump still
    writes. The backup and the verification of a restored copy both dump this way, with
    the server settings that fix the rows' text form."""
    options = " ".join(f"-c {name}={PG_DIGEST_SETTINGS[name]}" for name in PG_DUMP_SETTINGS)
    env = {**os.environ, "PGOPTIONS": f"{os.environ.get('PGOPTIONS', '')} {options}".strip()}
    snapshot = [f"--snapshot={snapshot_id}"] if snapshot_id else []
    commands = [["pg_dump", "-Fc", "-Z0", *snapshot, pg_dsn(url)]]
    if path is not None:
        commands.append(["tee", str(path)])
    commands.append(["pg_restore", "--data-only", "-f", "-"])
    with tempfile.TemporaryFile() as errors:
        processes: list[subprocess.Popen] = []
        for command in commands:
            source = processes[-1].stdout if processes else subprocess.DEVNULL
            processes.append(
                subprocess.Popen(  # noqa: S603
                    command, stdin=source, stdout=subprocess.PIPE, stderr=errors, env=env
                )
            )
            if source is not subprocess.DEVNULL:
                source.close()  # the next one reads it now
        output = processes[-1].stdout
        try:
            found = copy_digests(iter(lambda: output.read(1 << 20), b""))
        finally:
            output.close()
            codes = [process.wait() for process in processes]
            errors.seek(0)
            message = errors.read().decode("utf-8", "replace").strip()
    if any(codes):
        raise BackupError(f"pg_dump failed: {message or f'exit codes {codes}'}")
    return found


def copy_digests(blocks) -> dict[str, tuple[int, str]]:
    """Rows and sha256 per table of the SQL text BLOCKS (bytes) that pg_restore writes: the
    lines between `COPY schema.table (…) FROM stdin;` and `\\.`. COPY's text form
    escapes line breaks inside values, so each line is one row; they are hashed in sorted
    order, as a restored table need not keep the order in which it was loaded (PostgreSQL
    fills pages with room left before it takes a new one)."""
    found: dict[str, tuple[int, str]] = {}
    buffer, pos, table, parts = b"", 0, None, []
    for block in blocks:
        buffer, pos = buffer[pos:] + block, 0
        while True:
            if table is None:  # between tables: SQL, a line at a time
                end = buffer.find(b"\n", pos)
                if end < 0:
                    break
                line, pos = buffer[pos:end], end + 1
                if line.startswith(b"COPY "):
                    table = line.split(b" ", 2)[1].split(b".", 1)[-1].strip(b'"').decode()
                    pos, parts = end, []  # BUFFER[POS] is now the line break before a row
                continue
            end = buffer.find(b"\n\\.\n", pos)
            if end < 0:  # all but the last line, which may be the start of the end mark
                cut = buffer.rfind(b"\n", pos)
                parts.append(buffer[pos + 1 : cut + 1])
                pos = cut
                break
            parts.append(buffer[pos + 1 : end + 1])
            rows = b"".join(parts).split(b"\n")[:-1]  # each row ends with a line break
            rows.sort()
            digest = hashlib.sha256(b"\n".join(rows) + (b"\n" if rows else b""))
            found[table] = (len(rows), digest.hexdigest())
            pos, table = end + 4, None
    if table is not None:
        raise BackupError(f"the dump's data of table {table} ends without its end mark")
    return found


def pg_dsn(settings_or_url) -> str:
    url = settings_or_url if isinstance(settings_or_url, str) else settings_or_url.database_url
    return url.replace("postgres://", "postgresql://", 1)


def pg_database_name(url: str) -> str:
    return unquote(urlsplit(url).path.lstrip("/"))


def verify(
    snapshot: Path,
    data_dir: Path,
    database,
    database_url: str,
    database_file: Path | None = None,
) -> list[str]:
    """Compare a restored copy with the manifest: the SQLite database file's checksum (or,
    for PostgreSQL and older manifests, one per table), row counts per table and file
    checksums. DATABASE_FILE is the restored SQLite file, not yet opened by the app; a
    restored PostgreSQL database (DATABASE_URL) is dumped again as the backup dumped it
    (format 4). Returns the differences (empty: all equal)."""
    manifest = json.loads((snapshot / MANIFEST).read_text())
    problems = []
    # first: opening the file in WAL mode rewrites its header
    expected = manifest.get("database_sha256")
    if expected and (database_file is None or sha256(database_file) != expected):
        problems.append("database file: checksum differs from the manifest")
    fmt = manifest.get("format", 1)
    if manifest.get("table_sha256") and fmt >= 4:
        # dumped as the backup dumped it: rows and digests from one reading of each table
        dumped = pg_dump_digests(database_url)
        counts = {table: found[0] for table, found in dumped.items()}
        digests = {table: found[1] for table, found in dumped.items()}
    else:
        counts = row_counts(database)
        digests = table_digests(database, fmt) if manifest.get("table_sha256") else {}
    for table, expected in manifest["row_counts"].items():
        if counts.get(table) != expected:
            problems.append(f"table {table}: {counts.get(table)} rows, manifest says {expected}")
    if manifest.get("table_sha256"):
        for table, expected in manifest["table_sha256"].items():
            same_count = counts.get(table) == manifest["row_counts"][table]
            if digests.get(table) != expected and same_count:
                problems.append(f"table {table}: contents differ from the manifest's checksum")
    for rel, digest in manifest["files"].items():
        path = data_dir / rel
        if not path.is_file():
            problems.append(f"file {rel}: missing")
        elif sha256(path) != digest:
            problems.append(f"file {rel}: checksum differs")
    return problems
