"""The booted appliance for `make appliance-test` (tests marked `appliance`).

Skipped in `make test`: booting needs root, systemd-nspawn and a built root file system
(`make appliance`), and takes a minute. `make appliance-test` sets DEPESCHE_APPLIANCE_TEST;
then a missing root file system is a failure, not a skip.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.appliance.machine import Machine

ROOT = Path(__file__).resolve().parents[2]
ROOTFS = Path(os.environ.get("DEPESCHE_APPLIANCE_ROOTFS", ROOT / "build" / "appliance" / "rootfs"))


def _check_can_boot():
    if not os.environ.get("DEPESCHE_APPLIANCE_TEST"):
        pytest.skip("boots the appliance: run make appliance-test")
    if os.geteuid() != 0 or not shutil.which("systemd-nspawn"):
        pytest.skip("needs root and systemd-nspawn (Debian package systemd-container)")
    if not (ROOTFS / "opt" / "depesche" / "venv").is_dir():
        pytest.fail(f"no appliance root file system in {ROOTFS}: run make appliance first")


@pytest.fixture(scope="session")
def boot_machine(tmp_path_factory):
    """Boot a fresh machine from the root file system; each call is a new first boot."""
    machines = []

    def boot() -> Machine:
        _check_can_boot()
        machine = Machine(ROOTFS, tmp_path_factory.mktemp("nspawn") / "console.log")
        machines.append(machine)
        seconds = machine.boot()
        print(f"\nappliance booted in {seconds:.0f} s ({machine.name})")
        return machine

    yield boot
    for machine in machines:
        machine.stop()


@pytest.fixture(scope="session")
def machine(boot_machine):
    m = boot_machine()
    # The worker's periodic heartbeat and the first requests need the app up.
    m.run(
        "for i in $(seq 60); do systemctl is-active -q depesche-web && "
        "/opt/depesche/venv/bin/python -c 'import urllib.request as u; "
        'u.urlopen("http://127.0.0.1:8000/healthz", timeout=5)\' 2>/dev/null && exit 0; '
        "sleep 1; done; exit 1",
        timeout=90,
        check=False,
    )
    return m
