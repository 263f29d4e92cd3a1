"""End of contract (SPEC S9): the hand-over export, the waiting period, the destruction of
the data and of both repositories, and the record that survives it."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.backup.helpers import needs_borg, run_tool

pytestmark = needs_borg


def _day(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%d")


def test_hand_over_wait_then_destroy_everything(disposable, tmp_path):
    record = tmp_path / "record" / "decommission.json"
    env = {**disposable, "DEPESCHE_BACKUP_DECOMMISSION_RECORD": str(record)}
    assert run_tool(env, "create").returncode == 0
    data_dir = Path(env["DEPESCHE_DATA_DIR"])

    scheduled = run_tool(env, "decommission", "--after", "28d", "--handover", str(tmp_path / "out"))
    assert scheduled.returncode == 0, scheduled.stderr + scheduled.stdout
    (export,) = (tmp_path / "out").glob("depesche-full-export-*.zip")
    with zipfile.ZipFile(export) as archive:
        names = archive.namelist()
        assert "README.txt" in names and "tables/person.csv" in names
    state = json.loads(record.read_text())
    assert state["state"] == "scheduled" and state["sites"] == ["A", "B"]
    assert "scheduled for" in scheduled.stdout

    again = run_tool(env, "decommission", "--after", "28d", "--handover", str(tmp_path / "out2"))
    assert again.returncode == 1 and "scheduled already" in again.stderr

    early = run_tool(env, "destroy", "--today", _day(10))
    assert early.returncode == 0 and "not due" in early.stdout
    sqlite_file = data_dir / "depesche.db"
    assert sqlite_file.exists()
    assert Path(env["DEPESCHE_BACKUP_SITE_A"]).exists()

    done = run_tool(env, "destroy", "--today", _day(29))
    assert done.returncode == 0, done.stderr + done.stdout
    assert "site A: deleted" in done.stdout and "site B: deleted" in done.stdout
    assert not Path(env["DEPESCHE_BACKUP_SITE_A"]).exists()
    assert not Path(env["DEPESCHE_BACKUP_SITE_B"]).exists()
    assert list(data_dir.iterdir()) == []
    assert not sqlite_file.exists()
    assert "database:" in done.stdout
    state = json.loads(record.read_text())
    assert state["state"] == "destroyed" and state["destroyed"]["site A"] == "deleted"
    assert [h["event"] for h in state["history"]] == ["scheduled", "destroyed"]
    shown = run_tool(env, "decommission", "--status")
    assert "state: destroyed" in shown.stdout and "destroyed:" in shown.stdout
    twice = run_tool(env, "destroy", "--today", _day(30))
    assert "nothing to destroy (destroyed)" in twice.stdout


def test_cancel_and_bad_input(disposable, tmp_path):
    record = tmp_path / "decommission.json"
    env = {**disposable, "DEPESCHE_BACKUP_DECOMMISSION_RECORD": str(record)}
    bad = run_tool(env, "decommission", "--after", "4w", "--handover", str(tmp_path / "out"))
    assert bad.returncode == 1 and "number of days such as 28d" in bad.stderr
    missing = run_tool(env, "decommission", "--after", "28d")
    assert missing.returncode != 0 and "--handover" in missing.stderr
    nothing = run_tool(env, "decommission", "--cancel")
    assert nothing.returncode == 1 and "no destruction is scheduled" in nothing.stderr
    assert (
        run_tool(env, "decommission", "--after", "1d", "--handover", str(tmp_path / "o")).returncode
        == 0
    )
    cancelled = run_tool(env, "decommission", "--cancel")
    assert cancelled.returncode == 0 and "cancelled" in cancelled.stdout
    later = run_tool(env, "destroy", "--today", _day(5))
    assert "nothing to destroy (cancelled)" in later.stdout
    assert Path(env["DEPESCHE_DATA_DIR"]).exists() and any(Path(env["DEPESCHE_DATA_DIR"]).iterdir())
