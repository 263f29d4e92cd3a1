"""The booted appliance for `make appliance-test` (tests marked `appliance`).

Skipped in `make test`: booting needs root, systemd-nspawn and a built root file system
(`make appliance`), and takes a minute. `make appliance-test` sets DEPESCHE_APPLIANCE_TEST;
then nothing is skipped for want of root, a tool or the root file system: each of those is
a failure, so that CI (which runs it) can never pass without booting the appliance.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.appliance.machine import Machine, wait_for_app

ROOT = Path(__file__).resolve().parents[2]
ROOTFS = Path(os.environ.get("DEPESCHE_APPLIANCE_ROOTFS", ROOT / "build" / "appliance" / "rootfs"))


def _check_can_boot():
    if not os.environ.get("DEPESCHE_APPLIANCE_TEST"):
        pytest.skip("boots the appliance: run make appliance-test")
    if os.geteuid() != 0:
        pytest.fail("make appliance-test needs root (systemd-nspawn, nsenter)")
    if not shutil.which("systemd-nspawn"):
        pytest.fail("systemd-nspawn is missing: make appliance-deps (systemd-container)")
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
    wait_for_app(m)
    return m
