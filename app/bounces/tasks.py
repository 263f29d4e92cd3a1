"""The periodic read of the bounce mailbox (SPEC M7), when DEPESCHE_BOUNCE_IMAP_URL is
set; and the daily purge of old intake records."""

import logging

from huey import crontab
from huey.exceptions import TaskLockedException

from app.bounces import services  # noqa: F401  (registers the "bounced" exclusion of recipients)
from app.extensions import PRIORITY_STANDARD, huey, task

log = logging.getLogger(__name__)
LOCK = "bounce-mailbox"


@huey.periodic_task(crontab(minute="*/5"), priority=PRIORITY_STANDARD)
def fetch_bounces_periodically():
    """Every five minutes: queue a read of the bounce mailbox, if there is one."""
    if huey.flask_app.config.get("BOUNCE_IMAP_URL"):
        fetch_bounces()


@task()
def fetch_bounces():
    """Read the mailbox once; a run still busy makes this one a no-op."""
    from app.bounces.mailbox import MailboxError, fetch

    try:
        with huey.lock_task(LOCK):
            result = fetch()
    except TaskLockedException:
        log.info("bounce mailbox: the previous run is still busy")
        return None
    except MailboxError as exc:
        log.warning("bounce mailbox: %s", exc)
        return None
    log.info("bounce mailbox: %s", result.summary())
    return result.summary()


@huey.periodic_task(crontab(minute="41", hour="3"), priority=PRIORITY_STANDARD)
def purge_bounce_records():
    purge_bounce_records_now()


@task()
def purge_bounce_records_now():
    from app.bounces.services import purge

    return purge()
