"""Boot the appliance's root file system with systemd-nspawn and run commands in it.

The container gets its own network namespace (`--private-network`: the appliance's
nftables rules must never land on the build machine) and a throw-away overlay over the
root file system (`--volatile=overlay`), so every boot is a first boot of a fresh machine
and the built root file system stays as built. Commands run in the container through
`nsenter` into its init process (no systemd-machined needed on the host).
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from pathlib import Path


class BootError(RuntimeError):
    pass


class Machine:
    def __init__(self, rootfs: Path, log_path: Path):
        self.rootfs = rootfs
        self.log_path = log_path
        self.name = f"depesche-test-{uuid.uuid4().hex[:6]}"
        self.process: subprocess.Popen | None = None
        self.leader: int | None = None

    def boot(self, timeout: float = 300) -> float:
        started = time.monotonic()
        self._log = log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                "systemd-nspawn",
                "--quiet",
                "--boot",
                "--directory",
                str(self.rootfs),
                "--machine",
                self.name,
                "--register=no",
                "--keep-unit",
                "--private-network",
                "--volatile=overlay",
                "--console=read-only",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise BootError(
                    f"systemd-nspawn ended ({self.process.returncode}): {self.console()}"
                )
            self.leader = self._find_leader()
            if self.leader:
                state = self.run("systemctl is-system-running --wait", timeout=timeout, check=False)
                if state.stdout.strip() in ("running", "degraded"):
                    return time.monotonic() - started
            time.sleep(1)
        raise BootError(f"no boot within {timeout} s: {self.console()}")

    def _find_leader(self) -> int | None:
        """The container's PID 1: the child of systemd-nspawn that runs systemd."""
        pid = self.process.pid
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                try:
                    exe = os.readlink(f"/proc/{child}/exe")
                except OSError:
                    continue
                if "systemd" in exe:
                    return int(child)
        return None

    def run(self, command: str, timeout: float = 120, check: bool = True):
        """Run `command` with /bin/sh inside the container, as root."""
        result = subprocess.run(
            [
                "nsenter",
                "--target",
                str(self.leader),
                "--mount",
                "--uts",
                "--ipc",
                "--net",
                "--pid",
                "--root",
                "--wd",
                "/usr/bin/env",
                "-i",
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "LANG=C.UTF-8",
                "/bin/sh",
                "-c",
                command,
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{command!r} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def console(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            if self.leader:
                self.run("systemctl poweroff", check=False, timeout=30)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "_log", None):
            self._log.close()


def wait_for_app(machine: Machine, timeout: float = 120) -> None:
    """Until the web unit is active and gunicorn answers /healthz with 200 (its unit is
    Type=simple: active comes before the app listens)."""
    machine.run(
        f"end=$(($(date +%s) + {int(timeout)})); while [ $(date +%s) -lt $end ]; do "
        "systemctl is-active -q depesche-web depesche-worker && "
        "/opt/depesche/venv/bin/python -c 'import urllib.request as u; "
        'u.urlopen("http://127.0.0.1:8000/healthz", timeout=5)\' 2>/dev/null && exit 0; '
        "sleep 1; done; systemctl status --no-pager depesche-web depesche-worker; exit 1",
        timeout=timeout + 30,
    )
