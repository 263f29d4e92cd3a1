"""What `depesche-backup` does: create, list, check, restore, drill, simulate-retention,
export-keys and status. Each site is handled on its own: a failure of one never stops the
other, and every function returns one report line per site."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import stat
import subprocess  # nosec B404
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from app.status.backups import ALARM_HOURS, _moment, read_status, site_states
from backup.depesche_backup import snapshot as snap
from backup.depesche_backup.settings import (
    ARCHIVE_PREFIX,
    KEEP_DAILY,
    KEEP_MONTHLY,
    RCREATE,
    READY_VARIABLE,
    BackupError,
    Settings,
    borg,
    borgmatic,
    list_archives,
    write_borgmatic_config,
)

APP_UNITS = ("depesche-web.service", "depesche-worker.service")
# Once a week (D24): borg compact, which only frees the space of archives pruned before,
# and SQLite's full integrity check of the snapshot (the other days: its quick check)
WEEKLY = timedelta(days=7)
WEEKLY_MARGIN = timedelta(hours=12)
# the sites' threads and this one write the status file (read, change, replace)
_STATUS_LOCK = threading.RLock()


@dataclass
class SiteResult:
    site: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"site {self.site}: {'ok' if self.ok else 'FAILED'}: {self.detail}"


@dataclass
class Report:
    results: list[SiteResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.results) and all(r.ok for r in self.results)

    def lines(self) -> list[str]:
        return [r.line() for r in self.results]


def _each_site(
    settings: Settings,
    action: str,
    work: Callable[[str, str], str],
    meanwhile: Callable[[], None] | None = None,
) -> Report:
    """WORK for each site: one after the other, or with MEANWHILE all at once, each in a
    thread of its own while MEANWHILE runs in this one (the sites' borg processes then
    share the cores). Either way a failure of one site never stops another, the results
    come in the sites' order, and the status file is written by this thread alone."""

    def attempt(site: str, repository: str) -> SiteResult:
        try:
            return SiteResult(site, True, work(site, repository))
        except (BackupError, OSError, ValueError, KeyError) as exc:
            return SiteResult(site, False, f"{repository}: {exc}")

    report = Report()
    if meanwhile is None:
        for site, repository in settings.sites.items():
            report.results.append(attempt(site, repository))
            record_status(settings, action, report.results[-1])
        return report
    with ThreadPoolExecutor(max_workers=len(settings.sites) or 1) as pool:
        futures = [pool.submit(attempt, *site) for site in settings.sites.items()]
        meanwhile()
        report.results = [future.result() for future in futures]
    for result in report.results:
        record_status(settings, action, result)
    return report


# -- status -------------------------------------------------------------------------------


def record_status(settings: Settings, action: str, result: SiteResult) -> None:
    """Remember the outcome per action and site in DATA_DIR/backup-status.json (read by
    the app's status page and /healthz through app.status.backups)."""
    with _STATUS_LOCK:
        status = read_status(settings.data_dir)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        status["sites"] = sorted(settings.sites)
        entry = status.setdefault(action, {}).setdefault(result.site, {})
        entry["last_run"] = now
        entry["last_result"] = "ok" if result.ok else "failed"
        entry["detail"] = result.detail
        if result.ok:
            entry["last_success"] = now
        _write_status(settings.status_path, status)


def _initialised(settings: Settings) -> dict:
    """The repository each site had its last successful backup in (status file)."""
    known = read_status(settings.data_dir).get("initialised", {})
    return known if isinstance(known, dict) else {}


def _remember_initialised(settings: Settings, site: str, repository: str) -> None:
    with _STATUS_LOCK:
        status = read_status(settings.data_dir)
        status.setdefault("initialised", {})[site] = repository
        _write_status(settings.status_path, status)


def _write_status(path: Path, status: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(status, indent=2, sort_keys=True))
    tmp.replace(path)


def status_lines(settings: Settings, now: datetime | None = None) -> tuple[bool, list[str]]:
    """One line per site and action; (False, …) when a site has no successful backup in
    the last 26 hours."""
    now = now or datetime.now(UTC)
    healthy, lines = True, []
    for state in site_states(settings.data_dir, settings.sites):
        success = state.last_success.isoformat(timespec="seconds") if state.last_success else None
        if state.alarm(now):
            healthy = False
            if success is None:
                lines.append(f"ALARM site {state.site}: no successful backup recorded")
            else:
                lines.append(
                    f"ALARM site {state.site}: no successful backup in {ALARM_HOURS} hours "
                    f"(last: {success})"
                )
        else:
            lines.append(f"site {state.site}: last successful backup {success}")
        for action, other in state.other.items():
            when = other["last_run"].isoformat(timespec="seconds") if other["last_run"] else "?"
            lines.append(
                f"site {state.site}: last {action} {when}: {other['last_result']}"
                + ("" if other["last_result"] == "ok" else f" ({other['detail']})")
            )
    return healthy, lines


# -- create / list / check ----------------------------------------------------------------


def create(settings: Settings) -> Report:
    """Snapshot once while both sites prune (and, weekly, compact); then each site archives
    that one snapshot. The sites run side by side and independently."""
    write_borgmatic_config(settings)
    initialised = _initialised(settings)
    now = datetime.now(UTC)
    status = read_status(settings.data_dir)
    compacting = {
        site for site in settings.sites if _weekly_due(status.get("compact", {}).get(site), now)
    }
    full_check = _weekly_due(status.get("integrity_check"), now)
    ready = settings.work_dir / "snapshot-ready"
    snapshot: dict = {}

    def take_snapshot(verdict):
        started = time.monotonic()
        try:
            snapshot["manifest"] = snap.make_snapshot(settings, full_check=full_check)
            if settings.is_sqlite and full_check:
                _remember_full_check(settings)
        except Exception as exc:  # a database error too: both sites fail and say why
            snapshot["error"] = exc
        finally:  # whatever happened: the sites' runs wait for this
            snapshot["seconds"] = time.monotonic() - started
            verdict.write("ok\n" if "manifest" in snapshot else "failed\n")
            verdict.flush()
            fcntl.flock(verdict, fcntl.LOCK_UN)

    def work(site, repository):
        started = time.monotonic()
        # One borgmatic run per site (each run costs a start of borgmatic and of borg
        # --version), in borgmatic's own order: rcreate, prune, compact (space is freed
        # before the new archive needs it), create, whose before_backup hook waits for the
        # snapshot. A repository is created only until its site's first successful backup:
        # after that a missing repository (a backup disk that is not mounted, a remote path
        # gone) fails the site loudly instead of quietly getting a new, empty repository
        # with a key nobody exported. borg compact only gives back the space of archives
        # pruned before, so it runs once a week, not every day (decisions, D24).
        init = () if initialised.get(site) == repository else RCREATE
        if not init and repository.startswith("/") and not Path(repository).exists():
            raise BackupError(
                "the repository is missing (a backup disk not mounted?); it is not made anew "
                "here: it held this site's archives and its key"
            )
        compact = ("compact",) if site in compacting else ()
        try:
            result = borgmatic(
                settings,
                repository,
                *init,
                "prune",
                *compact,
                "create",
                "--json",
                env={READY_VARIABLE: str(ready)},
            )
        except BackupError:
            if "error" in snapshot:  # the hook refused to archive it: say why
                raise BackupError(f"snapshot failed: {snapshot['error']}") from None
            raise
        if init:
            _remember_initialised(settings, site, repository)
        if compact:
            record_status(settings, "compact", SiteResult(site, True, "compacted before create"))
        manifest = snapshot["manifest"]
        rows = sum(manifest["row_counts"].values())
        return (
            f"archive {_created_archive_name(result.stdout)} ({rows} rows, "
            f"{len(manifest['files'])} files) snapshot={snapshot['seconds']:.1f}s "
            f"site={time.monotonic() - started:.1f}s"
            + (f" check={manifest['integrity_check']}" if "integrity_check" in manifest else "")
            + (" compacted" if compact else "")
        )

    try:
        with ready.open("w") as verdict:
            fcntl.flock(verdict, fcntl.LOCK_EX)  # before any site starts: they wait for it
            return _each_site(settings, "create", work, meanwhile=lambda: take_snapshot(verdict))
    finally:
        shutil.rmtree(settings.work_dir / "snapshot", ignore_errors=True)
        ready.unlink(missing_ok=True)


def _weekly_due(entry: dict | None, now: datetime) -> bool:
    """Whether a weekly step is due by its status ENTRY (none recorded, or the last success
    a week ago; the margin keeps the daily timer's randomised delay from pushing it to
    every 8th day)."""
    last = _moment((entry or {}).get("last_success"))
    return last is None or now - last >= WEEKLY - WEEKLY_MARGIN


def _remember_full_check(settings: Settings) -> None:
    """A full integrity check of the SQLite snapshot passed: the next is due in a week."""
    with _STATUS_LOCK:
        status = read_status(settings.data_dir)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        status["integrity_check"] = {"last_success": now}
        _write_status(settings.status_path, status)


def _created_archive_name(stdout: str) -> str:
    with contextlib.suppress(ValueError, KeyError, IndexError, TypeError):
        data = json.loads(stdout)
        data = data[0] if isinstance(data, list) else data
        return data["archive"]["name"]
    return "(name not reported)"


def list_sites(settings: Settings) -> Report:
    write_borgmatic_config(settings)

    def work(site, repository):
        archives = list_archives(settings, repository)
        names = [f"{a['name']} ({a.get('time', a.get('start', ''))[:19]})" for a in archives]
        return f"{len(archives)} archives" + "".join(f"\n    {n}" for n in names)

    return _each_site(settings, "list", work)


def check(settings: Settings, verify_data: bool = False) -> Report:
    write_borgmatic_config(settings)

    def work(site, repository):
        args = ["check", "--force"]
        if verify_data:
            args += ["--only", "repository", "--only", "data"]
        borgmatic(settings, repository, *args)
        return f"{repository}: consistent" + (" (all data verified)" if verify_data else "")

    return _each_site(settings, "check", work)


# -- restore ------------------------------------------------------------------------------


@dataclass
class Restored:
    site: str
    archive: str
    data_dir: Path
    database_url: str
    manifest: dict
    problems: list[str]
    lines: list[str]


def _pick_repository(settings: Settings, site: str | None) -> tuple[str, str]:
    if site:
        site = site.upper()
        if site not in settings.sites:
            raise BackupError(f"site {site} is not configured")
        return site, settings.sites[site]
    site = next(iter(settings.sites), None)
    if site is None:
        raise BackupError("no backup site configured")
    return site, settings.sites[site]


def _resolve_archive(settings: Settings, repository: str, archive: str) -> str:
    if archive != "latest":
        return archive
    archives = list_archives(settings, repository)
    if not archives:
        raise BackupError(f"{repository}: no {ARCHIVE_PREFIX}* archive")
    return archives[-1]["name"]


def restore_into(
    settings: Settings,
    archive: str,
    into: Path,
    site: str | None = None,
    database_name: str | None = None,
    after_restore: Callable[[Restored], None] | None = None,
) -> Restored:
    """Restore ARCHIVE into a fresh data directory INTO (and, for PostgreSQL, a new
    database), verify it against the manifest, then migrate it to this release's head.
    Nothing of the live instance is touched."""
    from app.models import migration_names, schema_revision, upgrade

    write_borgmatic_config(settings)
    site, repository = _pick_repository(settings, site)
    archive = _resolve_archive(settings, repository, archive)
    into = into.resolve()
    if into.exists() and any(into.iterdir()):
        raise BackupError(f"{into} exists and is not empty")
    into.parent.mkdir(parents=True, exist_ok=True)
    extract = Path(tempfile.mkdtemp(prefix=".depesche-restore-", dir=into.parent))
    lines = [f"extracting {archive} from site {site} ({repository})"]
    try:
        borgmatic(
            settings,
            repository,
            "extract",
            "--archive",
            archive,
            "--destination",
            str(extract),
            "--repository",
            repository,
        )
        snapshot_dir = extract / "snapshot"
        manifest_path = snapshot_dir / snap.MANIFEST
        if not manifest_path.is_file():
            raise BackupError(f"{archive} holds no {snap.MANIFEST}: not a Depesche backup")
        manifest = json.loads(manifest_path.read_text())
        revision = manifest.get("schema_revision")
        if revision is not None and revision not in migration_names():
            raise BackupError(
                f"{archive} has schema revision {revision}, which this release does not know "
                "(it comes from a newer Depesche): install that release first"
            )
        if into.exists():
            into.rmdir()
        shutil.move(snapshot_dir / "data", into)
        key_file = into / "secret_key"
        if not key_file.exists():
            shutil.move(snapshot_dir / "config" / "secret_key", key_file)
            key_file.chmod(0o600)
        db_path = None
        if manifest["database"] == "sqlite":
            db_path = into / "depesche.db"
            shutil.move(snapshot_dir / snap.SQLITE_FILE, db_path)
            snap.integrity_check(db_path)
            url = f"sqlite:///{db_path}"
            lines.append(f"database: SQLite {db_path} (integrity check ok)")
        else:
            url = _restore_postgres(settings, snapshot_dir / snap.PG_FILE, database_name)
            lines.append(f"database: new PostgreSQL database {snap.pg_database_name(url)}")
        (into / snap.RESTORED_MARK).write_text(
            f"archive {archive}, site {site} ({repository}), restored "
            f"{datetime.now(UTC).isoformat(timespec='seconds')}\n"
        )
        restored = Restored(site, archive, into, url, manifest, [], lines)
        if after_restore:
            after_restore(restored)
        database = snap._database(url)
        try:
            restored.problems = snap.verify(
                extract / "snapshot", into, database, url, database_file=db_path
            )
            if not restored.problems:
                applied = upgrade(database)
                if applied:
                    lines.append(f"migrated: {', '.join(applied)}")
                lines.append(f"schema at {schema_revision(database)}")
        finally:
            database.close()
        tables, rows = len(manifest["row_counts"]), sum(manifest["row_counts"].values())
        if restored.problems:
            lines.extend(f"DIFFERS: {p}" for p in restored.problems)
        else:
            lines.append(
                f"verified: {rows} rows in {tables} tables and {len(manifest['files'])} files "
                "equal the manifest"
            )
        return restored
    finally:
        shutil.rmtree(extract, ignore_errors=True)


def _restore_postgres(settings: Settings, dump: Path, name: str | None) -> str:
    import psycopg2
    from psycopg2 import sql

    live = settings.database_url
    name = name or f"{snap.pg_database_name(live)}_restore_{datetime.now():%Y%m%d%H%M%S}"
    admin = psycopg2.connect(snap.pg_dsn(live))
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        admin.close()
    parts = urlsplit(snap.pg_dsn(live))
    url = urlunsplit(parts._replace(path=f"/{name}"))
    result = subprocess.run(  # noqa: S603
        ["pg_restore", "--no-owner", "--exit-on-error", "-d", url, str(dump)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore into {name} failed: {result.stderr.strip()}")
    return url


def drop_postgres(url: str) -> None:
    import psycopg2
    from psycopg2 import sql

    name = snap.pg_database_name(url)
    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    finally:
        admin.close()


def healthz(data_dir: Path, database_url: str, *, live: bool = False) -> tuple[bool, str]:
    """Start the app on a restored copy (a separate process) and ask its /healthz. A scratch
    copy gets none of the instance's other settings; the live instance keeps them all (its
    queue above all: without DEPESCHE_REDIS_URL the app would make a queue file of its own
    in the data directory, owned by whoever runs the restore)."""
    env = {k: v for k, v in os.environ.items() if live or not k.startswith("DEPESCHE_")}
    env.update(DEPESCHE_DATA_DIR=str(data_dir), DEPESCHE_DATABASE_URL=database_url)
    code = (
        "from app import create_app\n"
        "r = create_app().test_client().get('/healthz')\n"
        "print(r.status_code, r.get_data(as_text=True).strip())\n"
        "raise SystemExit(r.status_code != 200)\n"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    output = result.stdout.strip() or result.stderr.strip().splitlines()[-1:] or [""]
    return result.returncode == 0, output if isinstance(output, str) else output[0]


def restore_live(settings: Settings, archive: str, site: str | None = None) -> list[str]:
    """Restore over the live instance: restore and verify into a scratch copy first (the
    live data stays untouched if anything fails), then stop the app's units, swap the
    copy in (the old state is kept beside it), migrate, start the units, check /healthz."""
    stamp = f"{datetime.now():%Y%m%d%H%M%S}"
    scratch = settings.data_dir.parent / f"{settings.data_dir.name}.restore-{stamp}"
    restored = restore_into(settings, archive, scratch, site=site)
    lines = list(restored.lines)
    if restored.problems:
        raise BackupError(
            f"the restored copy in {scratch} differs from the manifest; live data untouched"
        )
    units = [u for u in APP_UNITS if _unit_exists(u)]
    for unit in units:
        subprocess.run(["systemctl", "stop", unit], check=True)  # noqa: S603, S607
        lines.append(f"stopped {unit}")
    if not units:
        lines.append("no systemd units of the app found: stop the app by hand before this")
    before = settings.data_dir.parent / f"{settings.data_dir.name}.before-restore-{stamp}"
    shutil.copytree(settings.data_dir, before, symlinks=True)
    lines.append(f"previous data directory kept as {before}")
    owner = settings.data_dir.stat()
    for item in restored.data_dir.iterdir():
        target = settings.data_dir / item.name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        shutil.move(item, target)
        if os.geteuid() == 0:
            _chown_tree(target, owner.st_uid, owner.st_gid)
    if settings.is_sqlite:
        live_db = snap.sqlite_path(settings.database_url)
        for suffix in ("-wal", "-shm"):
            Path(f"{live_db}{suffix}").unlink(missing_ok=True)
        if live_db != settings.data_dir / "depesche.db":
            shutil.move(settings.data_dir / "depesche.db", live_db)
    else:
        _swap_postgres(settings.database_url, restored.database_url, stamp)
        old_name = f"{snap.pg_database_name(settings.database_url)}_before_restore_{stamp}"
        lines.append(f"previous database kept as {old_name}")
    scratch.rmdir()
    for unit in units:
        subprocess.run(["systemctl", "start", unit], check=True)  # noqa: S603, S607
        lines.append(f"started {unit}")
    ok, answer = healthz(settings.data_dir, settings.database_url, live=True)
    lines.append(f"/healthz: {'ok' if ok else 'FAILED'} {answer}")
    return lines


def _chown_tree(path: Path, uid: int, gid: int) -> None:
    """Run by root (the appliance's console), a restore gives what it put into the data
    directory to the data directory's owner and group, readable by the group as the app's
    units write it (UMask=0027): the archive holds the backup user's copies, which the app
    could neither write nor, in directories of mode 0700, read, and the group (the backup
    user) must read them for the next backup."""
    paths = [path]
    if path.is_dir() and not path.is_symlink():
        paths.extend(path.rglob("*"))
    for item in paths:
        os.chown(item, uid, gid, follow_symlinks=False)
        if not item.is_symlink():
            mode = stat.S_IMODE(item.stat().st_mode)
            os.chmod(item, mode | (0o050 if item.is_dir() else 0o040))


def _unit_exists(unit: str) -> bool:
    if not shutil.which("systemctl"):
        return False
    result = subprocess.run(  # noqa: S603
        ["systemctl", "cat", unit],
        capture_output=True,
        text=True,  # noqa: S607
    )
    return result.returncode == 0


def _swap_postgres(live_url: str, restored_url: str, stamp: str) -> None:
    import psycopg2
    from psycopg2 import sql

    live, new = snap.pg_database_name(live_url), snap.pg_database_name(restored_url)
    admin = psycopg2.connect(live_url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            # the app's connections to the live database, and any left to the verified
            # copy by the verification (a database in use cannot be renamed)
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname IN (%s, %s) AND pid <> pg_backend_pid()",
                (live, new),
            )
            cur.execute(
                sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                    sql.Identifier(live), sql.Identifier(f"{live}_before_restore_{stamp}")
                )
            )
            cur.execute(
                sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                    sql.Identifier(new), sql.Identifier(live)
                )
            )
    finally:
        admin.close()


# -- drill --------------------------------------------------------------------------------


def drill(settings: Settings, after_restore: Callable[[Restored], None] | None = None) -> Report:
    """Restore the latest archive of each site into a scratch location and prove it:
    integrity, row counts, table and file checksums equal to the manifest, and the app
    starting on the copy and answering /healthz. One line per site with the verdict."""
    write_borgmatic_config(settings)

    def work(site, repository):
        started = time.monotonic()
        scratch = Path(tempfile.mkdtemp(prefix="depesche-drill-"))
        restored = None
        try:
            db_name = None
            if not settings.is_sqlite:
                live = snap.pg_database_name(settings.database_url)
                db_name = f"{live}_drill_{site.lower()}_{datetime.now():%Y%m%d%H%M%S}"
            restored = restore_into(
                settings,
                "latest",
                scratch / "data",
                site=site,
                database_name=db_name,
                after_restore=after_restore,
            )
            problems = list(restored.problems)
            if not problems:
                ok, answer = healthz(restored.data_dir, restored.database_url)
                if not ok:
                    problems.append(f"/healthz on the restored copy: {answer}")
        finally:
            if restored and not restored.database_url.startswith("sqlite:"):
                drop_postgres(restored.database_url)
            shutil.rmtree(scratch, ignore_errors=True)
        duration = time.monotonic() - started
        head = f"archive={restored.archive} duration={duration:.1f}s"
        if problems:
            raise BackupError(f"{head} verdict=fail ({'; '.join(problems)})")
        return f"{head} verdict=ok"

    return _each_site(settings, "drill", work)


# -- retention simulation -----------------------------------------------------------------


def simulate_retention(settings: Settings, days: int, today: date | None = None) -> Report:
    """Create DAYS daily archives with past timestamps (borg create --timestamp) in
    throw-away repositories, one per site, prune them with the real borgmatic
    configuration, and report what is kept."""
    config = write_borgmatic_config(settings)
    today = today or datetime.now(UTC).date()
    report = Report()
    with tempfile.TemporaryDirectory(prefix="depesche-retention-") as tmp:
        tmp = Path(tmp)
        payload = tmp / "payload"
        payload.write_text("retention simulation\n")
        env_settings = Settings(**{**settings.__dict__, "passphrase_file": None})
        saved = os.environ.get("BORG_PASSPHRASE")
        os.environ["BORG_PASSPHRASE"] = "retention-simulation"  # noqa: S105 (throw-away)
        try:
            with ThreadPoolExecutor(max_workers=len(settings.sites) or 1) as pool:
                futures = {
                    site: pool.submit(
                        _simulate_site,
                        env_settings,
                        config,
                        tmp / f"site-{site}",
                        payload,
                        days,
                        today,
                    )
                    for site in settings.sites
                }
                for site, future in futures.items():
                    try:
                        report.results.append(SiteResult(site, True, future.result()))
                    except BackupError as exc:
                        report.results.append(SiteResult(site, False, str(exc)))
        finally:
            if saved is None:
                os.environ.pop("BORG_PASSPHRASE", None)
            else:
                os.environ["BORG_PASSPHRASE"] = saved
    return report


def _simulate_site(settings, config, repository, payload, days, today) -> str:
    borg(settings, "init", "--encryption", "repokey-blake2", str(repository))
    for back in range(days - 1, -1, -1):
        day = today - timedelta(days=back)
        borg(
            settings,
            "create",
            "--timestamp",
            f"{day.isoformat()}T12:00:00",
            f"{repository}::{ARCHIVE_PREFIX}{day.isoformat()}T12:00:00",
            str(payload),
        )
    borgmatic(settings, str(repository), "prune", config=config)
    kept = sorted(
        a["name"][len(ARCHIVE_PREFIX) : len(ARCHIVE_PREFIX) + 10]
        for a in list_archives(settings, str(repository))
    )
    return (
        f"kept={len(kept)} oldest={kept[0] if kept else '-'} newest={kept[-1] if kept else '-'} "
        f"(keep_daily={KEEP_DAILY}, keep_monthly={KEEP_MONTHLY}, {days} days simulated)"
    )


# -- keys ---------------------------------------------------------------------------------


def export_keys(settings: Settings, directory: Path) -> Report:
    """Export each repository's key (borg key export): without it and the passphrase the
    backup cannot be read by anyone, including us."""
    write_borgmatic_config(settings)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    def work(site, repository):
        target = directory / f"depesche-site-{site}.borg-key"
        borg(settings, "key", "export", repository, str(target))
        target.chmod(0o600)
        return f"key exported to {target}: store it (and the passphrase) apart from the backups"

    return _each_site(settings, "export-keys", work)
