"""Site B on another machine, reached over SSH (SPEC O4 "two sites"): a throw-away sshd of
the test's own on localhost, borg serve on the far side. Runs on SQLite, and on PostgreSQL
when DEPESCHE_TEST_POSTGRES is set."""

from __future__ import annotations

import json
from pathlib import Path

from tests.backup.helpers import needs_borg, run_tool

pytestmark = needs_borg


def test_site_b_over_ssh_and_down(instance, ssh_site, tmp_path):
    """create, list, check, restore and drill go through SSH; with the SSH server down,
    site A still gets its backup, and site B's failure is reported and recorded."""
    repository = tmp_path / "far-away" / "repo"
    env = {**instance, **ssh_site.env, "DEPESCHE_BACKUP_SITE_B": ssh_site.url(repository)}

    created = run_tool(env, "create")
    assert created.returncode == 0, created.stdout + created.stderr
    assert "site B: ok: archive depesche-" in created.stdout
    assert (repository / "config").is_file(), "the repository is where the SSH URL points"
    assert "Accepted publickey" in ssh_site.log.read_text(), "borg came in through the sshd"

    listed = run_tool(env, "list")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert listed.stdout.count("1 archives") == 2
    checked = run_tool(env, "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "site B: ok: ssh://" in checked.stdout

    into = tmp_path / "restored"
    restored = run_tool(env, "restore", "latest", "--site", "B", "--into", str(into))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "from site B (ssh://" in restored.stdout
    assert "equal the manifest" in restored.stdout
    url = restored.stdout.split("DEPESCHE_DATABASE_URL=")[1].split()[0]
    if not url.startswith("sqlite:"):
        from backup.depesche_backup.operations import drop_postgres

        drop_postgres(url)

    drilled = run_tool(env, "drill", timeout=600)
    assert drilled.returncode == 0, drilled.stdout + drilled.stderr
    assert drilled.stdout.count("verdict=ok") == 2

    ssh_site.stop()
    down = run_tool(env, "create")
    assert down.returncode == 1
    assert "site A: ok: archive depesche-" in down.stdout
    assert f"site B: FAILED: {ssh_site.url(repository)}: " in down.stdout
    # the line says why. borg passes on ssh's "Connection refused" when it reads ssh's
    # stderr before it sees the connection end; under load it may see the end first and
    # then gives only its own words (a race inside borg's RemoteRepository, seen in CI)
    reason = down.stdout.split(f"site B: FAILED: {ssh_site.url(repository)}: ")[1]
    assert "Connection refused" in reason or reason.startswith(
        "Connection closed by remote host"
    ), reason
    status = json.loads((Path(env["DEPESCHE_DATA_DIR"]) / "backup-status.json").read_text())
    assert status["create"]["A"]["last_result"] == "ok"
    assert status["create"]["B"]["last_result"] == "failed"
    assert status["create"]["B"]["last_success"] < status["create"]["B"]["last_run"]
    listed = run_tool(env, "list")
    assert "site A: ok: 2 archives" in listed.stdout
    assert "site B: FAILED" in listed.stdout
