"""The dispatch tasks (SPEC M4, M5): a mailing goes out as a chain of batch tasks, each
queued with the mailing's priority; every minute, chains that should be moving and are
not (a queue lost, a crash) are restarted."""

from huey import crontab

from app.extensions import PRIORITY_PREMIUM, huey, task
from app.mailings import dispatch


@task()
def send_batch(mailing_id: int, token: str):
    """One batch of a mailing; queues the next one (the priority is given per call)."""
    dispatch.step(mailing_id, token)


@huey.periodic_task(crontab(minute="*"), priority=PRIORITY_PREMIUM)
def resume_stalled():
    resume_stalled_now()


@task(priority=PRIORITY_PREMIUM)
def resume_stalled_now():
    dispatch.pump()
