"""What imports leave behind is deleted in time (SPEC L3, GDPR storage limitation): an
upload abandoned in the wizard after a day, the file and the report's rows (rejected rows
hold personal data) 30 days after the import — the job stays with its counts; a job lost
with its worker counts as failed."""

from datetime import timedelta

from app.clock import utcnow
from app.files import path_for
from app.transfer.models import ImportIssue, ImportJob
from app.transfer.services import purge
from tests.transfer.helpers import DATA, columns, job_id, run, upload


def _imported(app, client, world):
    job = job_id(upload(client, world["alpha"].id, DATA / "german.csv"))
    assert columns(client, job).status_code == 302
    assert run(client, job).status_code == 302
    return job


def test_an_import_keeps_file_and_report_for_30_days_then_only_the_counts(app, client, world):
    job = _imported(app, client, world)
    with app.app_context():
        stored = ImportJob.get_by_id(job)
        digest = stored.file_sha256
        assert path_for(digest).exists() and ImportIssue.select().count() == 1
        assert purge(utcnow() + timedelta(days=29)) == {"abandoned": 0, "expired": 0, "stale": 0}
        assert path_for(digest).exists()
        assert purge(utcnow() + timedelta(days=31))["expired"] == 1
        assert not path_for(digest).exists()
        assert ImportIssue.select().count() == 0
        kept = ImportJob.get_by_id(job)
        assert kept.purged_at and (kept.created, kept.rejected) == (2, 1)
    page = client.get(f"/imports/{job}").get_data(as_text=True)
    assert "were deleted 30 days after the import" in page and "report.xlsx" not in page
    response = client.get(f"/imports/{job}/report.xlsx")
    assert response.status_code == 302
    assert "The report was deleted 30 days after the import." in client.get(
        f"/imports/{job}"
    ).get_data(as_text=True)


def test_abandoned_uploads_go_after_a_day_and_lost_jobs_fail(app, client, world):
    abandoned = job_id(upload(client, world["alpha"].id, DATA / "windows1252.csv"))
    lost = _imported(app, client, world)
    with app.app_context():
        digest = ImportJob.get_by_id(abandoned).file_sha256
        ImportJob.update(state="running", finished_at=None).where(ImportJob.id == lost).execute()
        assert purge(utcnow() + timedelta(hours=5)) == {"abandoned": 0, "expired": 0, "stale": 0}
        assert purge(utcnow() + timedelta(hours=23)) == {"abandoned": 0, "expired": 0, "stale": 1}
        assert purge(utcnow() + timedelta(hours=25))["abandoned"] == 1
        assert ImportJob.get_or_none(ImportJob.id == abandoned) is None
        assert not path_for(digest).exists()
        failed = ImportJob.get_by_id(lost)
        assert failed.state == "failed" and "interrupted" in failed.error
