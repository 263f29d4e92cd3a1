"""Dispatch by real worker processes (`depesche worker`) to a real SMTP sink in its own
process (SPEC M4, M5): a worker killed with SIGKILL in the middle of a mailing, then
restarted, loses no recipient and sends no one the message twice — the recipient caught
in its SMTP transaction is reported "uncertain"; and a premium mailing overtakes a
standard one that is already running."""

import signal
from collections import Counter

from app.mailings import dispatch
from app.mailings.models import Mailing, MailingRecipient
from app.users.models import User
from tests.mailings.conftest import make_ready
from tests.mailings.workers import wait_for


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
    assert wait_for(lambda: len(relay.tokens()) >= kill_at), "the worker sent nothing"
    worker.send_signal(signal.SIGKILL)
    worker.communicate(timeout=20)
    with app.app_context():
        states = Counter(
            r.state for r in MailingRecipient.select().where(MailingRecipient.mailing == mailing_id)
        )
    # in flight: the held message, and perhaps one on the worker's second connection
    in_flight = states["sending"]
    assert 1 <= in_flight <= app.config["DISPATCH_CONNECTIONS"], states
    start_worker()  # the restarted consumer recovers and resumes
    assert wait_for(lambda: _mailing_state(app, mailing_id) == "sent", timeout=90)
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
    assert wait_for(lambda: len(relay.tokens()) >= 2)
    _start(app, world, premium_id)
    assert wait_for(
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
