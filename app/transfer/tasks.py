"""The import runs in the worker (SPEC L3); the task takes the job's id only."""

from huey import crontab

from app.extensions import huey, task


@task()
def run_import_task(job_id: int):
    from app.transfer.services import run_import

    job = run_import(job_id)
    return job.state if job else None


@task()
def purge_imports():
    from app.transfer.services import purge

    return purge()


@huey.periodic_task(crontab(minute="41", hour="3"))
def periodic_purge_imports():
    """Every night: abandoned uploads, and files and report rows older than 30 days."""
    purge_imports.call_local()
