"""Dispatch by real worker processes (`depesche worker`) to a real SMTP sink in its own
process (SPEC M4, M5): a worker killed with SIGKILL in the middle of a mailing, then
restarted, loses no recipient and sends no one the message twice — the recipient caught
in its SMTP transaction is reported "uncertain"; and a premium mailing overtakes a
standard one that is already running."""

import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from app.extensions import huey
from app.mailings import dispatch
from app.mailings.models import Mailing, MailingRecipient
from app.users.models import User
from tests.mailings.conftest import make_ready

DEPESCHE = str(Path(sys.executable).with_name("depesche"))


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(predicate, timeout=60.0, interval=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    return None


class Sink:
    def __init__(self, tmp_path, *args):
        self.port = _free_port()
        self.log = tmp_path / "sink.log"
        self.log.touch()
        self.process = subprocess.Popen(  # noqa: S603 (our own module)
            [sys.executable, "-m", "tests.sink", str(self.port), str(self.log), *args],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "READY"

    def tokens(self) -> list[str]:
        return [line for line in self.log.read_text().splitlines() if line]

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


def _start(app, world, mailing_id):
    with app.app_context():
        return dispatch.start(User.get_by_id(world["user"].id), mailing_id)


def _mailing_state(app, mailing_id):
    with app.app_context():
        return Mailing.get_by_id(mailing_id).state


def test_sigkill_mid_mailing_loses_no_one_and_sends_no_one_twice(app, world, real_dispatch):
    sink, start_worker = real_dispatch
    total, kill_at = 40, 13
    mailing_id, _, _ = make_ready(app, world, count=total)
    relay = sink("--pause-at", str(kill_at), "--pause", "5")
    _start(app, world, mailing_id)
    worker = start_worker()
    # the relay has the 13th message and holds its answer: kill the worker now
    assert _wait_for(lambda: len(relay.tokens()) >= kill_at), "the worker sent nothing"
    worker.send_signal(signal.SIGKILL)
    worker.communicate(timeout=20)
    with app.app_context():
        states = Counter(
            r.state
            for r in MailingRecipient.select().where(MailingRecipient.mailing == mailing_id)
        )
    # in flight: the held message, and perhaps one on the worker's second connection
    in_flight = states["sending"]
    assert 1 <= in_flight <= app.config["DISPATCH_CONNECTIONS"], states
    start_worker()  # the restarted consumer recovers and resumes
    assert _wait_for(lambda: _mailing_state(app, mailing_id) == "sent", timeout=90)
    received = Counter(relay.tokens())
    with app.app_context():
        rows = list(MailingRecipient.select().where(MailingRecipient.mailing == mailing_id))
    by_state = Counter(r.state for r in rows)
    assert by_state == {"sent": total - in_flight, "uncertain": in_flight}
    assert max(received.values()) == 1  # nobody got the message twice
    for row in rows:
        if row.state == "sent":  # everyone else got it exactly once: nobody lost
            assert received[row.token] == 1
        else:  # caught mid-transaction: the relay has it at most once
            assert received[row.token] <= 1
    held = relay.tokens()[kill_at - 1]
    assert next(r for r in rows if r.token == held).state == "uncertain"


def test_premium_overtakes_a_running_standard_mailing(app, world, real_dispatch):
    sink, start_worker = real_dispatch
    standard_id, _, _ = make_ready(app, world, count=12, subject="Standard")
    premium_id, _, _ = make_ready(app, world, count=4, subject="Premium", priority="premium")
    relay = sink("--delay", "0.05")
    start_worker(threads=2, batch=2)
    _start(app, world, standard_id)
    assert _wait_for(lambda: len(relay.tokens()) >= 2)
    _start(app, world, premium_id)
    assert _wait_for(
        lambda: (
            _mailing_state(app, standard_id) == "sent" and _mailing_state(app, premium_id) == "sent"
        ),
        timeout=90,
    )
    with app.app_context():
        premium_tokens = {
            r.token for r in MailingRecipient.select().where(MailingRecipient.mailing == premium_id)
        }
    order = ["P" if token in premium_tokens else "S" for token in relay.tokens()]
    first, last = order.index("P"), len(order) - 1 - order[::-1].index("P")
    assert order[first : last + 1] == ["P"] * 4, order  # once begun, nothing in between
    assert order[last + 1 :], order  # and the standard mailing was still waiting
    assert first <= 6, order  # at most the standard batches already under way went first
