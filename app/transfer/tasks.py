"""The import runs in the worker (SPEC L3); the task takes the job's id only."""

from app.extensions import task


@task()
def run_import_task(job_id: int):
    from app.transfer.services import run_import

    job = run_import(job_id)
    return job.state if job else None
