"""The batches are written in a thread of their own while the next is planned (D42): still
one transaction per batch in file order, the first failure ends the writing, the report and
the counters hold exactly the committed batches."""

import json
import threading
import time

import pytest

from app.audit.models import AuditEntry
from app.contacts.models import Person, PersonEmail
from app.transfer import services, writing
from app.transfer.models import ImportJob
from tests.transfer.helpers import import_file


def _csv(tmp_path, rows):
    path = tmp_path / "liste.csv"
    path.write_text("\n".join(["Nachname;E-Mail;Ort", *rows]) + "\n")
    return path


def _job(app, job):
    with app.app_context():
        return ImportJob.get_by_id(job)


def _writers():
    return [t.name for t in threading.enumerate() if t.name.startswith("import-writer")]


def _names(app):
    with app.app_context():
        return sorted(p.last_name for p in Person.select().where(Person.origin == "import"))


def test_batches_are_written_in_order_in_the_writer_thread(
    app, client, world, monkeypatch, tmp_path
):
    path = _csv(tmp_path, [f"Name{i};p{i}@beispiel.de;Bonn" for i in range(10)])
    monkeypatch.setattr(services, "BATCH_SIZE", 3)
    original, written = services.Importer.write, []

    def write(self, plan):
        written.append((threading.current_thread().name, plan.numbered_rows[0][0]))
        return original(self, plan)

    monkeypatch.setattr(services.Importer, "write", write)
    job = _job(app, import_file(client, world["alpha"].id, path))
    assert job.state == "done" and (job.created, job.processed) == (10, 10)
    assert sorted(row for _, row in written) == [2, 5, 8, 11]
    assert all(name.startswith("import-writer") for name, _ in written)
    with app.app_context():  # committed in file order, whichever writer wrote which batch
        batches = (
            AuditEntry.select()
            .where((AuditEntry.action == "import_job.batch") & (AuditEntry.target_id == job.id))
            .order_by(AuditEntry.seq)
        )
        created = [json.loads(entry.details)["created_ids"] for entry in batches]
    assert [len(ids) for ids in created] == [3, 3, 3, 1]
    assert sum(created, []) == sorted(sum(created, []))
    assert not _writers()


def test_a_failed_batch_is_the_last_written_even_when_the_next_one_was_planned(
    app, client, world, monkeypatch, tmp_path
):
    """The importer has planned and handed on rows 8-10 while rows 5-7 fail: they are
    never written, and the report names the failed batch."""
    path = _csv(tmp_path, [f"Name{i};p{i}@beispiel.de;Bonn" for i in range(12)])
    monkeypatch.setattr(services, "BATCH_SIZE", 3)
    next_planned = threading.Event()
    original_plan, original_write = services.Importer.plan, services.Importer.write
    original_create = services.Importer._create
    written = []

    def plan(self, numbered_rows, converted=None):
        result = original_plan(self, numbered_rows, converted)
        if numbered_rows[0][0] == 8:
            next_planned.set()
        return result

    def write(self, item):
        written.append(item.numbered_rows[0][0])
        return original_write(self, item)

    def create(self, creates, *ready):
        ids = original_create(self, creates, *ready)  # written, then rolled back with its batch
        if creates[0].number == 5:
            assert next_planned.wait(10)
            time.sleep(0.05)  # rows 8-10 are queued for the writer by now
            raise RuntimeError("disk full")
        return ids

    monkeypatch.setattr(services.Importer, "plan", plan)
    monkeypatch.setattr(services.Importer, "write", write)
    monkeypatch.setattr(services.Importer, "_create", create)
    job = _job(app, import_file(client, world["alpha"].id, path))
    assert job.state == "failed"
    assert "rows 5 to 7" in job.error and "RuntimeError" in job.error
    # PostgreSQL's second writer may have written rows 8-10 meanwhile: rolled back
    assert written[:2] == [2, 5] and set(written) <= {2, 5, 8}
    assert (job.created, job.processed) == (3, 3)
    assert _names(app) == ["Name0", "Name1", "Name2"]
    assert not _writers()


def test_a_batch_that_fails_before_the_writer_waits_for_the_batches_before_it(
    app, client, world, monkeypatch, tmp_path
):
    """Planning rows 5-7 fails while rows 2-4 are still being written: those are written
    first, and the failure reported is the planned batch's."""
    path = _csv(tmp_path, [f"Name{i};p{i}@beispiel.de;Bonn" for i in range(9)])
    monkeypatch.setattr(services, "BATCH_SIZE", 3)
    original_plan, original_write = services.Importer.plan, services.Importer.write

    def plan(self, numbered_rows, converted=None):
        if numbered_rows[0][0] == 5:
            raise LookupError("no database")
        return original_plan(self, numbered_rows, converted)

    def write(self, item):
        time.sleep(0.2)  # still writing when the next batch fails
        return original_write(self, item)

    monkeypatch.setattr(services.Importer, "plan", plan)
    monkeypatch.setattr(services.Importer, "write", write)
    job = _job(app, import_file(client, world["alpha"].id, path))
    assert job.state == "failed"
    assert "rows 5 to 7" in job.error and "LookupError" in job.error
    assert (job.created, job.processed) == (3, 3)
    assert _names(app) == ["Name0", "Name1", "Name2"]


def test_a_later_row_updates_a_person_whose_batch_is_still_being_written(
    app, client, world, monkeypatch, tmp_path
):
    """With "update", a row whose address was created by the batch before needs that
    person's id: the importer waits for the writer instead of guessing."""
    path = _csv(
        tmp_path,
        [
            "Sommer;sara@beispiel.de;Berlin",
            "Winter;w@beispiel.de;Bonn",
            "Sommer;sara@beispiel.de;Köln",
        ],
    )
    monkeypatch.setattr(services, "BATCH_SIZE", 2)
    original_write, settled = services.Importer.write, []

    def write(self, item):
        time.sleep(0.2)  # the next batch is planned meanwhile
        return original_write(self, item)

    def run_batches(job, importer, batches, writer):
        def settle():
            settled.append(True)
            writer.drain()

        importer.settle = settle
        return original_run(job, importer, batches, writer)

    original_run = services._run_batches
    monkeypatch.setattr(services.Importer, "write", write)
    monkeypatch.setattr(services, "_run_batches", run_batches)
    job = _job(app, import_file(client, world["alpha"].id, path, on_duplicate="update"))
    assert job.state == "done" and (job.created, job.updated) == (2, 1)
    assert settled
    with app.app_context():
        sara = Person.get(Person.last_name == "Sommer")
        assert (sara.city, sara.origin_row) == ("Köln", 4)
        assert PersonEmail.select().where(PersonEmail.address == "sara@beispiel.de").count() == 1


def test_a_writer_without_a_connection_fails_the_first_batch(
    app, client, world, monkeypatch, tmp_path
):
    from peewee import OperationalError

    from app.extensions import db

    path = _csv(tmp_path, [f"Name{i};p{i}@beispiel.de;Bonn" for i in range(5)])
    monkeypatch.setattr(services, "BATCH_SIZE", 3)
    original = db.obj.connect

    def connect(*args, **kwargs):
        if threading.current_thread().name.startswith("import-writer"):
            raise OperationalError("the server went away")
        return original(*args, **kwargs)

    monkeypatch.setattr(db.obj, "connect", connect)
    job = _job(app, import_file(client, world["alpha"].id, path))
    assert job.state == "failed"
    assert "rows 2 to 4" in job.error and "OperationalError" in job.error
    assert (job.created, job.processed) == (0, 0)
    assert _names(app) == []
    assert not _writers()


def _two_writers(app, write):
    """Items 0-3 through a BatchWriter with two writer threads; (items committed in the
    order they were, the WriteFailed raised or None)."""
    committed = []
    with app.test_request_context():
        try:
            with writing.BatchWriter(write, "de", committed.append, writers=2) as writer:
                write.turn = writer.turn
                for item in range(4):
                    writer.put(item)
                writer.drain()
        except writing.WriteFailed as failed:
            return committed, failed
    return committed, None


def test_two_writers_commit_in_order_whichever_is_done_first(app):
    def write(item):
        time.sleep(0.3 if item % 2 == 0 else 0)  # the odd items are ready first
        write.turn()

    committed, failed = _two_writers(app, write)
    assert failed is None and committed == [0, 1, 2, 3]


@pytest.mark.parametrize("also_failing", [None, 2])
def test_two_writers_stop_at_the_first_failure_in_file_order(app, also_failing):
    """Item 1 fails late, while item 2 (on the other writer) is done with its own work
    first — or fails even earlier: item 0 commits, item 1's failure is the one raised, and
    nothing after it commits."""

    def write(item):
        if item == 1:
            time.sleep(0.3)
            raise RuntimeError("disk full")
        if item == also_failing:
            raise LookupError("bad row")
        write.turn()

    committed, failed = _two_writers(app, write)
    assert committed == [0]
    assert failed is not None and failed.item == 1 and isinstance(failed.error, RuntimeError)
    assert not _writers()
