"""Blacklist import and .xlsx export for administrators (SPEC M8) through real requests:
files from tests/data and written here, one entry per line in the first column or in a
headed column, the report of added / already present / repeated / invalid lines, the
import reader's refusals (zip and XML bombs, encryption, not a spreadsheet, too large),
the formula-safe export and its round trip, audit entries, administrators only."""

import io
import json
import re
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from app.audit.models import AuditEntry
from app.blacklist.models import BlacklistEntry
from tests.conftest import csrf_token
from tests.transfer.helpers import DATA, post_closing


def _import(client, path, name=None):
    token = csrf_token(client, "/admin/blacklist/")
    with open(path, "rb") as handle:
        data = {"csrf_token": token, "file": (handle, name or Path(path).name)}
        return post_closing(client, "/admin/blacklist/import", data)


def _entries(app):
    with app.app_context():
        return {e.value: (e.kind, e.reason, e.note) for e in BlacklistEntry.select()}


def _counts(html):
    """The report's counts by label."""
    pairs = re.findall(r"<dt>([^<]+)</dt><dd>([\d,.]+)</dd>", html)
    return {label: int(value.replace(",", "")) for label, value in pairs}


def test_a_csv_with_one_entry_per_line(app, client, login_as, tmp_path):
    login_as("administrator")
    with app.app_context():
        BlacklistEntry.create(kind="address", value="schon@da.example")
    path = tmp_path / "sperrliste.csv"
    path.write_text(
        "Presse@Spam.Example\n"
        "@werbung.example\n"
        "\n"
        "newsletter.example\n"
        "kein eintrag\n"
        "schon@da.example\n"
        "presse@spam.example\n"
        "=cmd|' /C calc'!A0\n",
        encoding="utf-8",
    )
    response = _import(client, path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _counts(html) == {
        "Added": 3,
        "Already on the blacklist": 1,
        "Repeated in the file": 1,
        "Neither an address nor a domain": 2,
    }
    assert "Imported from sperrliste.csv" in html
    # the invalid lines with their numbers in the file (the empty line 3 counts)
    assert re.search(r'<td class="num">5</td><td>kein eintrag</td>', html)
    assert '<td class="num">8</td><td>=cmd|&#39; /C calc&#39;!A0</td>' in html
    assert _entries(app) == {
        "schon@da.example": ("address", "manual", ""),
        "presse@spam.example": ("address", "import", ""),
        "werbung.example": ("domain", "import", ""),
        "newsletter.example": ("domain", "import", ""),
    }
    with app.app_context():
        entry = AuditEntry.select().where(AuditEntry.action == "blacklist.import").get()
    assert json.loads(entry.details) == {
        "file": "sperrliste.csv",
        "added": 3,
        "present": 1,
        "invalid": 2,
        "repeated": 1,
    }
    assert "spam" not in entry.details + entry.target_label


def test_an_xlsx_with_headers_takes_the_address_and_note_columns(app, client, login_as, tmp_path):
    login_as("administrator")
    path = tmp_path / "abmeldungen.xlsx"
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet("Abmeldungen")
    rows = [
        ["Name", "E-Mail-Adresse", "Notiz"],
        ["Anna Müller", "anna@zeitung.example", "per Telefon"],
        ["Domain", "@konkurrenz.example", ""],
        ["Ohne", "", "keine Adresse"],
    ]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value)
    workbook.close()
    response = _import(client, path)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _counts(html)["Added"] == 2
    assert _counts(html)["Neither an address nor a domain"] == 1  # row 4: no address
    assert _entries(app) == {
        "anna@zeitung.example": ("address", "import", "per Telefon"),
        "konkurrenz.example": ("domain", "import", ""),
    }


def test_a_windows_csv_from_tests_data_is_read_by_its_e_mail_column(app, client, login_as):
    login_as("administrator")
    response = _import(client, DATA / "windows1252.csv")
    assert response.status_code == 200
    entries = _entries(app)
    assert "j.mueller@sueddeutsche.example" in entries and "weiss@zeitung.example" in entries
    assert all(kind == "address" for kind, _, _ in entries.values())


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("zip_bomb.xlsx", "unpacks to far more data"),
        ("xml_bomb.xlsx", "XML entity declarations"),
        ("encrypted.xlsx", "encrypted workbook"),
        ("not_a_spreadsheet.xlsx", "not an Excel workbook"),
        ("empty.csv", "The file is empty."),
        ("make_files.py", "Please choose an .xlsx or .csv file."),
    ],
)
def test_bad_files_are_refused_with_a_reason(app, client, login_as, name, message):
    login_as("administrator")
    response = _import(client, DATA / name)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _entries(app) == {}
    with app.app_context():
        assert not AuditEntry.select().where(AuditEntry.action == "blacklist.import").exists()


def test_no_file_and_a_file_of_only_rubbish(app, client, login_as, tmp_path):
    login_as("administrator")
    token = csrf_token(client, "/admin/blacklist/")
    response = client.post("/admin/blacklist/import", data={"csrf_token": token})
    assert response.status_code == 422 and "Please choose a file." in response.get_data(
        as_text=True
    )
    path = tmp_path / "quatsch.csv"
    path.write_text("Hallo\nWelt\n", encoding="utf-8")
    response = _import(client, path)
    assert response.status_code == 422
    assert _counts(response.get_data(as_text=True))["Neither an address nor a domain"] == 2
    assert client.get("/admin/blacklist/import").status_code == 302


def test_a_file_over_the_limit_is_refused_before_it_is_read(app, client, login_as, tmp_path):
    login_as("administrator")
    path = tmp_path / "riesig.csv"
    line = b"eintrag@example.org\n"
    path.write_bytes(line * (11 * 1024 * 1024 // len(line)))
    response = _import(client, path)
    assert response.status_code == 413
    assert "The file is larger than 10 MB." in response.get_data(as_text=True)
    assert _entries(app) == {}


def test_the_xlsx_export_is_formula_safe_and_imports_again(app, client, login_as):
    login_as("administrator")
    with app.app_context():
        BlacklistEntry.create(kind="address", value="a@x.example", note='=HYPERLINK("http://e")')
        BlacklistEntry.create(kind="domain", value="xn--bcher-kva.example", note="+49 30 123")
    response = client.get("/admin/blacklist/export.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert response.headers["Cache-Control"] == "private, no-store"
    data = response.data
    response.close()  # the server streams a temporary file
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == ["Address or domain", "Kind", "Why", "Note", "Since"]
    notes = {row[0].value: row[3] for row in rows[1:]}
    assert notes["a@x.example"].value == '=HYPERLINK("http://e")'
    assert notes["a@x.example"].data_type == "s" and notes["a@x.example"].quotePrefix
    assert notes["xn--bcher-kva.example"].quotePrefix
    with app.app_context():
        audit = AuditEntry.select().where(AuditEntry.action == "blacklist.export").get()
        assert json.loads(audit.details) == {"entries": 2, "format": "xlsx"}
        BlacklistEntry.delete().execute()
    # the export reads back as the same entries (the note column included)
    path = Path(app.config["DATA_DIR"]) / "blacklist.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    imported = _import(client, path)
    assert _counts(imported.get_data(as_text=True))["Added"] == 2
    entries = _entries(app)
    assert entries["a@x.example"] == ("address", "import", '=HYPERLINK("http://e")')
    assert entries["xn--bcher-kva.example"][0] == "domain"


def test_administrators_only(app, client, login_as, tmp_path):
    login_as("user")
    path = tmp_path / "x.csv"
    path.write_text("a@b.example\n", encoding="utf-8")
    token = csrf_token(client, "/")
    with open(path, "rb") as handle:
        response = post_closing(
            client, "/admin/blacklist/import", {"csrf_token": token, "file": (handle, "x.csv")}
        )
    assert response.status_code == 403
    assert client.get("/admin/blacklist/export.xlsx").status_code == 403
    assert _entries(app) == {}
