"""Events (SPEC L2) through real requests: create, change, delete; invitations from a
search and from a list; answers changed inline; the participant list; blocked contacts left
out; client scoping; bad input."""

import re

from app.audit.models import AuditEntry
from app.contacts.services import block_persons
from app.events.models import Event, Invitation
from app.lists.models import DistributionList, ListMember
from tests.conftest import csrf_token

HX = {"HX-Request": "true"}


def _post(client, path, data=None, headers=None):
    token = csrf_token(client, "/events/")
    return client.post(path, data={**(data or {}), "csrf_token": token}, headers=headers or {})


def _new_event(client, world, **values):
    data = {
        "client_id": world["alpha"].id,
        "kind": "press_conference",
        "title": "Jahrespressekonferenz 2027",
        "starts_at": "2027-03-04T10:30",
        "ends_at": "2027-03-04T12:00",
        "place": "Haus der Presse, Berlin",
        **values,
    }
    response = _post(client, "/events/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/events/(\d+)", response.headers["Location"]).group(1))


def _invitations(app, event_id):
    with app.app_context():
        return {
            i.person_id: i.state for i in Invitation.select().where(Invitation.event == event_id)
        }


def test_create_edit_delete(app, client, world):
    event_id = _new_event(client, world)
    with app.app_context():
        event = Event.get_by_id(event_id)
        # 10:30 in Berlin (the user's time zone) is 09:30 UTC in March
        assert (event.starts_at.hour, event.starts_at.minute) == (9, 30)
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "Jahrespressekonferenz 2027" in page and "Haus der Presse" in page
    form = client.get(f"/events/{event_id}/edit").get_data(as_text=True)
    assert 'value="2027-03-04T10:30"' in form, "shown in the user's time zone again"
    changed = _post(
        client,
        f"/events/{event_id}/edit",
        {
            "kind": "background",
            "title": "Hintergrundgespräch",
            "starts_at": "2027-03-05T09:00",
        },
    )
    assert changed.status_code == 302
    assert "Hintergrundgespräch" in client.get("/events/").get_data(as_text=True)
    assert _post(client, f"/events/{event_id}/delete").status_code == 302
    with app.app_context():
        assert not Event.select().exists()
        actions = [
            e.action
            for e in AuditEntry.select()
            .where(AuditEntry.target_type == "event")
            .order_by(AuditEntry.seq)
        ]
    assert actions == ["event.create", "event.update", "event.delete"]


def test_upcoming_and_past(client, world):
    _new_event(client, world, title="Zukunft", starts_at="2099-01-01T10:00", ends_at="")
    _new_event(client, world, title="Vergangenheit", starts_at="2001-01-01T10:00", ends_at="")
    upcoming = client.get("/events/").get_data(as_text=True)
    past = client.get("/events/?when=past").get_data(as_text=True)
    assert "Zukunft" in upcoming and "Vergangenheit" not in upcoming
    assert "Vergangenheit" in past and "Zukunft" not in past


def test_bad_event_input(client, world):
    base = {
        "client_id": world["alpha"].id,
        "kind": "trip",
        "title": "Reise",
        "starts_at": "2027-01-01T10:00",
    }
    cases = [
        ({"title": ""}, "Please give the event a title."),
        ({"title": "x" * 201}, "At most 200 characters, please."),
        ({"kind": "party"}, "Please choose the kind of event."),
        ({"starts_at": ""}, "Please say when the event begins."),
        ({"starts_at": "morgen früh"}, "Please give a date and time."),
        ({"ends_at": "2026-12-31T10:00"}, "The end lies before the beginning."),
        ({"place": "<b>" * 70}, "At most 200 characters, please."),
    ]
    for change, message in cases:
        response = _post(client, "/events/new", {**base, **change})
        assert response.status_code == 422, change
        assert message in response.get_data(as_text=True), change
    kept = _post(client, "/events/new", {**base, "title": "<script>x</script>", "kind": "party"})
    assert "&lt;script&gt;x&lt;/script&gt;" in kept.get_data(as_text=True)
    assert _post(client, "/events/new", {**base, "client_id": world["beta"].id}).status_code == 403
    assert _post(client, "/events/new", {**base, "client_id": world["gamma"].id}).status_code == 404


def test_invite_from_search_and_from_a_list_and_answer_inline(app, client, world):
    event_id = _new_event(client, world)
    picker = client.get(f"/events/{event_id}/candidates?q=mueller").get_data(as_text=True)
    assert f'value="{world["anna"]}"' in picker and f'value="{world["juergen"]}"' in picker
    assert "Brandt" not in picker, "only the event's client"
    _post(client, f"/events/{event_id}/invite", {"ids": [world["anna"]]})
    with app.app_context():
        lst = DistributionList.create(client=world["alpha"], name="Hauptstadtpresse")
        for key in ("anna", "juergen", "karl"):
            ListMember.create(distribution_list=lst, person=world[key])
        block_persons(world["user"], [world["karl"]], "Widerspruch")
    response = _post(client, f"/events/{event_id}/invite", {"list_id": lst.id})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 invited, 1 invited already." in page
    assert "1 blocked contacts were not invited." in page
    assert _invitations(app, event_id) == {world["anna"]: "invited", world["juergen"]: "invited"}
    assert "Anna" not in client.get(f"/events/{event_id}/candidates?q=mueller").get_data(
        as_text=True
    )
    # the answer changes inline: htmx gets the row back
    with app.app_context():
        inv = Invitation.get((Invitation.event == event_id) & (Invitation.person == world["anna"]))
    row = _post(
        client,
        f"/events/{event_id}/invitations/{inv.id}",
        {"state": "accepted", "note": "mit Fotograf"},
        HX,
    )
    assert row.status_code == 200
    html = row.get_data(as_text=True)
    assert (
        html.lstrip().startswith(f'<tr id="invitation-{inv.id}"')
        and 'value="accepted" selected' in html
    )
    _post(
        client,
        f"/events/{event_id}/invitations/{inv.id}",
        {"state": "attended", "note": "mit Fotograf"},
    )
    assert _invitations(app, event_id)[world["anna"]] == "attended"
    bad = _post(client, f"/events/{event_id}/invitations/{inv.id}", {"state": "vielleicht"}, HX)
    assert bad.status_code == 422 and "Unknown answer." in bad.get_data(as_text=True)
    detail = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "attended: 1" in detail and "invited: 1" in detail
    participants = client.get(f"/events/{event_id}/participants").get_data(as_text=True)
    assert (
        "1 participant" in participants
        and "Müller" in participants
        and "Mueller" not in participants
    )
    # the person's page shows the event and the answer
    person = client.get(f"/contacts/{world['anna']}").get_data(as_text=True)
    assert "Jahrespressekonferenz 2027" in person and "attended" in person
    # withdraw
    _post(client, f"/events/{event_id}/invitations/{inv.id}/delete")
    assert world["anna"] not in _invitations(app, event_id)
    with app.app_context():
        actions = {e.action for e in AuditEntry.select().where(AuditEntry.target_type == "event")}
    assert {"event.invite", "event.rsvp", "event.uninvite"} <= actions


def test_invitation_refusals(app, client, world):
    event_id = _new_event(client, world)
    other = _post(client, f"/events/{event_id}/invite", {"ids": [world["bea"]]})
    assert "Only contacts of the event&#39;s client can be invited." in client.get(
        other.headers["Location"]
    ).get_data(as_text=True)
    assert (
        _post(client, f"/events/{event_id}/invite", {"ids": [world["geheim"]]}).status_code == 404
    )
    assert _post(client, f"/events/{event_id}/invite", {"ids": ["x"]}).status_code == 404
    empty = _post(client, f"/events/{event_id}/invite", {})
    assert "Please pick at least one contact." in client.get(empty.headers["Location"]).get_data(
        as_text=True
    )
    with app.app_context():
        beta_list = DistributionList.create(client=world["beta"], name="Beta")
        secret_list = DistributionList.create(client=world["gamma"], name="Geheim")
    wrong = _post(client, f"/events/{event_id}/invite", {"list_id": beta_list.id})
    assert "Only lists of the event&#39;s client can be invited." in client.get(
        wrong.headers["Location"]
    ).get_data(as_text=True)
    assert (
        _post(client, f"/events/{event_id}/invite", {"list_id": secret_list.id}).status_code == 404
    )
    assert (
        _post(client, f"/events/{event_id}/invitations/999999", {"state": "accepted"}).status_code
        == 404
    )


def test_events_of_other_clients(app, client, world):
    with app.app_context():
        import datetime

        secret = Event.create(
            client=world["gamma"], title="Geheimtreffen", starts_at=datetime.datetime(2099, 1, 1)
        )
        readable = Event.create(
            client=world["beta"], title="Beta-Tag", starts_at=datetime.datetime(2099, 1, 2)
        )
        inv = Invitation.create(event=readable, person=world["bea"])
    listing = client.get("/events/").get_data(as_text=True)
    assert "Geheimtreffen" not in listing and "Beta-Tag" in listing
    for path in (
        f"/events/{secret.id}",
        f"/events/{secret.id}/participants",
        f"/events/{secret.id}/edit",
    ):
        assert client.get(path).status_code == 404, path
    page = client.get(f"/events/{readable.id}").get_data(as_text=True)
    assert "Invite" not in page and "rsvp-form" not in page, "read only: no buttons"
    assert (
        _post(
            client, f"/events/{readable.id}/invitations/{inv.id}", {"state": "accepted"}
        ).status_code
        == 403
    )
    assert _post(client, f"/events/{readable.id}/delete").status_code == 403
    assert client.get(f"/events/{readable.id}/candidates?q=x").status_code == 403


def test_participants_to_excel(app, client, world):
    import io

    from openpyxl import load_workbook

    event_id = _new_event(client, world)
    _post(client, f"/events/{event_id}/invite", {"ids": [world["anna"], world["juergen"]]})
    with app.app_context():
        inv = Invitation.get((Invitation.event == event_id) & (Invitation.person == world["anna"]))
    _post(client, f"/events/{event_id}/invitations/{inv.id}", {"state": "accepted", "note": "=1+1"})
    with app.app_context():
        block_persons(world["user"], [world["juergen"]], "Widerspruch")
    form = client.get(f"/exports/events/{event_id}").get_data(as_text=True)
    assert "1 contact will be exported" in form and "1 blocked contact left out" in form
    token = csrf_token(client, f"/exports/events/{event_id}")
    response = client.post(
        f"/exports/events/{event_id}",
        data={"csrf_token": token, "columns": ["last_name", "first_name"]},
    )
    assert response.status_code == 200 and response.headers["X-Export-Rows"] == "1"
    data = response.data
    response.close()
    sheet = load_workbook(io.BytesIO(data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["Last name", "First name", "Answer", "Note"]
    assert rows[1] == ["Müller", "Anna", "accepted", "=1+1"]
    assert sheet.cell(row=2, column=4).data_type == "s", "a note is text, never a formula"
    none = client.post(f"/exports/events/{event_id}", data={"csrf_token": token})
    assert none.status_code == 422 and "Please choose at least one column." in none.get_data(
        as_text=True
    )
    with app.app_context():
        import datetime

        secret = Event.create(
            client=world["gamma"], title="Geheim", starts_at=datetime.datetime(2099, 1, 1)
        )
        assert AuditEntry.select().where(AuditEntry.action == "event.export").count() == 1
    assert client.get(f"/exports/events/{secret.id}").status_code == 404
