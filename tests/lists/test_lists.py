"""Distribution lists (SPEC L1) through real requests: the list right, static members from
the contacts screen, a person's page and pasted addresses, saved searches evaluated at use,
blocked members marked, client scoping, bad input."""

import pytest

from app.audit.models import AuditEntry
from app.contacts.models import Person, PersonEmail
from app.contacts.services import block_persons, create_person
from app.lists.models import DistributionList, ListMember
from tests.conftest import csrf_token


@pytest.fixture
def lister(app, login_as, world):
    """The world's user, with the list right."""
    with app.app_context():
        user = world["user"]
        user.may_manage_lists = True
        user.save()
    return user


def _post(client, path, data=None):
    token = csrf_token(client, "/lists/")
    return client.post(path, data={**(data or {}), "csrf_token": token})


def _new_list(client, world, name="Energiepresse", **extra):
    data = {"client_id": world["alpha"].id, "name": name, "kind": "static", **extra}
    response = _post(client, "/lists/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def _member_ids(app, list_id):
    with app.app_context():
        return sorted(
            m.person_id for m in ListMember.select().where(ListMember.distribution_list == list_id)
        )


def test_only_the_list_right_creates_renames_and_deletes(app, client, world):
    assert client.get("/lists/new").status_code == 403
    data = {"client_id": world["alpha"].id, "name": "X", "kind": "static"}
    assert _post(client, "/lists/new", data).status_code == 403
    with app.app_context():
        lst = DistributionList.create(client=world["alpha"], name="Bestehend")
    assert _post(client, f"/lists/{lst.id}/edit", {"name": "Neu"}).status_code == 403
    assert _post(client, f"/lists/{lst.id}/delete").status_code == 403
    assert "New list" not in client.get("/lists/").get_data(as_text=True)


def test_create_rename_delete_with_audit(app, client, world, lister):
    list_id = _new_list(client, world, description="Fachpresse Energie")
    page = client.get(f"/lists/{list_id}").get_data(as_text=True)
    assert "Energiepresse" in page and "Nobody is on this list yet" in page
    assert _post(client, f"/lists/{list_id}/edit", {"name": "Energie & Klima"}).status_code == 302
    assert "Energie &amp; Klima" in client.get("/lists/").get_data(as_text=True)
    assert _post(client, f"/lists/{list_id}/delete").status_code == 302
    with app.app_context():
        assert not DistributionList.select().exists()
        actions = [
            e.action
            for e in AuditEntry.select()
            .where(AuditEntry.target_id == list_id)
            .order_by(AuditEntry.seq)
        ]
    assert actions[-3:] == [
        "distribution_list.create",
        "distribution_list.update",
        "distribution_list.delete",
    ]


def test_bad_list_input(app, client, world, lister):
    _new_list(client, world, name="Energiepresse")
    cases = [
        ({"name": ""}, "Please name the list."),
        ({"name": "x" * 121}, "At most 120 characters, please."),
        ({"name": "energiepresse"}, "The client already has a list of this name."),
        ({"name": "Neu", "kind": "magic"}, "Please choose fixed members or a saved search."),
        ({"name": "Neu", "kind": "dynamic", "search": "page=3"}, "A saved search needs filters"),
    ]
    for data, message in cases:
        response = _post(
            client, "/lists/new", {"client_id": world["alpha"].id, "kind": "static", **data}
        )
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True), data
    # a client the user may only read, or does not see
    read_only = {"client_id": world["beta"].id, "name": "Y", "kind": "static"}
    assert _post(client, "/lists/new", read_only).status_code == 403
    hidden = {"client_id": world["gamma"].id, "name": "Y", "kind": "static"}
    assert _post(client, "/lists/new", hidden).status_code == 404


def test_members_from_the_contacts_screen_and_the_person_page(app, client, world, lister):
    list_id = _new_list(client, world)
    anna, juergen, karl = world["anna"], world["juergen"], world["karl"]
    token = csrf_token(client, "/contacts/")
    screen = client.get("/contacts/").get_data(as_text=True)
    assert f'<option value="{list_id}">Energiepresse</option>' in screen
    response = client.post(
        "/contacts/bulk",
        data={"csrf_token": token, "action": "list", "list_id": list_id, "ids": [anna, juergen]},
    )
    assert response.status_code == 302
    assert _member_ids(app, list_id) == sorted([anna, juergen])
    # again: nobody twice
    client.post(
        "/contacts/bulk",
        data={"csrf_token": token, "action": "list", "list_id": list_id, "ids": [anna]},
    )
    assert _member_ids(app, list_id) == sorted([anna, juergen])
    # from the person's page
    page = client.get(f"/contacts/{karl}").get_data(as_text=True)
    assert "Energiepresse" in page
    _post(client, f"/lists/person/{karl}", {"list_id": list_id})
    assert karl in _member_ids(app, list_id)
    _post(client, f"/lists/{list_id}/person/{karl}/remove")
    assert karl not in _member_ids(app, list_id)
    # a person of another client cannot join; a hidden one is not found
    bea = _post(
        client, "/contacts/bulk", {"action": "list", "list_id": list_id, "ids": [world["bea"]]}
    )
    assert "Only contacts of the list&#39;s client can be on it." in client.get(
        bea.headers["Location"]
    ).get_data(as_text=True)
    assert _post(client, f"/lists/{list_id}/members", {"ids": [world["geheim"]]}).status_code == 404
    no_list = _post(client, "/contacts/bulk", {"action": "list", "list_id": "", "ids": [anna]})
    assert "Please choose a list." in client.get(no_list.headers["Location"]).get_data(as_text=True)
    # remove the selected on the list's page
    _post(client, f"/lists/{list_id}/members", {"action": "remove", "ids": [anna]})
    assert _member_ids(app, list_id) == [juergen]


def test_pasted_addresses(app, client, world, lister):
    list_id = _new_list(client, world)
    text = (
        "Anna Müller <ANNA.MUELLER@sz.example>; unbekannt@nirgends.example,\n"
        "keine-adresse@ , bea@beta.example"
    )
    with app.app_context():
        beta = Person.create(client=world["beta"], last_name="Beta")
        PersonEmail.create(person=beta, address="bea@beta.example", is_primary=True)
    response = _post(client, f"/lists/{list_id}/members", {"addresses": text})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 added, 0 already on the list." in page
    assert "unbekannt@nirgends.example" in page and "bea@beta.example" in page, "not found here"
    assert "Not valid e-mail addresses: keine-adresse@" in page
    assert _member_ids(app, list_id) == [world["anna"]]
    empty = _post(client, f"/lists/{list_id}/members", {"addresses": "  "})
    assert "Please paste at least one e-mail address." in client.get(
        empty.headers["Location"]
    ).get_data(as_text=True)


def test_saved_search_is_evaluated_at_use(app, client, world, lister):
    # "Save as list" appears on a filtered contacts screen and carries its filters
    table = client.get("/contacts/?q=mueller&page=2").get_data(as_text=True)
    assert "Save as list" in table and "search=q%3Dmueller" in table
    form = client.get("/lists/new?search=q%3Dmueller%26page%3D2%26bogus%3D1").get_data(as_text=True)
    assert 'value="q=mueller"' in form, "only known filters, no page"
    list_id = _new_list(client, world, name="Alle Müller", kind="dynamic", search="q=mueller")
    page = client.get(f"/lists/{list_id}").get_data(as_text=True)
    assert "2 members" in page and "Strauß" not in page
    with app.app_context():
        new = create_person(world["user"], world["alpha"], first_name="Otto", last_name="Müller")
        block_persons(world["user"], [new.id], "Widerspruch")
    page = client.get(f"/lists/{list_id}").get_data(as_text=True)
    assert "3 members" in page and "Otto" in page, "a new match is a member at once"
    assert "1 blocked: receives nothing" in page
    # a saved search has no fixed members
    refused = _post(client, f"/lists/{list_id}/members", {"ids": [world["karl"]]})
    assert "A saved search has no fixed members to change." in client.get(
        refused.headers["Location"]
    ).get_data(as_text=True)


def test_lists_of_hidden_clients_are_invisible(app, client, world, lister):
    with app.app_context():
        secret = DistributionList.create(client=world["gamma"], name="Geheimverteiler")
        readable = DistributionList.create(client=world["beta"], name="Beta-Verteiler")
    assert "Geheimverteiler" not in client.get("/lists/").get_data(as_text=True)
    assert client.get(f"/lists/{secret.id}").status_code == 404
    assert client.get(f"/lists/{readable.id}").status_code == 200
    assert (
        _post(client, f"/lists/{readable.id}/members", {"ids": [world["bea"]]}).status_code == 403
    )
    assert _post(client, f"/lists/{secret.id}/members", {"ids": [world["anna"]]}).status_code == 404
    assert _post(client, f"/lists/{readable.id}/delete").status_code == 403


def test_merge_and_erasure_keep_lists_consistent(app, client, world, lister):
    list_id = _new_list(client, world)
    _post(client, f"/lists/{list_id}/members", {"ids": [world["anna"], world["juergen"]]})
    # merging Jürgen into Anna keeps one membership
    _post(client, "/contacts/merge", {"keep": world["anna"], "other": world["juergen"]})
    assert _member_ids(app, list_id) == [world["anna"]]
    token = csrf_token(client, "/contacts/")
    client.post(f"/contacts/{world['anna']}/erase", data={"csrf_token": token, "confirm": "Müller"})
    assert _member_ids(app, list_id) == [world["anna"]], "the tombstone row stays for the figures"
    page = client.get(f"/lists/{list_id}").get_data(as_text=True)
    assert "0 members" in page, "but an erased person is on no screen"
    with app.app_context():
        assert Person.get_by_id(world["anna"]).erased_at


def test_the_contacts_screen_filters_by_list(app, client, world, lister):
    list_id = _new_list(client, world)
    _post(client, f"/lists/{list_id}/members", {"ids": [world["karl"], world["anna"]]})
    screen = client.get(f"/contacts/?list={list_id}").get_data(as_text=True)
    assert f'<option value="{list_id}" selected>Energiepresse</option>' in screen
    assert (
        f'id="person-{world["karl"]}"' in screen and f'id="person-{world["juergen"]}"' not in screen
    )
    combined = client.get(f"/contacts/?list={list_id}&q=mueller").get_data(as_text=True)
    assert (
        f'id="person-{world["anna"]}"' in combined
        and f'id="person-{world["karl"]}"' not in combined
    )
    # a hidden client's list is an unknown value: ignored, no hint
    with app.app_context():
        secret = DistributionList.create(client=world["gamma"], name="Geheim")
    ignored = client.get(f"/contacts/?list={secret.id}").get_data(as_text=True)
    assert f'id="person-{world["juergen"]}"' in ignored and "Geheim" not in ignored
    # a saved search of the list and a topic is a dynamic list over that static one
    dynamic = _new_list(
        client, world, name="Energie und Liste", kind="dynamic", search=f"list={list_id}"
    )
    assert "2 members" in client.get(f"/lists/{dynamic}").get_data(as_text=True)


def test_the_demo_agency_has_lists_and_events(app):
    from app.demo import load_demo_data
    from app.events.models import Event, Invitation

    with app.app_context():
        report = load_demo_data(contacts=400)
        clients = len(report.clients)
        assert (
            DistributionList.select().where(DistributionList.kind == "static").count()
            == 3 * clients
        )
        assert (
            DistributionList.select().where(DistributionList.kind == "dynamic").count() == clients
        )
        assert ListMember.select().count() > 0 and Event.select().count() == 3 * clients
        states = {i.state for i in Invitation.select()}
        assert {"accepted", "attended", "declined", "invited"} <= states
        # every member and invitee belongs to the list's or event's client
        wrong = (
            ListMember.select()
            .join(DistributionList)
            .switch(ListMember)
            .join(Person)
            .where(Person.client != DistributionList.client)
            .count()
        )
        assert wrong == 0
