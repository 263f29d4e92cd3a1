"""End of contract (SPEC S9): hand over the organisation's data, then destroy every copy
after a waiting period, with a record of what was destroyed when.

`decommission --after 28d --handover DIR` writes the full data export (the app's own,
`depesche export-all`) into DIR for the customer and schedules the destruction;
`destroy` (run daily by depesche-decommission.timer, or by hand) does nothing before the
date and then deletes both backup repositories, the data directory's contents and the
database, appending to the record. The record lives outside the data directory (setting
`decommission_record`, default next to it), so that it survives the destruction it
describes; `decommission --cancel` withdraws a schedule that has not run yet.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess  # nosec B404 (the app's own command line)
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from backup.depesche_backup.settings import BackupError, Settings, borg, repository_exists

PERIOD = re.compile(r"^(\d{1,4})d$")


def record_path(settings: Settings) -> Path:
    return settings.decommission_record


def read_record(settings: Settings) -> dict:
    try:
        return json.loads(record_path(settings).read_text())
    except (OSError, ValueError):
        return {}


def _write_record(settings: Settings, record: dict) -> None:
    path = record_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".tmp")
    temp.write_text(json.dumps(record, indent=2, sort_keys=True))
    os.chmod(temp, 0o600)
    temp.replace(path)


def parse_period(text: str) -> timedelta:
    match = PERIOD.match(text or "")
    if not match or int(match.group(1)) < 1:
        raise BackupError(f"--after takes a number of days such as 28d, not {text!r}")
    return timedelta(days=int(match.group(1)))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def schedule(settings: Settings, after: str, handover: Path, now: datetime | None = None):
    """Write the hand-over export and schedule the destruction; returns the lines to print."""
    now = now or datetime.now(UTC)
    wait = parse_period(after)
    existing = read_record(settings)
    if existing.get("state") == "scheduled":
        raise BackupError(
            f"a destruction is scheduled already for {existing['destroy_after']}; "
            "cancel it first (decommission --cancel)"
        )
    if existing.get("state") == "destroyed":
        raise BackupError(f"this instance was destroyed on {existing['destroyed_at']}")
    handover.mkdir(parents=True, exist_ok=True)
    target = handover / f"depesche-full-export-{now:%Y-%m-%d}.zip"
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "from app.cli import main; main()", "export-all", str(target)],
        capture_output=True,
        text=True,
        env=dict(os.environ),
    )
    if done.returncode != 0:
        raise BackupError(f"the full export failed: {(done.stderr or done.stdout).strip()}")
    destroy_after = now + wait
    record = {
        "state": "scheduled",
        "requested_at": now.isoformat(timespec="seconds"),
        "destroy_after": destroy_after.isoformat(timespec="seconds"),
        "handover": {
            "file": str(target),
            "sha256": _sha256(target),
            "bytes": target.stat().st_size,
        },
        "data_dir": str(settings.data_dir),
        "database": "sqlite" if settings.is_sqlite else "postgresql",
        "sites": sorted(settings.sites),
        "history": [{"at": now.isoformat(timespec="seconds"), "event": "scheduled"}],
    }
    _write_record(settings, record)
    return [
        f"hand-over export: {target} (sha256 {record['handover']['sha256']})",
        f"destruction of the data and of the backups at sites "
        f"{', '.join(record['sites']) or '(none)'} scheduled for {record['destroy_after']}",
        f"record: {record_path(settings)}",
    ]


def cancel(settings: Settings, now: datetime | None = None) -> list[str]:
    now = now or datetime.now(UTC)
    record = read_record(settings)
    if record.get("state") != "scheduled":
        raise BackupError("no destruction is scheduled")
    record["state"] = "cancelled"
    record["history"].append({"at": now.isoformat(timespec="seconds"), "event": "cancelled"})
    _write_record(settings, record)
    return [f"the destruction scheduled for {record['destroy_after']} is cancelled"]


def status(settings: Settings) -> list[str]:
    record = read_record(settings)
    if not record:
        return ["no decommissioning requested"]
    lines = [f"state: {record['state']}", f"requested: {record['requested_at']}"]
    if record["state"] == "scheduled":
        lines.append(f"destroy after: {record['destroy_after']}")
    if record.get("destroyed_at"):
        lines.append(f"destroyed: {record['destroyed_at']}")
    lines.append(f"hand-over: {record['handover']['file']} (sha256 {record['handover']['sha256']})")
    return lines


def _wipe_directory(path: Path) -> int:
    """Delete everything inside the data directory (the directory itself stays, owned by
    the service); returns the number of files removed."""
    count = 0
    if not path.exists():
        return 0
    for child in path.iterdir():
        if child.is_dir() and not child.is_symlink():
            count += sum(1 for _ in child.rglob("*") if _.is_file())
            shutil.rmtree(child)
        else:
            child.unlink()
            count += 1
    return count


def destroy(settings: Settings, now: datetime | None = None) -> tuple[bool, list[str]]:
    """Destroy everything when the scheduled date has come; (done, lines)."""
    from backup.depesche_backup.operations import drop_postgres
    from backup.depesche_backup.snapshot import sqlite_path

    now = now or datetime.now(UTC)
    record = read_record(settings)
    if record.get("state") != "scheduled":
        return False, [
            f"nothing to destroy ({record.get('state', 'no decommissioning requested')})"
        ]
    due = datetime.fromisoformat(record["destroy_after"])
    if now < due:
        return False, [f"not due: the destruction is scheduled for {record['destroy_after']}"]
    from backup.depesche_backup.operations import APP_UNITS, _unit_exists

    destroyed, lines = {}, []
    for unit in (u for u in APP_UNITS if _unit_exists(u)):
        subprocess.run(["systemctl", "stop", unit], check=False)  # noqa: S603, S607
        lines.append(f"stopped {unit}")
    for site, repository in sorted(settings.sites.items()):
        try:
            if repository_exists(settings, repository):
                borg(settings, "delete", "--force", repository)
            destroyed[f"site {site}"] = "deleted"
        except BackupError as exc:
            destroyed[f"site {site}"] = f"FAILED: {exc}"
        lines.append(f"site {site}: {destroyed[f'site {site}']}")
    if settings.is_sqlite:
        database = Path(sqlite_path(settings.database_url))
        for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
            path.unlink(missing_ok=True)
        destroyed["database"] = f"{database} deleted"
        lines.append(f"database: {destroyed['database']}")
    else:
        try:
            drop_postgres(settings.database_url)
            destroyed["database"] = "dropped"
        except Exception as exc:  # the record says what could not be destroyed
            destroyed["database"] = f"FAILED: {exc}"
        lines.append(f"database: {destroyed['database']}")
    removed = _wipe_directory(settings.data_dir)
    destroyed["data_dir"] = f"{removed} files removed"
    lines.append(f"data directory {settings.data_dir}: {removed} files removed")
    failed = any(str(v).startswith("FAILED") for v in destroyed.values())
    record["state"] = "destroyed" if not failed else "scheduled"
    record["destroyed_at"] = now.isoformat(timespec="seconds")
    record["destroyed"] = destroyed
    record["history"].append(
        {"at": now.isoformat(timespec="seconds"), "event": "destroyed", "what": destroyed}
    )
    _write_record(settings, record)
    lines.append(f"record: {record_path(settings)}")
    return not failed, lines
