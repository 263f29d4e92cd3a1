"""Backup and restore of an instance with 100,000 persons and 1 GB of files (issue 7):
the time of a backup, of a restore into a scratch directory, the archive's size, and a
second backup after 1 % of the data changed, as a fraction of the first (deduplication).

Everything runs as an operator runs it — `depesche init-db`, `depesche demo-data`,
`backup/depesche-backup create|restore` as processes — on SQLite in a temporary directory,
with one local borg repository. Skipped with a reason when borg or borgmatic is missing.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "backup" / "depesche-backup"
FILE_MB = 16


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


def _archives(env, repository: Path) -> list[dict]:
    done = subprocess.run(
        ["borg", "list", "--json", str(repository)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)["archives"]


def _info(env, repository: Path, archive: str) -> dict:
    done = subprocess.run(
        ["borg", "info", "--json", f"{repository}::{archive}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)["archives"][0]["stats"]


def main(persons: int = 100_000, media_mb: int = 1024) -> None:
    missing = [tool for tool in ("borg", "borgmatic") if shutil.which(tool) is None]
    if missing:
        print(f"backup bench skipped: {', '.join(missing)} not installed")
        return
    with tempfile.TemporaryDirectory(prefix="depesche-bench-backup-") as tmp:
        tmp = Path(tmp)
        data_dir, repository = tmp / "data", tmp / "site-a" / "repo"
        env = {k: v for k, v in os.environ.items() if not k.startswith("DEPESCHE_")}
        env.update(
            LANG="C.UTF-8",
            DEPESCHE_DATA_DIR=str(data_dir),
            DEPESCHE_SECRET_KEY=secrets.token_hex(32),
            DEPESCHE_BACKUP_SITE_A=str(repository),
            BORG_PASSPHRASE="bench-passphrase",
            BORG_BASE_DIR=str(tmp / "borg"),
            BORG_RELOCATED_REPO_ACCESS_IS_OK="yes",
            HOME=str(tmp / "home"),
        )
        _depesche(env, "init-db")
        _depesche(env, "demo-data", "--contacts", str(persons))
        _write_files(data_dir / "files", media_mb)

        first, _ = _run(env, str(TOOL), "create")
        archive = _archives(env, repository)[-1]["name"]
        stats = _info(env, repository, archive)
        restore, _ = _run(env, str(TOOL), "restore", archive, "--into", str(tmp / "restored"))

        # 1 % of the data changes: a hundredth of the persons and 1 % more files
        with sqlite3.connect(data_dir / "depesche.db") as conn:
            conn.execute("UPDATE person SET notes = notes || ' (geändert)' WHERE id % 100 = 0")
        _write_files(data_dir / "files", max(FILE_MB, media_mb // 100))
        time.sleep(1)  # a new archive name (one per second)
        second, _ = _run(env, str(TOOL), "create")
        archive2 = _archives(env, repository)[-1]["name"]
        stats2 = _info(env, repository, archive2)

    gib = 1024**3
    print()
    print(f"backup: {persons:,} persons, {media_mb:,} MB of files (SQLite, one local site)")
    print(f"{'first backup':<40}{first:>10.1f} s")
    print(f"{'restore into a scratch directory':<40}{restore:>10.1f} s")
    print(f"{'archive: original size':<40}{stats['original_size'] / gib:>10.2f} GiB")
    print(f"{'archive: compressed':<40}{stats['compressed_size'] / gib:>10.2f} GiB")
    print(f"{'archive: stored (deduplicated)':<40}{stats['deduplicated_size'] / gib:>10.2f} GiB")
    print(f"{'second backup after 1 % changed':<40}{second:>10.1f} s")
    print(f"{'  new data stored by it':<40}{stats2['deduplicated_size'] / 1024**2:>10.1f} MiB")
    print(f"{'second / first backup (time)':<40}{second / first:>10.2f}")


if __name__ == "__main__":
    main()
