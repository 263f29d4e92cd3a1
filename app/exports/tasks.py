"""The worker's export tasks: the full data export, and the hourly removal of old exports."""

from huey import crontab

from app.extensions import huey, task


@task()
def full_export(job_id: int):
    from app.exports.services import run_full_export

    run_full_export(job_id)


@task()
def purge_exports():
    from app.exports.services import purge

    return purge()


@huey.periodic_task(crontab(minute="23"))
def periodic_purge_exports():
    """Every hour: delete full exports older than seven days (docs/decisions.md D38)."""
    purge_exports.call_local()
