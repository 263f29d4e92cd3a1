"""A person's e-mail addresses and phone numbers (C1), erasure with a blanked audit trail
(C9), duplicate warnings, the duplicates screen and the merge (C7) — through real requests."""

import json

from app.audit.models import AuditEntry
from app.audit.services import verify
from app.contacts.models import (
    HistoryEntry,
    NotDuplicate,
    Person,
    PersonEmail,
    PersonOutlet,
    PersonPhone,
    PersonTopic,
)
from app.contacts.services import create_person
from app.outlets.models import Outlet
from tests.conftest import csrf_token


def _post(client, path, data=None):
    token = csrf_token(client, "/contacts/")
    return client.post(path, data={**(data or {}), "csrf_token": token})


def _emails(app, person_id):
    with app.app_context():
        return [
            (e.address, e.is_primary)
            for e in PersonEmail.select()
            .where(PersonEmail.person == person_id)
            .order_by(PersonEmail.id)
        ]


# --- e-mail addresses and phone numbers ---------------------------------------------------


def test_several_addresses_one_primary(app, client, world):
    anna = world["anna"]
    assert _post(client, f"/contacts/{anna}/channels/email", {"value": " Anna@Privat.example "})
    assert _emails(app, anna) == [
        ("anna.mueller@sz.example", True),
        ("anna@privat.example", False),
    ]
    with app.app_context():
        second = PersonEmail.get(PersonEmail.address == "anna@privat.example")
    _post(client, f"/contacts/{anna}/channels/email/{second.id}/primary")
    assert _emails(app, anna)[1] == ("anna@privat.example", True)
    assert [p for _, p in _emails(app, anna)].count(True) == 1
    _post(client, f"/contacts/{anna}/channels/email/{second.id}/remove")
    assert _emails(app, anna) == [("anna.mueller@sz.example", True)], "the other became primary"
    # the search finds the new address, the history shows the change
    _post(client, f"/contacts/{anna}/channels/email", {"value": "a.m@funk.example"})
    assert "Müller" in client.get("/contacts/?q=funk.example").get_data(as_text=True)
    history = client.get(f"/contacts/{anna}/history").get_data(as_text=True)
    assert "a.m@funk.example" in history and "E-mail addresses" in history


def test_phone_numbers_with_kinds(app, client, world):
    anna = world["anna"]
    _post(client, f"/contacts/{anna}/channels/phone", {"value": "+49 89 1234", "kind": "mobile"})
    _post(client, f"/contacts/{anna}/channels/phone", {"value": "+49 89 999", "kind": "x"})
    with app.app_context():
        rows = [
            (p.number, p.kind, p.is_primary) for p in PersonPhone.select().order_by(PersonPhone.id)
        ]
    assert rows == [("+49 89 1234", "mobile", True), ("+49 89 999", "office", False)]
    assert "mobile" in client.get(f"/contacts/{anna}").get_data(as_text=True)


def test_bad_addresses_and_numbers_are_explained(app, client, world):
    anna = world["anna"]
    cases = [
        ("email", "keine-adresse", "This is not a valid e-mail address."),
        ("email", "anna.mueller@sz.example", "The contact already has this entry."),
        ("phone", "", "Please give a number."),
        ("phone", "1" * 65, "At most 64 characters, please."),
    ]
    for channel, value, message in cases:
        response = _post(client, f"/contacts/{anna}/channels/{channel}", {"value": value})
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert message in page, (channel, value)
    assert _emails(app, anna) == [("anna.mueller@sz.example", True)]
    assert _post(client, f"/contacts/{anna}/channels/fax", {"value": "1"}).status_code == 404
    assert _post(client, f"/contacts/{anna}/channels/email/999999/primary").status_code == 404


def test_channel_rights(app, client, world):
    with app.app_context():
        bea_email = PersonEmail.create(person=world["bea"], address="b@x.example", is_primary=True)
        secret = PersonEmail.create(person=world["geheim"], address="g@x.example", is_primary=True)
    assert (
        _post(
            client, f"/contacts/{world['bea']}/channels/email", {"value": "n@x.example"}
        ).status_code
        == 403
    )
    assert (
        _post(client, f"/contacts/{world['bea']}/channels/email/{bea_email.id}/remove").status_code
        == 403
    )
    assert (
        _post(client, f"/contacts/{world['geheim']}/channels/email/{secret.id}/remove").status_code
        == 404
    )
    # another person's address through one's own person: not found
    assert (
        _post(client, f"/contacts/{world['anna']}/channels/email/{bea_email.id}/remove").status_code
        == 404
    )
    with app.app_context():
        assert (
            PersonEmail.select().where(PersonEmail.id.in_([bea_email.id, secret.id])).count() == 2
        )


# --- erasure --------------------------------------------------------------------------------


def test_erasure_leaves_a_tombstone_without_personal_data(app, client, world):
    anna = world["anna"]
    _post(client, f"/contacts/{anna}", {"last_name": "Müller", "city": "Augsburg"})
    _post(client, f"/contacts/{anna}/block", {"reason": "Widerspruch per Telefon"})
    with app.app_context():
        radio = Outlet.get(Outlet.name == "Radio Wien")
    linked = _post(
        client,
        "/outlets/links",
        {"outlet_id": radio.id, "person_id": anna, "position": "Korrespondentin"},
    )
    assert linked.status_code == 302
    assert "Type the last name" in client.get(f"/contacts/{anna}/erase").get_data(as_text=True)
    wrong = _post(client, f"/contacts/{anna}/erase", {"confirm": "Mueller"})
    assert wrong.status_code == 422
    assert "Please type the last name to confirm the erasure." in wrong.get_data(as_text=True)
    assert _post(client, f"/contacts/{anna}/erase", {"confirm": "Müller"}).status_code == 302
    with app.app_context():
        person = Person.get_by_id(anna)
        assert person.erased_at and person.blocked and person.last_name == ""
        assert person.search_text == "" and person.city == "" and person.notes == ""
        for model in (PersonEmail, PersonPhone, PersonOutlet, PersonTopic, HistoryEntry):
            assert model.select().where(model.person == anna).count() == 0
        trail = list(AuditEntry.select().where(AuditEntry.target_id == anna))
        text = json.dumps([[e.target_label, e.changes, e.details] for e in trail])
        for personal in ("Müller", "Anna", "Augsburg", "sz.example", "Widerspruch", "München"):
            assert personal not in text, personal
        everything = json.dumps(
            [[e.target_label, e.changes, e.details] for e in AuditEntry.select()]
        )
        for personal in ("Anna Müller", "Augsburg", "anna.mueller@sz.example", "Widerspruch"):
            assert personal not in everything, f"{personal} left in the trail of another record"
        tombstone = [e for e in trail if e.action == "person.erase"]
        assert len(tombstone) == 1 and tombstone[0].target_label == ""
        assert verify().ok, "the chain still verifies after the blanking"
    # gone from the screen and the search; its page says only that it was erased
    listed = client.get("/contacts/").get_data(as_text=True)
    assert "Müller" not in listed and f'id="person-{anna}"' not in listed
    page = client.get(f"/contacts/{anna}").get_data(as_text=True)
    assert "was erased on" in page and "Anna" not in page
    audit = client.get(f"/contacts/{anna}/erase")
    assert "was erased on" in audit.get_data(as_text=True)
    outlet_history = client.get(f"/outlets/{radio.id}/history").get_data(as_text=True)
    assert "Journalist added: a contact no longer shown" in outlet_history
    # nothing brings data back into the tombstone
    for path, data in [
        (f"/contacts/{anna}", {"last_name": "Müller"}),
        (f"/contacts/{anna}/row", {"city": "Augsburg"}),
        (f"/contacts/{anna}/channels/email", {"value": "anna@neu.example"}),
        (f"/contacts/{anna}/history", {"kind": "note", "body": "x"}),
        (f"/contacts/{anna}/unblock", {}),
    ]:
        assert _post(client, path, data).status_code == 404, path
    bulk = _post(client, "/contacts/bulk", {"action": "tag", "topic": "X", "ids": [anna]})
    assert bulk.status_code == 404
    with app.app_context():
        assert Person.get_by_id(anna).last_name == ""


def test_erasure_rights(client, world):
    assert (
        _post(client, f"/contacts/{world['bea']}/erase", {"confirm": "Brandt"}).status_code == 403
    )
    assert (
        _post(client, f"/contacts/{world['geheim']}/erase", {"confirm": "Geheimnis"}).status_code
        == 404
    )
    assert client.get(f"/contacts/{world['geheim']}/erase").status_code == 404


def test_a_tampered_payload_is_still_detected(app, world):
    with app.app_context():
        entry = AuditEntry.select().where(AuditEntry.target_id == world["anna"]).first()
        AuditEntry.update(target_label="Jemand anders").where(AuditEntry.id == entry.id).execute()
        result = verify()
        assert not result.ok and result.broken_seq == entry.seq


# --- duplicates and merge -----------------------------------------------------------------


def test_creating_a_duplicate_warns_and_can_save_anyway(app, client, world):
    token = csrf_token(client, "/contacts/new")
    data = {
        "csrf_token": token,
        "client_id": str(world["alpha"].id),
        "first_name": "Annette",
        "last_name": "Schulz",
        "email": "ANNA.MUELLER@sz.example",
    }
    warned = client.post("/contacts/new", data=data)
    assert warned.status_code == 422
    html = warned.get_data(as_text=True)
    assert "Possible duplicate" in html and "Anna Müller" in html
    assert 'value="Annette"' in html, "nothing typed is lost"
    with app.app_context():
        assert Person.select().where(Person.last_name == "Schulz").count() == 0
    saved = client.post("/contacts/new", data={**data, "confirm_duplicate": "yes"})
    assert saved.status_code == 302


def test_editing_into_a_similar_name_at_the_same_outlet_warns(app, client, world):
    with app.app_context():
        sz = Outlet.get(Outlet.name == "Süddeutsche Zeitung")
        writer = Person.get_by_id(world["anna"])
        other = create_person(
            world["user"], world["alpha"], first_name="A.", last_name="Maier", outlet_ids=[sz.id]
        )
    assert writer
    response = _post(client, f"/contacts/{other.id}", {"first_name": "A.", "last_name": "Müller"})
    assert response.status_code == 422 and "Possible duplicate" in response.get_data(as_text=True)
    # a clearly different first name at the same outlet is not a duplicate
    fine = _post(client, f"/contacts/{other.id}", {"first_name": "Bernd", "last_name": "Müller"})
    assert fine.status_code == 302


def _pair(app, world):
    with app.app_context():
        sz = Outlet.get(Outlet.name == "Süddeutsche Zeitung")
        twin = create_person(
            world["user"],
            world["alpha"],
            first_name="Anna",
            last_name="Mueller",
            position="Ressortleiterin",
            emails=["anna@home.example"],
            phone="+49 30 555",
            outlet_ids=[sz.id],
            topic_names=["Energie", "Klima"],
            notes="Privat erreichbar",
        )
        HistoryEntry.create(person=twin.id, kind="note", body="Treffen auf der Messe")
    return twin.id


def test_duplicates_screen_and_merge_keep_everything(app, client, world):
    twin = _pair(app, world)
    anna = world["anna"]
    screen = client.get("/contacts/duplicates").get_data(as_text=True)
    assert "similar name at the same outlet" in screen
    assert f"keep={anna}&amp;other={twin}" in screen
    compare = client.get(f"/contacts/merge?keep={anna}&other={twin}").get_data(as_text=True)
    assert "Ressortleiterin" in compare and "Redakteurin" in compare
    done = _post(client, "/contacts/merge", {"keep": anna, "other": twin, "take": ["position"]})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/contacts/{anna}")
    with app.app_context():
        assert Person.get_or_none(Person.id == twin) is None
        kept = Person.get_by_id(anna)
        assert kept.position == "Ressortleiterin" and kept.city == "München"
        assert "Privat erreichbar" in kept.notes
        assert sorted(a for a, _ in _emails(app, anna)) == [
            "anna.mueller@sz.example",
            "anna@home.example",
        ]
        assert [p for _, p in _emails(app, anna)].count(True) == 1
        assert PersonPhone.select().where(PersonPhone.person == anna).count() == 1
        assert PersonOutlet.select().where(PersonOutlet.person == anna).count() == 1
        topics = PersonTopic.select().where(PersonTopic.person == anna).count()
        assert topics == 2, "Energie once, Klima added"
        assert HistoryEntry.select().where(HistoryEntry.person == anna).count() == 1
        merge = AuditEntry.get(AuditEntry.action == "person.merge")
        assert json.loads(merge.details) == {"merged": twin}
    history = client.get(f"/contacts/{anna}/history").get_data(as_text=True)
    assert "Merged with a duplicate" in history and "Treffen auf der Messe" in history
    assert "Merged into another contact" in history, "the merged person's trail is shown"
    found = client.get("/contacts/?q=home.example").get_data(as_text=True)
    assert f'href="/contacts/{anna}"' in found, "the merged address finds the kept person"
    assert "No possible duplicates found." in client.get("/contacts/duplicates").get_data(
        as_text=True
    )


def test_a_block_survives_a_merge(app, client, world):
    twin = _pair(app, world)
    _post(client, f"/contacts/{twin}/block", {"reason": "Werbewiderspruch"})
    _post(client, "/contacts/merge", {"keep": world["anna"], "other": twin})
    with app.app_context():
        kept = Person.get_by_id(world["anna"])
        assert kept.blocked and kept.blocked_reason == "Werbewiderspruch"


def test_not_a_duplicate_is_remembered(app, client, world):
    twin = _pair(app, world)
    _post(client, "/contacts/duplicates/dismiss", {"first": twin, "second": world["anna"]})
    with app.app_context():
        assert NotDuplicate.select().count() == 1
    assert "No possible duplicates found." in client.get("/contacts/duplicates").get_data(
        as_text=True
    )


def test_merge_refusals(app, client, world):
    anna, bea, geheim = world["anna"], world["bea"], world["geheim"]
    same = _post(client, "/contacts/merge", {"keep": anna, "other": anna})
    assert same.status_code == 422
    assert "Please choose two different contacts." in same.get_data(as_text=True)
    with app.app_context():
        other_client = create_person(world["user"], world["alpha"], last_name="Zweitkunde")
    assert _post(client, "/contacts/merge", {"keep": anna, "other": bea}).status_code == 403
    assert _post(client, "/contacts/merge", {"keep": anna, "other": geheim}).status_code == 404
    assert client.get(f"/contacts/merge?keep={anna}&other=abc").status_code == 404
    assert (
        _post(client, "/contacts/duplicates/dismiss", {"first": anna, "second": geheim}).status_code
        == 404
    )
    assert other_client
    hidden = client.get("/contacts/duplicates").get_data(as_text=True)
    assert "Geheimnis" not in hidden


# --- topics on the person's page ------------------------------------------------------------


def test_topics_added_and_taken_on_the_page(app, client, world):
    anna = world["anna"]
    page = client.get(f"/contacts/{anna}").get_data(as_text=True)
    assert '<option value="Energie">' in page, "the client's topics are offered"
    _post(client, f"/contacts/{anna}/topics/add", {"topic": "Klimapolitik"})
    _post(client, f"/contacts/{anna}/topics/remove", {"topic": "energie"})
    with app.app_context():
        names = [link.topic.name for link in PersonTopic.select().where(PersonTopic.person == anna)]
    assert names == ["Klimapolitik"]
    assert f'href="/contacts/{anna}"' in client.get("/contacts/?q=klimapolitik").get_data(
        as_text=True
    )
    empty = _post(client, f"/contacts/{anna}/topics/add", {"topic": "  "})
    assert "Please name the topic." in client.get(empty.headers["Location"]).get_data(as_text=True)
    assert _post(client, f"/contacts/{anna}/topics/rename", {"topic": "x"}).status_code == 404
    assert _post(client, f"/contacts/{world['bea']}/topics/add", {"topic": "x"}).status_code == 403
    geheim = world["geheim"]
    assert _post(client, f"/contacts/{geheim}/topics/add", {"topic": "x"}).status_code == 404
