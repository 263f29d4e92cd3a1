"""The batches are written in a thread of their own while the next is planned (D42): still
one transaction per batch in file order, the first failure ends the writing, the report and
the counters hold exactly the committed batches."""

import threading
import time

from app.contacts.models import Person, PersonEmail
from app.transfer import services
from app.transfer.models import ImportJob
from tests.transfer.helpers import import_file


def _csv(tmp_path, rows):
    path = tmp_path / "liste.csv"
    path.write_text("\n".join(["Nachname;E-Mail;Ort", *rows]) + "\n")
    return path


def _job(app, job):
    with app.app_context():
        return ImportJob.get_by_id(job)


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
    assert written == [("import-writer", row) for row in (2, 5, 8, 11)]
    assert "import-writer" not in {t.name for t in threading.enumerate()}


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
    assert written == [2, 5]
    assert (job.created, job.processed) == (3, 3)
    assert _names(app) == ["Name0", "Name1", "Name2"]
    assert "import-writer" not in {t.name for t in threading.enumerate()}


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
        if threading.current_thread().name == "import-writer":
            raise OperationalError("the server went away")
        return original(*args, **kwargs)

    monkeypatch.setattr(db.obj, "connect", connect)
    job = _job(app, import_file(client, world["alpha"].id, path))
    assert job.state == "failed"
    assert "rows 2 to 4" in job.error and "OperationalError" in job.error
    assert (job.created, job.processed) == (0, 0)
    assert _names(app) == []
    assert "import-writer" not in {t.name for t in threading.enumerate()}
