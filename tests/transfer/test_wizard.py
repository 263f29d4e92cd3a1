"""The import wizard (SPEC L3) through real requests and real files: the German main path,
column detection, duplicates, a target list, the progress partial, the report, rights."""

import io
import json
import re

import pytest
from python_calamine import CalamineWorkbook

from app.audit.models import AuditEntry
from app.audit.services import verify
from app.contacts.models import Person, PersonEmail, PersonOutlet, PersonTopic, Topic
from app.lists.models import DistributionList, ListMember
from app.outlets.models import Outlet
from app.outlets.services import outlet_search_text
from app.transfer import mapping
from app.transfer.models import ImportIssue, ImportJob
from tests import factories
from tests.conftest import csrf_token
from tests.transfer.helpers import DATA, columns, import_file, job_id, run, upload


def _job(app, job):
    with app.app_context():
        return ImportJob.get_by_id(job)


def _issues(app, job):
    with app.app_context():
        return [
            (i.row, i.kind, i.reason)
            for i in ImportIssue.select().where(ImportIssue.job == job).order_by(ImportIssue.row)
        ]


def _report_rows(client, job):
    response = client.get(f"/imports/{job}/report.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(response.data))
    return workbook.get_sheet_by_index(0).to_python(), workbook.get_sheet_by_index(1).to_python()


def test_a_german_press_list_is_imported_with_origin_outlets_topics_and_a_report(
    app, client, world
):
    response = upload(client, world["alpha"].id, DATA / "german.csv")
    job = job_id(response)
    page = client.get(f"/imports/{job}/columns").get_data(as_text=True)
    # every German header found its field
    for index, field in enumerate(
        ["gender", "title", "first_name", "last_name", "email", "phone", "outlet", "department"]
        + ["position", "street", "postcode", "city", "country", "language", "topics", "notes"]
    ):
        select = re.search(rf'name="col-{index}">(.*?)</select>', page, re.S).group(1)
        assert f'value="{field}" selected' in select, (index, field)
    assert columns(client, job).status_code == 302
    preview = client.get(f"/imports/{job}/preview").get_data(as_text=True)
    assert "Schröder" in preview and "This is not a valid e-mail address." in preview
    assert run(client, job).status_code == 302

    finished = _job(app, job)
    assert (finished.state, finished.created, finished.rejected) == ("done", 2, 1)
    assert _issues(app, job) == [(4, "rejected", "E-mail: This is not a valid e-mail address.")]
    with app.app_context():
        hanna = Person.get(Person.last_name == "Schröder")
        assert (hanna.origin, hanna.origin_file, hanna.origin_row) == ("import", "german.csv", 2)
        assert (hanna.gender, hanna.title, hanna.street, hanna.postcode) == (
            "female",
            "Dr.",
            "Unter den Linden 1",
            "10117",
        )
        assert hanna.client_id == world["alpha"].id
        assert [e.address for e in hanna.emails] == ["hanna.schroeder@tagblatt.example"]
        assert hanna.phones.get().number == "+49 30 1234"
        link = PersonOutlet.get(PersonOutlet.person == hanna.id)
        assert (link.outlet.name, link.outlet.client_id) == ("Tagblatt", world["alpha"].id)
        # outlets the file names first are created with it as their origin, and audited
        radio = Outlet.get(Outlet.name == "Radio Süd")
        assert (radio.origin, radio.origin_file, radio.origin_row) == ("import", "german.csv", 3)
        assert radio.search_text == outlet_search_text({"name": "Radio Süd"}) == "radio sued sud"
        created = AuditEntry.get(
            (AuditEntry.action == "outlet.create") & (AuditEntry.target_id == radio.id)
        )
        assert json.loads(created.details) == {"origin": "import"}
        assert verify().ok
        topics = {
            t.name for t in Topic.select().join(PersonTopic).where(PersonTopic.person == hanna.id)
        }
        assert topics == {"Politik", "Europa"}
        assert AuditEntry.select().where(AuditEntry.action == "import_job.batch").count() == 1
    # the search finds the imported persons (search text written with the rows)
    assert "Bäcker" in client.get("/contacts/?q=baecker").get_data(as_text=True)
    page = client.get(f"/imports/{job}").get_data(as_text=True)
    assert "Kai Ohnemail" in page and "hx-trigger" not in page
    summary, rows = _report_rows(client, job)
    assert ["Created", 2.0] in summary and ["Rejected", 1.0] in summary
    assert rows[1][:2] == [4.0, "rejected"] and "valid e-mail" in rows[1][3]


def test_an_existing_outlet_of_the_client_is_linked_not_created(app, client, world, tmp_path):
    path = tmp_path / "sz.csv"
    path.write_text("Nachname;E-Mail;Medium\nNeu;neu@sz.example;süddeutsche zeitung\n")
    job = import_file(client, world["alpha"].id, path)
    assert _job(app, job).created == 1
    with app.app_context():
        assert Outlet.select().where(Outlet.name ** "%süddeutsche%").count() == 1
        person = Person.get(Person.last_name == "Neu")
        assert person.outlet_links.get().outlet.name == "Süddeutsche Zeitung"


def test_the_progress_partial_polls_itself_until_the_job_ends(app, client, world):
    job = job_id(upload(client, world["alpha"].id, DATA / "german.csv"))
    with app.app_context():
        ImportJob.update(state="running", total=3, processed=1).where(ImportJob.id == job).execute()
    partial = client.get(f"/imports/{job}/progress", headers={"HX-Request": "true"})
    text = partial.get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in text and "<progress" in text
    assert f'hx-get="/imports/{job}/progress"' in text
    with app.app_context():
        ImportJob.update(state="done", processed=3, created=3).where(ImportJob.id == job).execute()
    text = client.get(f"/imports/{job}/progress", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert "hx-trigger" not in text and "report.xlsx" in text
    # without htmx the partial's address leads to the job's page
    assert client.get(f"/imports/{job}/progress").status_code == 302


@pytest.mark.parametrize(
    ("policy", "created", "updated", "skipped"),
    [("skip", 2, 0, 2), ("update", 2, 2, 0), ("create", 4, 0, 0)],
)
def test_duplicate_rows_inside_the_file(app, client, world, policy, created, updated, skipped):
    job = import_file(client, world["alpha"].id, DATA / "duplicates.csv", on_duplicate=policy)
    finished = _job(app, job)
    assert (finished.created, finished.updated, finished.skipped) == (created, updated, skipped)
    with app.app_context():
        saras = list(Person.select().where(Person.last_name == "Sommer"))
        if policy == "skip":
            assert _issues(app, job) == [
                (4, "skipped", "Same e-mail address as row 2."),
                (5, "skipped", "Same e-mail address as row 2."),
            ]
            assert [p.city for p in saras] == ["Berlin"]
        elif policy == "update":
            assert [(p.city, p.origin_row) for p in saras] == [("Berlin", 2)]
        else:
            assert len(saras) == 3


@pytest.mark.parametrize("policy", ["skip", "update", "create"])
def test_duplicates_against_the_database_within_the_client(app, client, world, tmp_path, policy):
    path = tmp_path / "dupe.csv"
    path.write_text(
        "Vorname,Nachname,E-Mail,Ort,Themen\n"
        "Anna,Müller,ANNA.MUELLER@sz.example ,Augsburg,Klima\n"
        "Bea,Brandt,bea@beta.example,Aachen,\n"
    )
    with app.app_context():  # the same address in another client is no duplicate
        PersonEmail.create(person=world["bea"], address="bea@beta.example")
    job = import_file(client, world["alpha"].id, path, on_duplicate=policy)
    finished = _job(app, job)
    with app.app_context():
        anna = Person.get_by_id(world["anna"])
        annas = Person.select().where(Person.last_name == "Müller").count()
    if policy == "skip":
        assert (finished.created, finished.skipped) == (1, 1)
        assert _issues(app, job)[0][2] == "A contact with this e-mail address exists already."
        assert (anna.city, anna.origin, annas) == ("München", "manual", 1)
    elif policy == "update":
        assert (finished.created, finished.updated) == (1, 1)
        assert (anna.city, anna.origin, anna.origin_row, annas) == ("Augsburg", "import", 2, 1)
        with app.app_context():
            assert {
                t.name
                for t in Topic.select().join(PersonTopic).where(PersonTopic.person == anna.id)
            } == {"Energie", "Klima"}
            assert (
                AuditEntry.select()
                .where((AuditEntry.action == "person.update") & (AuditEntry.target_id == anna.id))
                .exists()
            )
        assert "Augsburg" in client.get("/contacts/?q=augsburg").get_data(as_text=True)
    else:
        assert (finished.created, annas) == (2, 2)


def test_an_import_can_fill_a_list_of_the_client(app, client, world):
    with app.app_context():
        lst = DistributionList.create(client=world["alpha"], name="Hauptstadtpresse")
        other = DistributionList.create(client=world["beta"], name="Fremde Liste")
        dynamic = DistributionList.create(
            client=world["alpha"], name="Suche", kind="dynamic", search="q=x"
        )
    job = job_id(upload(client, world["alpha"].id, DATA / "german.csv"))
    page = client.get(f"/imports/{job}/columns").get_data(as_text=True)
    assert "Hauptstadtpresse" in page and "Fremde Liste" not in page and "Suche" not in page
    for wrong in (other.id, dynamic.id, 999999):
        response = columns(client, job, list_id=str(wrong))
        assert response.status_code == 422
        assert "Please choose a fixed list of the client." in response.get_data(as_text=True)
    assert columns(client, job, list_id=str(lst.id)).status_code == 302
    run(client, job)
    with app.app_context():
        members = {
            m.person.last_name
            for m in ListMember.select().where(ListMember.distribution_list == lst.id)
        }
    assert members == {"Schröder", "Bäcker"}
    assert "/lists/" in client.get(f"/imports/{job}").get_data(as_text=True)


def test_the_mapping_needs_a_last_name_and_each_field_once(app, client, world):
    job = job_id(upload(client, world["alpha"].id, DATA / "german.csv"))
    response = columns(client, job, mapping={3: ""})
    assert response.status_code == 422
    assert "Please choose the column with the last name." in response.get_data(as_text=True)
    response = columns(client, job, mapping={2: "last_name"})
    assert response.status_code == 422
    assert "Last name is chosen for two columns." in response.get_data(as_text=True)
    response = columns(client, job, on_duplicate="merge")
    assert response.status_code == 422


def test_headers_are_recognised_in_german_and_english_whatever_their_spelling():
    cases = {
        "E-Mail": "email",
        " e_mail ": "email",
        "EMAIL": "email",
        "Straße": "street",
        "STRASSE": "street",
        "Strasse": "street",
        "ZIP": "postcode",
        "Plz.": "postcode",
        "First Name": "first_name",
        "Last-Name": "last_name",
        "Redaktion": "outlet",
        "Funktion": "position",
        "Stadt": "city",
        "Notizen": "notes",
        "Geburtstag": "",
    }
    for header, field in cases.items():
        assert mapping.field_for(header) == field, header


ADDRESSES = [
    "Anna.Mueller@SZ.example",
    "a.b-c_d+e%f@sub.domain.example.org",
    "x@localhost",
    "x@server.local",
    "x@test",
    "x@foo.test",
    "a..b@example.de",
    ".a@example.de",
    "a.@example.de",
    "a@-example.de",
    "a@example-.de",
    "a@example.123",
    "a@" + "b" * 64 + ".de",
    "a" * 65 + "@example.de",
    "a@" + ".".join(["abcdefghij"] * 25) + ".de",
    "müller@example.de",
    "a@bücher.de",
    '"quoted"@example.de',
    "a b@example.de",
    "plain",
]


def test_the_address_shortcut_agrees_with_the_validator(app_ctx):
    from app.emails import InvalidEmail, normalise_email

    for address in ADDRESSES:
        try:
            expected = normalise_email(address)
        except InvalidEmail:
            expected = None
        try:
            got = mapping.checked_email(address)
        except InvalidEmail:
            got = None
        assert got == expected, address


def test_rights_full_imports_read_only_403_hidden_404(app, client, world):
    for target, status in ((world["beta"], 403), (world["gamma"], 404)):
        response = upload(client, target.id, DATA / "german.csv")
        assert response.status_code == status
    with app.app_context():
        assert ImportJob.select().count() == 0
        writer, _ = factories.user()
        factories.grant(writer, world["beta"], "full")
        factories.grant(writer, world["gamma"], "full")
        jobs = {
            name: ImportJob.create(
                client=world[name],
                user=writer,
                file_sha256="0" * 64,
                file_name=f"{name}.csv",
                kind="csv",
                columns='["Nachname"]',
                mapping='{"0": "last_name"}',
            ).id
            for name in ("beta", "gamma")
        }
    token = csrf_token(client, "/imports/")
    for name, status in (("beta", 403), ("gamma", 404)):
        job = jobs[name]
        for path in (f"/imports/{job}", f"/imports/{job}/columns", f"/imports/{job}/preview"):
            assert client.get(path).status_code == status, path
        assert client.get(f"/imports/{job}/report.xlsx").status_code == status
        for path, data in (
            (f"/imports/{job}/columns", {"col-0": "last_name", "on_duplicate": "skip"}),
            (f"/imports/{job}/sheet", {"sheet": "x"}),
            (f"/imports/{job}/start", {}),
        ):
            response = client.post(path, data={**data, "csrf_token": token})
            assert response.status_code == status, path
    with app.app_context():
        assert {j.state for j in ImportJob.select()} == {"new"}
    listing = client.get("/imports/").get_data(as_text=True)
    assert "beta.csv" in listing and "gamma.csv" not in listing


def test_cells_with_line_breaks_tabs_and_backslashes_arrive_unchanged(app, client, world, tmp_path):
    """The bulk path (COPY on PostgreSQL, INSERT on SQLite) keeps every character."""
    notes = 'Zeile 1\nZeile 2\twith a tab, a backslash \\N and "quotes"\r\nEnde'
    path = tmp_path / "sonderzeichen.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        import csv

        csv.writer(handle, delimiter=";").writerows(
            [["Nachname", "Notizen", "Titel"], ["Zeichen", notes, "\\"], ["Leer", "", ""]]
        )
    import_file(client, world["alpha"].id, path)
    with app.app_context():
        person = Person.get(Person.last_name == "Zeichen")
        assert (person.notes, person.title) == (notes.strip(), "\\")
        assert Person.get(Person.last_name == "Leer").notes == ""


def test_the_bulk_writer_keeps_nulls_booleans_times_and_escapes(app_ctx):
    """bulk_insert (COPY's row-at-once text on PostgreSQL, INSERT on SQLite) against what
    the database gives back: NULLs, both booleans, times and characters COPY escapes."""
    import datetime

    from app.contacts.services import EDITABLE_FIELDS
    from app.transfer.services import PERSON_COLUMNS, PERSON_DEFAULTS, bulk_insert
    from tests import factories

    client = factories.new_client("Schreiber")
    when = datetime.datetime(2026, 3, 1, 12, 30, 15, 250000)
    fields = (*PERSON_COLUMNS, Person.erased_at)

    def row(last_name, notes, blocked, erased_at):
        values = {**PERSON_DEFAULTS, "last_name": last_name, "notes": notes}
        editable = (values[name] for name in EDITABLE_FIELDS)
        return (client.id, *editable, blocked, "", "import", "f", 2, "", "", when, when, erased_at)

    rows = [
        row("Tab\there", "back\\slash \\N\r\nline", True, when),
        row("Null", "", False, None),
        row("N", "\\N", False, when),
    ]
    returned = bulk_insert(Person, fields, rows, (Person.id, Person.last_name))
    assert [name for _id, name in returned] == ["Tab\there", "Null", "N"]
    back = {
        p.last_name: (p.notes, p.blocked, p.erased_at)
        for p in Person.select().where(Person.id.in_([i for i, _n in returned]))
    }
    assert back == {
        "Tab\there": ("back\\slash \\N\r\nline", True, when),
        "Null": ("", False, None),
        "N": ("\\N", False, when),
    }


def test_copy_text_makes_constant_columns_once_and_the_same_as_in_each_row():
    """copy_text's tail (the demo loader's defaults and timestamps) gives the text of the
    same rows with those values in every row: on the fast path, on the value-by-value path
    of a row with NULL, and with values COPY escapes."""
    from app.transfer.services import copy_text

    fields = (Person.client, Person.last_name, Person.blocked, Person.notes)
    tail_fields = (Person.origin, Person.erased_at, Person.blocked_reason, Person.created_at)
    tail = ("import", None, "tab\there", "2026-03-01 12:30:15.250000")
    rows = [
        (1, "Tab\there", True, "back\\slash\r\n"),
        (2, "Null", False, None),
        (3, "N", False, ""),
    ]
    _, with_tail = copy_text(Person, (*fields, *tail_fields), rows, tail)
    _, in_each_row = copy_text(Person, (*fields, *tail_fields), [row + tail for row in rows])
    assert with_tail == in_each_row
    lines = with_tail.split("\n")
    assert lines[0] == (
        "1\tTab\\there\tt\tback\\\\slash\\r\\n\timport\t\\N\ttab\\there\t2026-03-01 12:30:15.250000"
    )
    assert lines[1].startswith("2\tNull\tf\t\\N\timport\t")
    assert lines[-1] == "", "each line ends with a newline"


@pytest.mark.parametrize("policy", ["update", "create"])
def test_search_text_and_name_key_are_what_reindex_makes(app, client, world, tmp_path, policy):
    """The converting thread prepares each row's search text and name key; rows merged
    with later ones and outlets or topics stored under another spelling are computed
    again. Whatever the path, `reindex` finds nothing to change."""
    from app.contacts.services import reindex

    path = tmp_path / "texte.csv"
    path.write_text(
        "Nachname;Vorname;E-Mail;Medium;Themen;Ort\n"
        "Müller-Lüdenscheidt;Jörg;jm@sz.example;SÜDDEUTSCHE zeitung;politik, Neu-Thema;Köln\n"
        "Straße;Åsa;as@beispiel.de;Neues Blatt;Kultur;München\n"
        "Straße;;as@beispiel.de;Anderes Blatt;Sport;\n"
        "Meyer;Ida;im@beispiel.de;;;\n"
    )
    job = import_file(client, world["alpha"].id, path, on_duplicate=policy)
    assert _job(app, job).created == (3 if policy == "update" else 4)
    with app.app_context():
        ids = [p.id for p in Person.select().where(Person.origin == "import")]
        texts = {p.id: p.search_text for p in Person.select().where(Person.id.in_(ids))}
        assert reindex(ids) == 0
        assert all(texts.values())
        person = Person.get(Person.last_name == "Müller-Lüdenscheidt")
        assert "sueddeutsche" in person.search_text and person.name_key == "657-52682"
        assert person.outlet_links.get().outlet.name == "Süddeutsche Zeitung"
