"""A person's data-subject access report (SPEC L6) through real requests: PDF and JSON with
every section, in German or English, read access enough, hidden and erased persons 404,
bad choices 422, and the report recorded in the audit trail (and the person's history)."""

import io
import json

import pypdf
import pytest
from werkzeug.datastructures import FileStorage

from app import files
from app.audit.models import AuditEntry
from app.contacts import history
from app.contacts.erasure import erase_person
from app.contacts.models import Person, PersonPhone
from app.exports import report
from app.lists.models import DistributionList, ListMember
from app.users.models import User
from tests.conftest import csrf_token

SECTIONS = {
    "report",
    "person",
    "emails",
    "phones",
    "outlets",
    "topics",
    "lists",
    "events",
    "mailings",
    "history",
    "audit",
}


@pytest.fixture
def anna(app, world):
    """Anna with a phone, a note, a document, a fixed and a saved-search list."""
    with app.app_context():
        user = User.get_by_id(world["user"].id)
        person = Person.get_by_id(world["anna"])
        PersonPhone.create(person=person, number="+49 89 21830", kind="mobile", is_primary=True)
        history.add_entry(user, person.id, kind="note", body="Mag Hintergrundgespräche.")
        upload = FileStorage(io.BytesIO(b"%PDF-1.4 Pressemappe"), "Pressemappe 2026.pdf")
        history.add_entry(user, person.id, kind="document", upload=upload)
        fixed = DistributionList.create(client=world["alpha"], name="Energiepresse")
        ListMember.create(distribution_list=fixed, person=person)
        DistributionList.create(
            client=world["alpha"], name="Münchner Presse", kind="dynamic", search="q=muenchen"
        )
        DistributionList.create(client=world["alpha"], name="Leere Liste")
        import datetime

        from app.events.models import Event, Invitation

        event = Event.create(
            client=world["alpha"],
            title="Bilanzpressekonferenz",
            starts_at=datetime.datetime(2027, 3, 4, 9),
        )
        Invitation.create(event=event, person=person, state="accepted", note="mit Kamerateam")
    return world["anna"]


def _report(client, person_id, **data):
    path = f"/exports/persons/{person_id}/report"
    token = csrf_token(client, f"/contacts/{person_id}")
    response = client.post(path, data={"csrf_token": token, **data})
    body = response.data
    response.close()
    return response, body


def test_the_json_holds_every_section(app, client, world, anna):
    response, body = _report(client, anna, format="json", lang="en")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(body)
    assert set(data) == SECTIONS
    assert data["report"]["person_id"] == anna and data["report"]["language"] == "en"
    assert data["person"]["last_name"] == "Müller" and data["person"]["client"] == "Alpha AG"
    assert data["person"]["origin"] == "manual"
    assert data["emails"] == [{"address": "anna.mueller@sz.example", "primary": True}]
    assert data["phones"] == [{"number": "+49 89 21830", "kind": "mobile", "primary": True}]
    assert data["outlets"][0]["outlet"] == "Süddeutsche Zeitung"
    assert data["topics"] == [{"topic": "Energie"}]
    assert {row["list"] for row in data["lists"]} == {"Energiepresse", "Münchner Presse"}
    assert data["events"] == [
        {
            "event": "Bilanzpressekonferenz",
            "kind": "press_conference",
            "starts_at": "2027-03-04T09:00:00",
            "answer": "accepted",
            "note": "mit Kamerateam",
        }
    ]
    kinds = {row["kind"]: row for row in data["history"]}
    assert kinds["note"]["text"] == "Mag Hintergrundgespräche."
    assert kinds["document"]["document"] == "Pressemappe 2026.pdf"
    assert kinds["document"]["size"] == len(b"%PDF-1.4 Pressemappe")
    actions = [row["action"] for row in data["audit"]]
    assert actions[0] == "person.create" and "person.history_add" in actions


def test_the_pdf_names_the_person_and_every_section(app, client, world, anna):
    response, body = _report(client, anna, format="pdf", lang="en")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert body.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages)
    for expected in (
        "Access report",
        "Anna Müller",
        "anna.mueller@sz.example",
        "Süddeutsche Zeitung",
        "Energiepresse",
        "Pressemappe 2026.pdf",
        "Audit trail",
    ):
        assert expected in text, expected
    assert "Leere Liste" not in text


def test_every_registered_section_is_in_both_forms(app, client, world, anna):
    keys = {"report"}
    with app.app_context():
        user = User.get_by_id(world["user"].id)
        keys |= {sec.key for sec in report.build(user, Person.get_by_id(anna))}
    assert keys == SECTIONS
    assert len(report.SECTIONS) == len(SECTIONS) - 1


def test_the_language_is_chosen_and_defaults_to_the_users(app, client, world, anna):
    response, body = _report(client, anna, format="json", lang="de")
    assert json.loads(body)["report"]["language"] == "de"
    form = client.get(f"/contacts/{anna}").get_data(as_text=True)
    assert 'name="lang"' in form and '<option value="en" selected>' in form
    client.post("/account/language", data={"language": "de", "csrf_token": csrf_token(client, "/")})
    page = client.get(f"/exports/persons/{anna}/report").get_data(as_text=True)
    assert 'value="de" checked' in page


def test_read_access_is_enough_hidden_and_erased_are_404(app, client, world, anna):
    response, body = _report(client, world["bea"], format="json", lang="en")
    assert response.status_code == 200 and json.loads(body)["person"]["last_name"] == "Brandt"
    token = csrf_token(client, f"/contacts/{anna}")
    hidden = f"/exports/persons/{world['geheim']}/report"
    for response in (
        client.get(hidden),
        client.post(hidden, data={"csrf_token": token, "format": "pdf", "lang": "en"}),
    ):
        assert response.status_code == 404 and b"Geheimnis" not in response.data
    with app.app_context():
        erase_person(User.get_by_id(world["user"].id), world["juergen"])
    erased = f"/exports/persons/{world['juergen']}/report"
    assert client.get(erased).status_code == 404
    assert client.post(erased, data={"csrf_token": token, "format": "json"}).status_code == 404


def test_bad_choices_are_refused_with_a_message(app, client, world, anna):
    for data in ({"format": "docx", "lang": "en"}, {"format": "pdf", "lang": "fr"}):
        response, body = _report(client, anna, **data)
        assert response.status_code == 422
        assert b"Please choose PDF or JSON, German or English." in body
    with app.app_context():
        assert not AuditEntry.select().where(AuditEntry.action == "person.access_report")


def test_the_report_is_audited_and_shown_in_the_history(app, client, world, anna):
    _report(client, anna, format="pdf", lang="de")
    with app.app_context():
        entry = AuditEntry.get(AuditEntry.action == "person.access_report")
    assert entry.target_type == "person" and entry.target_id == anna
    assert json.loads(entry.details)["format"] == "pdf"
    assert "Access report made" in client.get(f"/contacts/{anna}/history").get_data(as_text=True)


def test_the_pdf_loads_nothing_from_outside(app, client, world, anna, monkeypatch):
    from app.pdf import LocalOnlyFetcher

    fetcher = LocalOnlyFetcher()
    for url in ("http://127.0.0.1:1/x.png", "https://example.org/a.css", "file:///etc/passwd"):
        with pytest.raises(ValueError, match="not loaded"):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain,ok").read() == b"ok"
    css = fetcher.fetch(f"file://{files.__file__.rsplit('/', 1)[0]}/static/css/pdf.css")
    assert b"@page" in css.read()
