"""The two sites of a backup run side by side (issue 7: a failure of one site never stops
the other), and each daily run archives the one snapshot taken for both; compacting is
weekly. The first test needs no borg: it drives the runner of the sites directly."""

from __future__ import annotations

import json
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.backup.helpers import needs_borg, run_tool, tool_settings


def test_sites_run_side_by_side_and_one_failing_never_stops_the_other(tmp_path):
    """Site A can only finish once site B has started, and fails; B can only finish once A
    has started: run one after the other, A would wait in vain. Meanwhile (the snapshot)
    runs in the calling thread while both wait."""
    from backup.depesche_backup.operations import _each_site
    from backup.depesche_backup.settings import BackupError, Settings

    settings = Settings(
        data_dir=tmp_path, database_url="sqlite:///x", secret_key="", sites={"A": "a", "B": "b"}
    )
    started = {site: threading.Event() for site in settings.sites}
    meanwhile_ran = threading.Event()

    def work(site, repository):
        started[site].set()
        other = "B" if site == "A" else "A"
        if not started[other].wait(timeout=20):
            raise BackupError(f"site {other} did not run beside site {site}")
        if not meanwhile_ran.wait(timeout=20):
            raise BackupError("the snapshot did not run beside the sites")
        if site == "A":
            raise BackupError("disk full (simulated)")
        return "archive made"

    report = _each_site(settings, "create", work, meanwhile=meanwhile_ran.set)
    assert report.lines() == [
        "site A: FAILED: a: disk full (simulated)",
        "site B: ok: archive made",
    ]
    status = json.loads((tmp_path / "backup-status.json").read_text())
    assert status["create"]["A"]["last_result"] == "failed"
    assert status["create"]["B"]["last_result"] == "ok"


def _manifest(env, repository: str) -> dict:
    name = json.loads(
        subprocess.run(
            ["borg", "list", "--json", repository], env=env, capture_output=True, check=True
        ).stdout
    )["archives"][-1]["name"]
    extracted = subprocess.run(
        ["borg", "extract", "--stdout", f"{repository}::{name}", "snapshot/manifest.json"],
        env=env,
        capture_output=True,
        check=True,
    )
    return json.loads(extracted.stdout)


@needs_borg
def test_both_sites_archive_the_same_snapshot_and_compact_weekly(instance):
    """One snapshot (one SQLite copy or one pg_dump) for both sites: their archives hold
    the same manifest. borg compact runs on the first backup and then once a week, not on
    every daily backup; prune runs every day."""
    created = run_tool(instance, "create")
    assert created.returncode == 0, created.stdout + created.stderr
    assert created.stdout.count(" compacted") == 2, created.stdout
    site_a, site_b = instance["DEPESCHE_BACKUP_SITE_A"], instance["DEPESCHE_BACKUP_SITE_B"]
    assert _manifest(instance, site_a) == _manifest(instance, site_b)

    status_path = Path(instance["DEPESCHE_DATA_DIR"]) / "backup-status.json"
    compacted = json.loads(status_path.read_text())["compact"]
    again = run_tool(instance, "create")
    assert again.returncode == 0, again.stdout + again.stderr
    assert " compacted" not in again.stdout, "compacted again the next day"
    assert json.loads(status_path.read_text())["compact"] == compacted

    status = json.loads(status_path.read_text())
    week_ago = (datetime.now(UTC) - timedelta(days=7)).isoformat(timespec="seconds")
    status["compact"]["A"]["last_success"] = week_ago
    status_path.write_text(json.dumps(status))
    weekly = run_tool(instance, "create")
    assert weekly.returncode == 0, weekly.stdout + weekly.stderr
    lines = weekly.stdout.splitlines()
    assert any(line.startswith("site A: ok") and "compacted" in line for line in lines)
    assert not any(line.startswith("site B") and "compacted" in line for line in lines)


@needs_borg
def test_a_failed_snapshot_leaves_no_archive_at_either_site(instance, monkeypatch):
    """The sites start before the snapshot is complete; when it fails, neither archives
    anything (their runs wait for its verdict and stop) and both say why."""
    from backup.depesche_backup import operations, snapshot
    from backup.depesche_backup.settings import BackupError, list_archives

    def broken(settings, full_check=True):
        raise BackupError("SQLite integrity check of the copy failed (simulated)")

    monkeypatch.setattr(snapshot, "make_snapshot", broken)
    settings = tool_settings(instance)
    report = operations.create(settings)
    assert not report.ok
    for line in report.lines():
        assert "FAILED" in line and "snapshot failed: SQLite integrity check" in line, line
    for repository in settings.sites.values():
        assert list_archives(settings, repository) == []
    assert not (settings.work_dir / "snapshot-ready").exists()
