"""The worker's heartbeat: proves that a consumer takes tasks off the queue."""

import time

from huey import crontab

from app.extensions import huey

HEARTBEAT_KEY = "worker-heartbeat"


@huey.task(priority=0)
def heartbeat():
    """Record that a worker ran a task now (the periodic task and `depesche worker --check`)."""
    huey.put(HEARTBEAT_KEY, time.time())
    return True


@huey.periodic_task(crontab(minute="*"))
def periodic_heartbeat():
    heartbeat.call_local()


def last_heartbeat() -> float | None:
    """Seconds since the epoch of the last heartbeat, or None if no worker ever ran."""
    return huey.get(HEARTBEAT_KEY, peek=True)
