"""The task queue on its real storage (SQLite file, or Redis in the services run)."""

import pytest

from app.extensions import PRIORITY_PREMIUM, PRIORITY_STANDARD, huey, task
from app.users.models import User
from tests import factories


@task()
def count_users():
    return User.select().count()


@task(priority=PRIORITY_PREMIUM)
def premium_job(n):
    return ("premium", n)


@task()
def standard_job(n):
    return ("standard", n)


@pytest.fixture
def real_queue(app):
    """Switch huey from immediate mode to the configured storage for one test."""
    huey.immediate = False
    huey.flush()
    yield huey
    huey.flush()
    huey.immediate = True


def test_premium_tasks_leave_the_queue_before_waiting_standard_ones(real_queue):
    assert PRIORITY_PREMIUM > PRIORITY_STANDARD
    for n in range(3):
        standard_job(n)
    premium_job(99)
    standard_job(3)
    order = []
    while (queued := real_queue.dequeue()) is not None:
        order.append(real_queue.execute(queued))
    assert order[0] == ("premium", 99)
    assert order[1:] == [("standard", n) for n in range(4)]  # FIFO within one priority


def test_task_runs_in_an_application_context_with_its_own_connection(app, real_queue):
    with app.app_context():
        factories.user()
        factories.user()
    result = count_users()
    queued = real_queue.dequeue()
    # executed outside any app context, as the consumer does
    assert real_queue.execute(queued) == 2
    assert result.get(preserve=True) == 2


def test_immediate_mode_runs_tasks_at_once(app_ctx):
    factories.user()
    assert count_users()() == 1
