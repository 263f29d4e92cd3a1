"""A distribution list's members to .xlsx (SPEC L4) through real requests: the chosen
columns in the order sent, no cell a formula whatever the text says, blocked persons left
out and counted, reading the list is enough, hidden lists 404, the audit entry."""

import io
import json
import re

import openpyxl
import pytest

from app.audit.models import AuditEntry
from app.contacts.models import Person, PersonEmail, PersonPhone
from app.lists.models import DistributionList, ListMember
from tests.conftest import csrf_token

DANGEROUS = {
    "first_name": "=1+1",
    "last_name": "@twitter",
    "position": "-",
    "department": "\tTabulator",
    "street": "\rWagenrücklauf",
    "city": '=HYPERLINK("http://evil.example","klick")',
}
PHONE = "+49 30 1234567"
ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def ooxml_text(value: str) -> str:
    """A text as Excel reads it: XlsxWriter writes control characters as the OOXML escape
    _xHHHH_ (and a literal "_x" as _x005F_x), which openpyxl leaves as it is."""
    return ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)


def _list(app, client_obj, person_ids, name="Presseverteiler"):
    with app.app_context():
        lst = DistributionList.create(client=client_obj, name=name)
        for pid in person_ids:
            ListMember.create(distribution_list=lst, person=pid)
        return lst.id


def _export(client, list_id, columns):
    token = csrf_token(client, f"/exports/lists/{list_id}")
    return client.post(f"/exports/lists/{list_id}", data={"columns": columns, "csrf_token": token})


def _sheet(response):
    """The workbook's sheet; the response is closed (the server streams a file)."""
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype.endswith("spreadsheetml.sheet")
    data = response.data
    response.close()
    return openpyxl.load_workbook(io.BytesIO(data)).active


def test_the_chosen_columns_in_the_order_sent(app, client, world):
    list_id = _list(app, world["alpha"], [world["anna"], world["juergen"], world["karl"]])
    response = _export(client, list_id, ["last_name", "email", "first_name", "letter_salutation"])
    assert "Presseverteiler.xlsx" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "private, no-store"
    rows = [[c.value for c in row] for row in _sheet(response).iter_rows()]
    assert rows[0] == ["Last name", "E-mail", "First name", "Letter salutation"]
    # by name; Anna has an address, the others none; salutation in each one's language
    assert rows[1][:3] == ["Mueller", None, "Jürgen"]
    assert rows[2] == ["Müller", "anna.mueller@sz.example", "Anna", "Guten Tag Anna Müller,"]
    assert rows[3] == ["Strauß", None, "Karl", "Dear Karl Strauß,"]
    assert len(rows) == 4


def test_every_column_is_offered_and_exported(app, client, world):
    list_id = _list(app, world["alpha"], [world["anna"]])
    form = client.get(f"/exports/lists/{list_id}").get_data(as_text=True)
    keys = re.findall(r'name="columns" value="(\w+)"', form)
    assert len(keys) == 16 and "letter_salutation" in keys and "topics" in keys
    rows = [[c.value for c in row] for row in _sheet(_export(client, list_id, keys)).iter_rows()]
    anna = dict(zip(rows[0], rows[1], strict=True))
    assert anna["Salutation"] is None  # gender not known: no Ms or Mr
    assert anna["Outlets"] == "Süddeutsche Zeitung"
    assert anna["Topics"] == "Energie"
    assert anna["City"] == "München" and anna["Country"] == "DE"
    assert anna["Language"] == "German"


def test_no_cell_is_a_formula_and_every_text_stays_as_it_was(app, client, world):
    with app.app_context():
        person = Person.create(client=world["alpha"], **DANGEROUS)
        PersonPhone.create(person=person, number=PHONE, is_primary=True)
        PersonEmail.create(person=person, address="normal@presse.example", is_primary=True)
    list_id = _list(app, world["alpha"], [person.id])
    columns = [*DANGEROUS, "phone", "email"]
    sheet = _sheet(_export(client, list_id, columns))
    cells = list(sheet.iter_rows())[1]
    for column, cell in zip(columns, cells, strict=True):
        assert cell.data_type == "s", (column, cell.data_type)  # text, never "f" (formula)
    values = {column: ooxml_text(cell.value) for column, cell in zip(columns, cells, strict=True)}
    assert values == {**DANGEROUS, "phone": PHONE, "email": "normal@presse.example"}
    quoted = {column: cell.quotePrefix for column, cell in zip(columns, cells, strict=True)}
    # what a spreadsheet would read as a formula is marked as text (Excel's leading
    # apostrophe, stored as a style: the phone number reads "+49 …", not "'+49 …")
    assert quoted == {**dict.fromkeys(DANGEROUS, True), "phone": True, "email": False}
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f"


def test_blocked_members_are_left_out_and_counted(app, client, world):
    with app.app_context():
        Person.update(blocked=True).where(Person.id == world["karl"]).execute()
    list_id = _list(app, world["alpha"], [world["anna"], world["karl"]])
    form = client.get(f"/exports/lists/{list_id}").get_data(as_text=True)
    assert "1 contact will be exported" in form and "1 blocked contact left out" in form
    rows = list(_sheet(_export(client, list_id, ["last_name"])).iter_rows(values_only=True))
    assert rows == [("Last name",), ("Müller",)]


def test_a_saved_search_list_exports_its_current_matches(app, client, world):
    with app.app_context():
        lst = DistributionList.create(
            client=world["alpha"], name="Wien", kind="dynamic", search="q=wien"
        )
    rows = list(_sheet(_export(client, lst.id, ["first_name"])).iter_rows(values_only=True))
    assert rows == [("First name",), ("Jürgen",)]


def test_reading_the_list_is_enough_and_hidden_lists_are_404(app, client, world):
    readable = _list(app, world["beta"], [world["bea"]], name="Beta-Liste")
    rows = list(_sheet(_export(client, readable, ["last_name"])).iter_rows(values_only=True))
    assert rows == [("Last name",), ("Brandt",)]
    hidden = _list(app, world["gamma"], [world["geheim"]], name="Geheime Liste")
    assert client.get(f"/exports/lists/{hidden}").status_code == 404
    response = _export(client, hidden, ["last_name"])
    assert response.status_code == 404 and b"Geheimnis" not in response.data


def test_no_column_chosen_is_refused_with_a_message(app, client, world):
    list_id = _list(app, world["alpha"], [world["anna"]])
    for columns in ([], ["password_hash", "notes"]):
        response = _export(client, list_id, columns)
        assert response.status_code == 422
        assert "Please choose at least one column." in response.get_data(as_text=True)
    with app.app_context():
        assert not AuditEntry.select().where(AuditEntry.action == "distribution_list.export")


def test_the_export_is_audited_without_personal_data(app, client, world):
    list_id = _list(app, world["alpha"], [world["anna"], world["juergen"]])
    with app.app_context():
        Person.update(blocked=True).where(Person.id == world["juergen"]).execute()
    _sheet(_export(client, list_id, ["last_name", "email"]))
    with app.app_context():
        entry = AuditEntry.get(AuditEntry.action == "distribution_list.export")
    assert entry.target_type == "distribution_list" and entry.target_id == list_id
    assert json.loads(entry.details) == {
        "format": "xlsx",
        "rows": 1,
        "columns": ["last_name", "email"],
        "blocked_left_out": 1,
    }
    assert "Müller" not in entry.details + entry.changes + entry.target_label


@pytest.mark.parametrize("kind", ["static", "dynamic"])
def test_the_list_page_offers_the_export(app, client, world, kind):
    with app.app_context():
        lst = DistributionList.create(
            client=world["alpha"], name="Liste", kind=kind, search="q=wien"
        )
    page = client.get(f"/lists/{lst.id}").get_data(as_text=True)
    assert f'href="/exports/lists/{lst.id}"' in page
