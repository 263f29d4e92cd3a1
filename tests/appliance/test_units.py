"""The systemd units in systemd/: sandbox scores and the settings the appliance relies on.

Fast (offline `systemd-analyze security`, a second per unit), so it runs in `make test`;
the booted checks of the appliance are in test_booted.py (`make appliance-test`).
"""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "appliance" / "check-units.sh"
UNITS = sorted((ROOT / "systemd").glob("depesche-*.service"))

needs_analyze = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is not installed (Debian package systemd)",
)


def unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(ROOT / "systemd" / name)
    return parser


@needs_analyze
def test_every_unit_scores_at_most_two():
    result = subprocess.run(
        ["sh", str(SCRIPT), "--threshold", "2.0"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    scored = {line.split()[0]: float(line.split()[1]) for line in result.stdout.splitlines()}
    assert set(scored) == {u.name for u in UNITS}
    assert max(scored.values()) <= 2.0
    # the long-running app units reach the aim of 1.5
    for name in ("depesche-web.service", "depesche-worker.service"):
        assert scored[name] <= 1.5, (name, scored[name])


@needs_analyze
def test_check_fails_for_an_unsandboxed_unit(tmp_path):
    bare = tmp_path / "depesche-bare.service"
    bare.write_text("[Service]\nExecStart=/bin/true\n")
    result = subprocess.run(
        ["sh", str(SCRIPT), str(bare)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "depesche-bare.service" in result.stdout and "FAIL" in result.stdout


@pytest.mark.parametrize("name", ["depesche-web.service", "depesche-worker.service"])
def test_app_units_run_unprivileged_with_the_shared_data_directory(name):
    service = unit(name)["Service"]
    assert service["User"] == "depesche"
    assert service["StateDirectory"] == "depesche"
    assert service["MemoryDenyWriteExecute"] == "yes"
    assert service["IPAddressAllow"] == "localhost"
    assert service["ExecReload"].startswith("/bin/kill -HUP")


def test_worker_stops_gracefully_with_sigint():
    assert unit("depesche-worker.service")["Service"]["KillSignal"] == "SIGINT"


def test_firstboot_runs_once():
    section = unit("depesche-firstboot.service")["Unit"]
    assert section["ConditionPathExists"].startswith("!/var/lib/")
