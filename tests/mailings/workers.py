"""A real worker process and a real SMTP sink process for the tests that need them (the
crash test, the priority test, the browser's mailing flow)."""

import signal
import socket
import subprocess
import sys
import time

import pytest

from app.extensions import huey
from tests.conftest import DEPESCHE  # noqa: F401 (the tests that start workers use it)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate, timeout=60.0, interval=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    return None


class Sink:
    """`python -m tests.sink` on a free port, logging to DIRECTORY/NAME.log."""

    def __init__(self, directory, *args, name="sink"):
        self.port = free_port()
        self.log = directory / f"{name}.log"
        self.log.touch()
        self.process = subprocess.Popen(  # noqa: S603 (our own module)
            [sys.executable, "-m", "tests.sink", str(self.port), str(self.log), *args],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "READY"

    def tokens(self) -> list[str]:
        return [line for line in self.log.read_text().splitlines() if line]

    def received(self) -> int:
        with open(self.log, "rb") as handle:
            return sum(1 for _ in handle)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process.stdout.close()


@pytest.fixture
def real_dispatch(app, cli_env, tmp_path):
    """The app's tasks go to the real queue; `start_worker()` runs `depesche worker` on the
    same database and queue, sending to a sink process."""
    huey.immediate = False
    huey.flush()
    workers = []
    sinks = []

    def sink(*args):
        made = Sink(tmp_path, *args)
        sinks.append(made)
        app.config["SMTP_URL"] = f"smtp://127.0.0.1:{made.port}"
        return made

    def start_worker(threads=2, batch=200):
        env = {
            **cli_env,
            "DEPESCHE_SMTP_URL": app.config["SMTP_URL"],
            "DEPESCHE_DISPATCH_BATCH": str(batch),
        }
        process = subprocess.Popen(  # noqa: S603 (our own command)
            [DEPESCHE, "worker", "--workers", str(threads), "--no-periodic"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        workers.append(process)
        return process

    yield sink, start_worker
    for process in workers:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
    for made in sinks:
        made.stop()
    huey.flush()
    huey.immediate = True
