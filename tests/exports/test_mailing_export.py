"""A mailing's recipients with their delivery state to .xlsx (SPEC L4, M6) through real
requests: person and delivery columns chosen and ordered by the user, times in the user's
zone, no formula cells, blocked and deleted contacts left out and counted, read access
enough, hidden 404, audited without personal data."""

import datetime
import io
import json
import re

import openpyxl

from app.audit.models import AuditEntry
from app.contacts.models import Person
from tests.conftest import csrf_token
from tests.exports.test_list_export import ooxml_text
from tests.mailings import delivery


def _mailing(app, world, client_key="alpha", **fields):
    with app.app_context():
        m = delivery.mailing(world[client_key], subject="Neue Energiestrategie", **fields)
        return m


def _export(client, mailing_id, columns):
    token = csrf_token(client, f"/exports/mailings/{mailing_id}")
    return client.post(
        f"/exports/mailings/{mailing_id}", data={"columns": columns, "csrf_token": token}
    )


def _rows(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:800]
    assert response.mimetype.endswith("spreadsheetml.sheet")
    data = response.data
    response.close()
    return openpyxl.load_workbook(io.BytesIO(data)).active


def test_person_and_delivery_columns_in_the_order_chosen(app, client, world):
    m = _mailing(app, world)
    with app.app_context():
        delivery.recipient(m, "anna.mueller@sz.example", person=world["anna"], minute=3)
        delivery.recipient(
            m,
            "juergen@radio.example",
            "bounced_hard",
            person=world["juergen"],
            minute=4,
            bounce_code="5.1.1",
            bounce_reason="User unknown",
        )
    columns = ["address", "last_name", "delivery_state", "sent_at", "smtp_code", "bounce_reason"]
    response = _export(client, m.id, columns)
    assert "Neue Energiestrategie.xlsx" in response.headers["Content-Disposition"]
    sheet = _rows(response)
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == [
        "Address used",
        "Last name",
        "Delivery state",
        "Sent",
        "SMTP code",
        "Bounce reason",
    ]
    # by address; 09:03 UTC is 10:03 in Berlin (the user's zone by default)
    assert rows[1] == [
        "anna.mueller@sz.example",
        "Müller",
        "sent",
        datetime.datetime(2025, 3, 4, 10, 3),
        250,
        None,
    ]
    assert rows[2][:3] == ["juergen@radio.example", "Mueller", "bounced (hard)"]
    assert rows[2][5] == "User unknown"
    assert len(rows) == 3


def test_the_form_offers_delivery_columns_and_tracking_only_when_tracked(app, client, world):
    plain = _mailing(app, world)
    tracked = _mailing(app, world, tracking=True)
    for m in (plain, tracked):
        with app.app_context():
            delivery.recipient(m, "anna.mueller@sz.example", person=world["anna"], minute=0)
    form = client.get(f"/exports/mailings/{plain.id}").get_data(as_text=True)
    keys = re.findall(r'name="columns" value="(\w+)"', form)
    assert {"first_name", "letter_salutation", "address", "delivery_state", "smtp_response"} <= set(
        keys
    )
    assert "opened_at" not in keys
    checked = re.findall(r'name="columns" value="(\w+)" checked', form)
    assert "address" in checked and "delivery_state" in checked
    assert "1 contact will be exported" in form
    keys = re.findall(
        r'name="columns" value="(\w+)"',
        client.get(f"/exports/mailings/{tracked.id}").get_data(as_text=True),
    )
    assert {"opened_at", "opens", "clicked_at", "clicks"} <= set(keys)
    # a tracking column sent for an untracked mailing is not a column there
    rows = list(
        _rows(_export(client, plain.id, ["opens", "last_name"])).iter_rows(values_only=True)
    )
    assert rows == [("Last name",), ("Müller",)]


def test_no_cell_is_a_formula(app, client, world):
    m = _mailing(app, world)
    with app.app_context():
        Person.update(first_name="=1+1", position="@SUM(A1)").where(
            Person.id == world["anna"]
        ).execute()
        delivery.recipient(
            m,
            "anna.mueller@sz.example",
            "bounced_soft",
            person=world["anna"],
            minute=0,
            smtp_response="-ERR =cmd|' /C calc'!A0",
            bounce_reason="+49 mailbox full",
        )
    columns = ["first_name", "position", "smtp_response", "bounce_reason", "address"]
    sheet = _rows(_export(client, m.id, columns))
    cells = list(sheet.iter_rows())[1]
    assert [c.data_type for c in cells] == ["s"] * 5
    assert [ooxml_text(c.value) for c in cells] == [
        "=1+1",
        "@SUM(A1)",
        "-ERR =cmd|' /C calc'!A0",
        "+49 mailbox full",
        "anna.mueller@sz.example",
    ]
    assert [c.quotePrefix for c in cells] == [True, True, True, True, False]


def test_blocked_and_deleted_contacts_are_left_out_and_counted(app, client, world):
    m = _mailing(app, world)
    with app.app_context():
        Person.update(blocked=True).where(Person.id == world["karl"]).execute()
        delivery.recipient(m, "anna.mueller@sz.example", person=world["anna"], minute=0)
        delivery.recipient(m, "karl@example.ch", person=world["karl"], minute=0)
        delivery.recipient(m, "geloescht@example.org", person=None, minute=0)
    form = client.get(f"/exports/mailings/{m.id}").get_data(as_text=True)
    assert "1 contact will be exported" in form
    assert "1 blocked contact left out" in form
    assert "1 without a contact (deleted) left out" in form
    rows = list(_rows(_export(client, m.id, ["address"])).iter_rows(values_only=True))
    assert rows == [("Address used",), ("anna.mueller@sz.example",)]
    with app.app_context():
        entry = AuditEntry.get(AuditEntry.action == "mailing.export")
    assert entry.target_type == "mailing" and entry.target_id == m.id
    assert json.loads(entry.details) == {
        "format": "xlsx",
        "rows": 1,
        "columns": ["address"],
        "blocked_left_out": 1,
        "without_contact_left_out": 1,
    }
    assert "anna" not in (entry.details + entry.changes + entry.target_label).lower()


def test_read_access_is_enough_hidden_is_404_and_no_columns_is_422(app, client, world):
    readable = _mailing(app, world, "beta")
    hidden = _mailing(app, world, "gamma")
    with app.app_context():
        delivery.recipient(readable, "bea@example.org", person=world["bea"], minute=0)
        delivery.recipient(hidden, "gerda@example.org", person=world["geheim"], minute=0)
    rows = list(_rows(_export(client, readable.id, ["last_name"])).iter_rows(values_only=True))
    assert rows == [("Last name",), ("Brandt",)]
    assert client.get(f"/exports/mailings/{hidden.id}").status_code == 404
    response = _export(client, hidden.id, ["last_name"])
    assert response.status_code == 404 and b"Geheimnis" not in response.data
    refused = _export(client, readable.id, ["password_hash"])
    assert refused.status_code == 422
    assert "Please choose at least one column." in refused.get_data(as_text=True)


def test_the_report_offers_the_export(app, client, world):
    m = _mailing(app, world)
    with app.app_context():
        delivery.recipient(m, "anna.mueller@sz.example", person=world["anna"], minute=0)
    page = client.get(f"/mailings/{m.id}/report").get_data(as_text=True)
    assert f'href="/exports/mailings/{m.id}"' in page
