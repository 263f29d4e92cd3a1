"""The raw disk image boots to the login prompt in a software-emulated PC (qemu, no KVM).

Slower than the nspawn checks (a few minutes with TCG); part of `make appliance-test`.
The image is opened with snapshot=on: the boot changes nothing in it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.appliance

ROOT = Path(__file__).resolve().parents[2]
IMAGE = Path(
    os.environ.get("DEPESCHE_APPLIANCE_IMAGE", ROOT / "build" / "appliance" / "depesche.raw")
)
QEMU = "qemu-system-x86_64"


def test_disk_image_boots_to_the_login_prompt(tmp_path):
    if not os.environ.get("DEPESCHE_APPLIANCE_TEST"):
        pytest.skip("boots the appliance: run make appliance-test")
    if not shutil.which(QEMU):
        pytest.fail("qemu-system-x86_64 is missing: make appliance-deps (qemu-system-x86)")
    if not IMAGE.exists():
        pytest.fail(f"no disk image {IMAGE}: run make appliance first")
    serial = tmp_path / "serial.log"
    errors = tmp_path / "qemu.err"
    # tcg by default: it boots in about a minute, and a nested /dev/kvm may exist and fail
    accel = os.environ.get("DEPESCHE_APPLIANCE_QEMU_ACCEL", "tcg")
    with errors.open("wb") as err:
        qemu = subprocess.Popen(
        [QEMU, "-machine", f"pc,accel={accel}", "-m", "1536", "-smp", "2", "-nodefaults",
         "-display", "none", "-serial", f"file:{serial}", "-no-reboot",
         "-drive", f"file={IMAGE},format=raw,if=virtio,snapshot=on",
         "-netdev", "user,id=n0,restrict=on", "-device", "virtio-net-pci,netdev=n0"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
    )  # fmt: skip
    started = time.monotonic()
    try:
        while time.monotonic() - started < 900:
            text = serial.read_text(errors="replace") if serial.exists() else ""
            if "login:" in text:
                break
            assert qemu.poll() is None, f"qemu ended: {errors.read_text()}\n{text[-3000:]}"
            time.sleep(2)
        else:
            pytest.fail(f"no login prompt within 900 s ({accel}):\n{text[-3000:]}")
    finally:
        qemu.kill()
        qemu.wait()
    print(f"\nqemu ({accel}) reached the login prompt in {time.monotonic() - started:.0f} s")
    assert "depesche login:" in text  # our system, by its host name
