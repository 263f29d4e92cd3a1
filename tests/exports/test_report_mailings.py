"""The access report's section "Mailings" (SPEC L6, M6) through real requests: which
mailings a person received, from which client, when, at which address, with what state and
bounce or unsubscription — in the JSON and in the PDF; a hidden client's mailing to the
same person is not in a report made by someone who cannot see it."""

import datetime
import io
import json

import pypdf

from app.contacts.duplicates import merge_persons
from app.contacts.models import Person
from tests.conftest import csrf_token
from tests.mailings import delivery


def _report(client, person_id, kind, lang="en"):
    token = csrf_token(client, f"/contacts/{person_id}")
    response = client.post(
        f"/exports/persons/{person_id}/report",
        data={"csrf_token": token, "format": kind, "lang": lang},
    )
    body = response.data
    response.close()
    assert response.status_code == 200
    return body


def _mailings(app, world):
    with app.app_context():
        first = delivery.mailing(world["alpha"], subject="Neue Energiestrategie")
        delivery.recipient(first, "anna.mueller@sz.example", person=world["anna"], minute=2)
        second = delivery.mailing(world["alpha"], subject="Bilanz 2025")
        delivery.recipient(
            second,
            "anna.mueller@sz.example",
            "bounced_hard",
            person=world["anna"],
            minute=5,
            queued_at=delivery.START + datetime.timedelta(days=1),
            bounce_kind="hard",
            bounce_code="5.1.1",
            bounce_reason="User unknown",
            bounced_at=delivery.START + datetime.timedelta(days=1, hours=1),
        )
        third = delivery.mailing(world["alpha"], subject="Einladung")
        delivery.recipient(
            third,
            "anna@privat.example",
            "unsubscribed",
            person=world["anna"],
            minute=7,
            queued_at=delivery.START + datetime.timedelta(days=2),
            unsubscribed_at=delivery.START + datetime.timedelta(days=2, hours=3),
        )
        # someone else's delivery is not Anna's
        delivery.recipient(first, "karl@example.ch", person=world["karl"], minute=2)


def test_the_json_lists_every_mailing_with_its_state(app, client, world):
    _mailings(app, world)
    data = json.loads(_report(client, world["anna"], "json"))
    rows = data["mailings"]
    assert [r["subject"] for r in rows] == ["Neue Energiestrategie", "Bilanz 2025", "Einladung"]
    assert rows[0] == {
        "subject": "Neue Energiestrategie",
        "client": "Alpha AG",
        "sent_at": "2025-03-04T09:02:00",
        "address": "anna.mueller@sz.example",
        "state": "sent",
        "bounce": "",
        "bounced_at": None,
        "unsubscribed_at": None,
        "opened_at": None,
        "clicked_at": None,
    }
    assert rows[1]["state"] == "bounced_hard" and rows[1]["bounce"] == "5.1.1 User unknown"
    assert rows[1]["bounced_at"] == "2025-03-05T10:00:00"
    assert rows[2]["address"] == "anna@privat.example"
    assert rows[2]["unsubscribed_at"] == "2025-03-06T12:00:00"


def test_the_pdf_shows_the_section_in_the_reports_language(app, client, world):
    _mailings(app, world)
    body = _report(client, world["anna"], "pdf", lang="en")
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(body)).pages)
    for expected in ("Mailings", "Neue Energiestrategie", "Bilanz 2025", "bounced (hard)"):
        assert expected in text, expected
    assert "5.1.1 User unknown" in text and "anna@privat.example" in text
    assert "karl@example.ch" not in text


def test_a_person_without_mailings_and_merged_persons(app, client, world):
    data = json.loads(_report(client, world["juergen"], "json"))
    assert data["mailings"] == []
    _mailings(app, world)
    with app.app_context():
        Person.update(last_name="Müller").where(Person.id == world["juergen"]).execute()
        user = world["user"]
        merge_persons(user, world["juergen"], world["anna"])
    merged = json.loads(_report(client, world["juergen"], "json"))
    assert len(merged["mailings"]) == 3


def test_mailings_of_a_hidden_client_are_left_out(app, client, world):
    with app.app_context():
        hidden = delivery.mailing(world["gamma"], subject="Geheime Meldung")
        delivery.recipient(hidden, "anna.mueller@sz.example", person=world["anna"], minute=0)
        visible = delivery.mailing(world["beta"], subject="Beta-Meldung")
        delivery.recipient(visible, "anna.mueller@sz.example", person=world["anna"], minute=0)
    rows = json.loads(_report(client, world["anna"], "json"))["mailings"]
    assert [r["subject"] for r in rows] == ["Beta-Meldung"]
