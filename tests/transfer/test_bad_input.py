"""Bad input (issue 5), each with a real file from tests/data/ (tests/data/make_files.py
writes them; the large ones are written here into tmp_path): a clear message or a per-row
rejection, nothing half-imported without a report, the database consistent."""

import io
import time
import tracemalloc

import pytest
from python_calamine import CalamineWorkbook, XmlError

from app.contacts.models import Person
from app.transfer import services
from app.transfer.models import ImportIssue, ImportJob
from tests.conftest import csrf_token
from tests.data.make_files import million_rows
from tests.transfer.helpers import (
    DATA,
    columns,
    import_file,
    job_id,
    post_closing,
    run,
    upload,
)


def _refused(app, client, world, path, message, status=422):
    response = upload(client, world["alpha"].id, path)
    text = response.get_data(as_text=True)
    assert response.status_code == status, text[:2000]
    assert message in text
    with app.app_context():
        assert ImportJob.select().count() == 0
        assert Person.select().where(Person.origin == "import").count() == 0
    return text


def _job(app, job):
    with app.app_context():
        return ImportJob.get_by_id(job)


def _persons(app, **where):
    with app.app_context():
        query = Person.select().where(Person.origin == "import")
        return {p.last_name: p for p in query}


def test_a_picture_named_xlsx_is_not_a_spreadsheet(app, client, world):
    _refused(
        app,
        client,
        world,
        DATA / "not_a_spreadsheet.xlsx",
        "The file is not an Excel workbook (.xlsx) or a CSV file.",
    )


def test_an_encrypted_workbook_is_named_as_such(app, client, world):
    _refused(app, client, world, DATA / "encrypted.xlsx", "The file is an encrypted workbook")


@pytest.mark.parametrize("name", ["empty.csv", "empty.xlsx"])
def test_an_empty_file(app, client, world, name):
    _refused(app, client, world, DATA / name, "The file is empty.")


def test_other_file_types_are_refused_by_name(app, client, world):
    _refused(app, client, world, DATA / "make_files.py", "Please choose an .xlsx or .csv file.")


def test_a_sheet_with_only_headers_imports_nothing_and_says_so(app, client, world):
    job = job_id(upload(client, world["alpha"].id, DATA / "only_headers.xlsx"))
    assert columns(client, job).status_code == 302
    preview = client.get(f"/imports/{job}/preview").get_data(as_text=True)
    assert "There are no rows below the headers." in preview
    assert "disabled" in preview
    run(client, job)
    finished = _job(app, job)
    assert (finished.state, finished.created, finished.rejected) == ("done", 0, 0)


def test_merged_header_cells_and_a_title_row(app, client, world):
    """The merged title row is passed over; the column under a merged "Name" gets its
    column's name and can be mapped."""
    response = upload(client, world["alpha"].id, DATA / "merged_headers.xlsx")
    job = job_id(response)
    assert response.headers["Location"].endswith(f"/imports/{job}/sheet")
    page = client.get(f"/imports/{job}/sheet").get_data(as_text=True)
    assert "Verteiler" in page and "Notizen" in page
    token = csrf_token(client, f"/imports/{job}/sheet")
    bad = client.post(f"/imports/{job}/sheet", data={"sheet": "Fehlt", "csrf_token": token})
    assert bad.status_code == 422
    assert "The workbook has no sheet of this name." in bad.get_data(as_text=True)
    client.post(f"/imports/{job}/sheet", data={"sheet": "Verteiler", "csrf_token": token})
    page = client.get(f"/imports/{job}/columns").get_data(as_text=True)
    assert "headers in row 2" in page and "Column B" in page
    assert columns(client, job, mapping={0: "first_name", 1: "last_name"}).status_code == 302
    run(client, job)
    persons = _persons(app)
    assert set(persons) == {"Schäfer", "Öztürk"}
    assert persons["Schäfer"].first_name == "Anna"
    assert persons["Schäfer"].origin_row == 3


def test_formulas_give_their_cached_values_and_dates_become_iso_dates(app, client, world):
    import_file(client, world["alpha"].id, DATA / "formulas_dates.xlsx")
    persons = _persons(app)
    assert persons["Weiß"].position == "CHEFIN"  # =UPPER("chefin"), the value Excel shows
    assert persons["Weiß"].notes == "2026-03-01"  # a date cell
    assert persons["Weiß"].postcode == "10115"  # a number, without ".0"
    # an Excel serial number in a cell without a date format stays the number
    assert persons["Groß"].notes == "45658"
    assert persons["Groß"].position == "Redakteur"
    assert persons["Ehmann"].first_name == "Eva"  # =A4&"mann"


def test_invalid_addresses_and_missing_names_reject_their_rows(app, client, world):
    job = import_file(client, world["alpha"].id, DATA / "invalid_emails.csv")
    finished = _job(app, job)
    assert (finished.state, finished.created, finished.rejected) == ("done", 1, 3)
    with app.app_context():
        issues = [
            (i.row, i.reason, i.summary)
            for i in ImportIssue.select().where(ImportIssue.job == job).order_by(ImportIssue.row)
        ]
    assert issues == [
        (3, "E-mail: This is not a valid e-mail address.", "Otto Falsch <otto-at-example.de>"),
        (4, "E-mail: This is not a valid e-mail address.", "Paul Kaputt <paul@@example>"),
        (6, "Last name: A last name is needed.", "Rita <rita@example.de>"),
    ]
    assert set(_persons(app)) == {"Gut"}


def test_german_reasons_for_a_german_screen(app, client, world):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    job = import_file(client, world["alpha"].id, DATA / "invalid_emails.csv")
    with app.app_context():
        reasons = {i.reason for i in ImportIssue.select().where(ImportIssue.job == job)}
    assert "Nachname: Ein Nachname ist erforderlich." in reasons or any(
        r.startswith("Nachname:") for r in reasons
    )


def test_a_windows_1252_csv_with_umlauts(app, client, world):
    job = import_file(client, world["alpha"].id, DATA / "windows1252.csv")
    assert _job(app, job).encoding == "cp1252"
    persons = _persons(app)
    assert persons["Müller-Lüdenscheidt"].first_name == "Jürgen"
    assert persons["Müller-Lüdenscheidt"].street == "Schöne Aussicht 3"
    assert persons["Weiß"].first_name == "Øyvind"
    assert persons["Weiß"].city == "Köln"


def test_utf8_with_bom_tabs_and_english_headers(app, client, world):
    job = import_file(client, world["alpha"].id, DATA / "utf8_bom_tab.csv")
    assert (_job(app, job).encoding, _job(app, job).delimiter) == ("utf-8-sig", "\t")
    person = _persons(app)["Ångström"]
    assert person.first_name == "Zoë"
    with app.app_context():
        assert {link.topic.name for link in person.topic_links} == {"Science", "Space"}
        assert person.outlet_links.get().outlet.name == "The Daily"


def test_a_zip_bomb_is_refused_quickly(app, client, world):
    start = time.perf_counter()
    _refused(app, client, world, DATA / "zip_bomb.xlsx", "unpacks to far more data than a contact")
    assert time.perf_counter() - start < 5


def test_an_xml_bomb_is_refused_before_any_parser_sees_it(app, client, world):
    start = time.perf_counter()
    _refused(app, client, world, DATA / "xml_bomb.xlsx", "XML entity declarations")
    assert time.perf_counter() - start < 5


def test_the_reader_itself_does_not_expand_entities():
    """Even past our check, python-calamine (quick-xml) refuses an entity it does not know
    instead of expanding it: "billion laughs" cannot blow up the worker."""
    start = time.perf_counter()
    with pytest.raises(XmlError, match="entity"):
        CalamineWorkbook.from_path(str(DATA / "xml_bomb.xlsx")).get_sheet_by_index(0)
    assert time.perf_counter() - start < 2


def test_excels_maximum_of_rows_is_refused_by_counting_not_reading(app, client, world, tmp_path):
    path = million_rows(tmp_path / "riesig.xlsx")
    assert path.stat().st_size < 50 * 1024 * 1024
    tracemalloc.start()
    try:
        text = _refused(app, client, world, path, "The sheet has 1,048,576 rows; at most")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "Please split the file." in text
    assert peak < 40 * 1024 * 1024  # the sheet (≈ 90 MB of XML) was never held in memory


def test_the_row_limit_is_a_setting(app, client, world):
    app.config["IMPORT_MAX_ROWS"] = 2
    _refused(app, client, world, DATA / "german.csv", "at most 2 can be imported at once")


def test_an_upload_over_50_mb_is_refused_with_a_clear_message(app, client, world):
    token = csrf_token(client, "/imports/")
    body = io.BytesIO(b"x" * (51 * 1024 * 1024))
    data = {"csrf_token": token, "client_id": str(world["alpha"].id), "file": (body, "a.csv")}
    response = post_closing(client, "/imports/", data)
    assert response.status_code == 413
    assert "The file is larger than 50 MB." in response.get_data(as_text=True)


class _Endless(io.RawIOBase):
    """200 MB that are never there: counts what the server reads."""

    SIZE = 200 * 1024 * 1024

    def __init__(self):
        self.position = self.read_bytes = 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self.position

    def seek(self, offset, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.SIZE}[whence]
        self.position = base + offset
        return self.position

    def readinto(self, buffer):
        count = max(min(len(buffer), self.SIZE - self.position), 0)
        buffer[:count] = b"x" * count
        self.position += count
        self.read_bytes += count
        return count


def test_a_200_mb_upload_is_refused_by_its_length_before_it_is_read(app, client, world):
    csrf_token(client, "/imports/")
    stream = _Endless()
    response = client.post(
        "/imports/", input_stream=stream, content_type="multipart/form-data; boundary=xyz"
    )
    assert response.status_code == 413
    assert "The file is larger than 50 MB." in response.get_data(as_text=True)
    assert stream.read_bytes == 0


def test_a_failure_midway_keeps_the_finished_batches_and_says_where(
    app, client, world, monkeypatch, tmp_path
):
    path = tmp_path / "zehn.csv"
    lines = ["Nachname;E-Mail"] + [f"Name{i};p{i}@beispiel.de" for i in range(10)]
    path.write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(services, "BATCH_SIZE", 4)
    original = services.Importer._create

    def failing(self, creates, *ready):
        result = original(self, creates, *ready)  # the batch's persons are written, then …
        if creates[0].number == 6:  # the second batch (PostgreSQL's writers take turns)
            raise RuntimeError("disk full")
        return result

    monkeypatch.setattr(services.Importer, "_create", failing)
    job = import_file(client, world["alpha"].id, path)
    finished = _job(app, job)
    assert finished.state == "failed"
    assert "rows 6 to 9" in finished.error and "RuntimeError" in finished.error
    assert (finished.created, finished.processed) == (4, 4)
    # … and rolled back with its batch: the first batch only, never half a batch
    assert sorted(_persons(app)) == ["Name0", "Name1", "Name2", "Name3"]
    page = client.get(f"/imports/{job}").get_data(as_text=True)
    assert "rows 6 to 9" in page and "hx-trigger" not in page
    assert client.get(f"/imports/{job}/report.xlsx").status_code == 200


def test_a_row_failing_in_the_converting_thread_fails_its_batch_only(
    app, client, world, monkeypatch, tmp_path
):
    """Rows are converted in a thread ahead of the writing (D42): an error there fails
    that batch as one in the writing would, the batches before it stay, the thread ends."""
    import threading

    from app.transfer import mapping

    path = tmp_path / "zehn.csv"
    lines = ["Nachname;E-Mail"] + [f"Name{i};p{i}@beispiel.de" for i in range(10)]
    path.write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(services, "BATCH_SIZE", 4)
    original = mapping.convert
    converting_threads = set()

    def failing(number, cells, columns):  # the preview converts the rows too, in its request
        if threading.current_thread() is not threading.main_thread():
            converting_threads.add(threading.current_thread().name)
            if number == 8:
                raise RuntimeError("cannot convert")
        return original(number, cells, columns)

    monkeypatch.setattr(mapping, "convert", failing)
    job = import_file(client, world["alpha"].id, path)
    finished = _job(app, job)
    assert converting_threads == {"import-converter"}
    assert finished.state == "failed"
    assert "rows 6 to 9" in finished.error and "RuntimeError" in finished.error
    assert (finished.created, finished.processed) == (4, 4)
    assert sorted(_persons(app)) == ["Name0", "Name1", "Name2", "Name3"]
    assert "import-converter" not in {t.name for t in threading.enumerate()}


def test_a_job_runs_once_and_a_started_job_cannot_be_changed(app, client, world):
    job = import_file(client, world["alpha"].id, DATA / "german.csv")
    token = csrf_token(client, "/imports/")
    again = client.post(f"/imports/{job}/start", data={"csrf_token": token})
    assert again.status_code == 302
    assert client.get(f"/imports/{job}/columns").status_code == 302
    with app.app_context():
        assert services.run_import(job).created == 2  # not queued: nothing runs again
        assert Person.select().where(Person.origin == "import").count() == 2
