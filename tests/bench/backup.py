"""Backup and restore of an instance with 100,000 persons and 1 GB of files (issue 7):
the time of a backup to two sites, of a restore into a scratch directory, the archive's
size, and second backups after 1 % of the data changed, as a fraction of the first
(deduplication; goal: a small fraction, at most 0.15), each with where its time went; and
one such backup on the day of the week on which the daily run also compacts (and checks a
SQLite copy in full: `integrity_check`, on the other days `quick_check`).

Everything runs as an operator runs it — `depesche init-db`, `depesche demo-data`,
`backup/depesche-backup create|restore` as processes — on SQLite in a temporary directory,
then on PostgreSQL in a throw-away database when it answers; two local borg repositories
as the two sites. Skipped with a reason when borg or borgmatic is missing. The load
average is printed beside the figures: on a shared machine it explains their spread.

    python -m tests.bench.backup [PERSONS] [MEDIA_MB] [ROUNDS]
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "backup" / "depesche-backup"
FILE_MB = 16
SITE_LINE = re.compile(r"site (\w): ok: .* snapshot=([\d.]+)s (?:site|archive\+prune)=([\d.]+)s")


def _run(env, *args, timeout=3600) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    elapsed = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"{' '.join(args[:3])} failed:\n{done.stdout}\n{done.stderr}")
    return elapsed, done.stdout


def _depesche(env, *args):
    return _run(env, "-c", "from app.cli import main; main()", *args)


def _write_files(files_dir: Path, megabytes: int) -> None:
    """Incompressible files (random bytes), as photos and PDFs are, in the store's layout."""
    for _ in range(max(1, megabytes // FILE_MB)):
        digest = secrets.token_hex(32)
        path = files_dir / digest[:2] / digest
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as out:
            for _ in range(FILE_MB):
                out.write(os.urandom(1024 * 1024))


def _borg_json(env, *args) -> dict:
    done = subprocess.run(
        ["borg", *args, "--json"], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def _latest_stats(env, repository: Path) -> dict:
    name = _borg_json(env, "list", str(repository))["archives"][-1]["name"]
    return _borg_json(env, "info", f"{repository}::{name}")["archives"][0]["stats"]


def _steps(output: str) -> str:
    """Where a create's time went, from the tool's own report lines."""
    sites = SITE_LINE.findall(output)
    if not sites:
        return ""
    parts = [f"snapshot {float(sites[0][1]):.1f}"]
    parts += [f"site {site} {float(seconds):.1f}" for site, _, seconds in sites]
    return f"  ({', '.join(parts)} s; the sites side by side, from the start)"


def _change_one_percent(database_url: str, data_dir: Path, media_mb: int, round_: int) -> None:
    """A hundredth of the persons (other ones each round) and 1 % more files."""
    from app.extensions import make_database

    database = make_database(database_url)
    try:
        database.execute_sql(
            "UPDATE person SET notes = notes || ' (geändert)' WHERE mod(id, 100) = " + str(round_)
        )
    finally:
        database.close()
    _write_files(data_dir / "files", max(FILE_MB, media_mb // 100))


def _weekly_steps_due(data_dir: Path) -> None:
    """The status file as after a week without compacting and without a full SQLite
    integrity check (the daily run does both then)."""
    status_path = data_dir / "backup-status.json"
    status = json.loads(status_path.read_text())
    for entry in [*status.get("compact", {}).values(), status.get("integrity_check", {})]:
        entry["last_success"] = "2000-01-01T00:00:00+00:00"
    status_path.write_text(json.dumps(status))


def _load() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


def _one(backend: str, database_url: str | None, persons: int, media_mb: int, rounds: int):
    with tempfile.TemporaryDirectory(prefix="depesche-bench-backup-") as tmp:
        tmp = Path(tmp)
        data_dir = tmp / "data"
        site_a, site_b = tmp / "site-a" / "repo", tmp / "site-b" / "repo"
        env = {k: v for k, v in os.environ.items() if not k.startswith("DEPESCHE_")}
        env.update(
            LANG="C.UTF-8",
            DEPESCHE_DATA_DIR=str(data_dir),
            DEPESCHE_SECRET_KEY=secrets.token_hex(32),
            DEPESCHE_BACKUP_SITE_A=str(site_a),
            DEPESCHE_BACKUP_SITE_B=str(site_b),
            BORG_PASSPHRASE="bench-passphrase",
            BORG_BASE_DIR=str(tmp / "borg"),
            BORG_RELOCATED_REPO_ACCESS_IS_OK="yes",
            HOME=str(tmp / "home"),
        )
        if database_url:
            env["DEPESCHE_DATABASE_URL"] = database_url
        _depesche(env, "init-db")
        _depesche(env, "demo-data", "--contacts", str(persons))
        _write_files(data_dir / "files", media_mb)
        url = database_url or f"sqlite:///{data_dir / 'depesche.db'}"

        load_before = _load()
        first, first_out = _run(env, str(TOOL), "create")
        stats = _latest_stats(env, site_a)
        restore, restore_out = _run(
            env, str(TOOL), "restore", "latest", "--into", str(tmp / "restored")
        )
        if database_url:  # the restore's new database
            from backup.depesche_backup.operations import drop_postgres

            restored_url = restore_out.split("DEPESCHE_DATABASE_URL=")[1].split()[0]
            drop_postgres(restored_url)

        seconds = []
        print()
        print(
            f"backup ({backend}): {persons:,} persons, {media_mb:,} MB of files, two local "
            f"sites; load average {load_before}"
        )
        print(f"{'first backup (both sites)':<40}{first:>10.1f} s{_steps(first_out)}")
        print(f"{'restore into a scratch directory':<40}{restore:>10.1f} s")
        print(f"{'archive: original size':<40}{stats['original_size'] / 1024**3:>10.2f} GiB")
        print(f"{'archive: compressed':<40}{stats['compressed_size'] / 1024**3:>10.2f} GiB")
        stored = stats["deduplicated_size"] / 1024**3
        print(f"{'archive: stored (deduplicated)':<40}{stored:>10.2f} GiB")
        for round_ in range(rounds):
            _change_one_percent(url, data_dir, media_mb, round_)
            time.sleep(1)  # a new archive name (one per second)
            second, second_out = _run(env, str(TOOL), "create")
            seconds.append(second)
            stored = _latest_stats(env, site_a)["deduplicated_size"] / 1024**2
            label = f"second backup after 1 % changed ({round_ + 1})"
            print(f"{label:<40}{second:>10.1f} s{_steps(second_out)}, {stored:.0f} MiB new")
        # once a week the daily run also compacts (borg compact) and checks a SQLite copy
        # in full (integrity_check, not quick_check): such a day, as well
        _weekly_steps_due(data_dir)
        _change_one_percent(url, data_dir, media_mb, rounds)
        time.sleep(1)
        weekly, weekly_out = _run(env, str(TOOL), "create")
        assert weekly_out.count(" compacted") == 2, weekly_out
        label = "the same on the weekly day"
        print(
            f"{label:<40}{weekly:>10.1f} s{_steps(weekly_out)}  (compact, full check; "
            "not in the ratio)"
        )
        ratios = sorted(s / first for s in seconds)
        print(
            f"{'second / first backup (time)':<40}{statistics.median(ratios):>10.2f}"
            f"  (min {ratios[0]:.2f}, max {ratios[-1]:.2f}; load average now {_load()})"
        )


def main(persons: int = 100_000, media_mb: int = 1024, rounds: int = 3) -> None:
    missing = [tool for tool in ("borg", "borgmatic") if shutil.which(tool) is None]
    if missing:
        print(f"backup bench skipped: {', '.join(missing)} not installed")
        return
    from tests.bench.__main__ import postgres_database

    _one("SQLite", None, persons, media_mb, rounds)
    with postgres_database() as url:
        if url:
            _one("PostgreSQL", url, persons, media_mb, rounds)


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:4]))
