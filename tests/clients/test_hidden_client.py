"""Hidden means invisible everywhere (SPEC A3): signed in as a user for whom one client is
hidden, walk every GET route of the application — with the ids of the hidden client's
records in the URL — and find neither a 404 missing nor a name or e-mail address of the
hidden client's records on any page, full or htmx partial.

When a feature adds a client-owned model with routes, add its URL argument to
`hidden_ids` below, so that the crawl puts the hidden client's record there.
"""

import re
from datetime import datetime

import pytest

from app.bounces.models import AddressBounce
from app.contacts.models import (
    HistoryEntry,
    OutletTopic,
    Person,
    PersonEmail,
    PersonOutlet,
    Topic,
)
from app.contacts.services import reindex
from app.events.models import Event, Invitation
from app.lists.models import DistributionList, ListMember
from app.mailings.models import Mailing, MailingRecipient
from app.outlets.models import Outlet, OutletDepartment
from app.outlets.services import reindex_outlets
from app.security import PERMISSIONS
from app.transfer.models import ImportJob
from tests import factories
from tests.clients.notes import Note

HIDDEN_CLIENT = ("Verborgene Geheimkunde AG", "Streng vertraulicher Geschäftsbereich")
HIDDEN_NOTE = ("Projekt Morgenröte", "kontakt@geheimkunde.example")
HIDDEN_PERSON = ("Hannelore", "Verborgenheit", "hannelore@geheimkunde.example")
HIDDEN_OUTLET = ("Geheimer Anzeiger", "Tarnressort", "Schattenthema")
VISIBLE_CLIENT = "Sichtbar GmbH"
HIDDEN_LIST = "Vertraulicher Presseverteiler"
HIDDEN_EVENT = "Verschwiegene Bilanzpressekonferenz"
HIDDEN_MAILING = "Sperrfrist: Übernahmeangebot"
HIDDEN_FILE = "geheime-presseliste.xlsx"
ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def hidden_ids(hidden, note, person, entry, outlet, hidden_list, event, mailing, job) -> dict:
    """URL argument → the id of the hidden client's record of that kind."""
    return {
        "client_id": hidden.id,
        "note_id": note.id,
        "person_id": person.id,
        "entry_id": entry.id,
        "outlet_id": outlet.id,
        "list_id": hidden_list.id,
        "event_id": event.id,
        "invitation_id": event.invitations.get().id,
        "mailing_id": mailing.id,
        # an import job is client-owned; the full export's jobs are administrators' only
        # (their routes answer 403 to anyone else whatever the id)
        "job_id": job.id,
    }


def _path(rule, ids, fallback_id):
    def substitute(match):
        converter, name = match.group(1) or "default", match.group(2)
        if name in ids:
            return str(ids[name])
        # other ids: a hidden record's id is the most telling guess
        return str(fallback_id) if converter == "int" else "x"

    return ARGUMENT.sub(substitute, rule.rule)


@pytest.mark.parametrize("role", ["user", "administrator"])
def test_a_hidden_client_appears_nowhere(app, client, login_as, notes, role):
    user = login_as(role)
    with app.app_context():
        visible = factories.new_client(VISIBLE_CLIENT)
        factories.grant(user, visible, "full")
        hidden = factories.new_client(*HIDDEN_CLIENT)  # no right: hidden by default
        other, _ = factories.user(name="Kollegin Mit Zugang")
        factories.grant(other, hidden, "full")  # someone else may see it; this user not
        note = Note.create(client=hidden, title=HIDDEN_NOTE[0], email=HIDDEN_NOTE[1])
        Note.create(client=visible, title="Sichtbare Notiz")
        person = Person.create(
            client=hidden, first_name=HIDDEN_PERSON[0], last_name=HIDDEN_PERSON[1]
        )
        PersonEmail.create(person=person, address=HIDDEN_PERSON[2], is_primary=True)
        # a duplicate of the hidden person (the duplicates screen must not show the pair)
        twin = Person.create(client=hidden, first_name="H.", last_name=HIDDEN_PERSON[1])
        PersonEmail.create(person=twin, address=HIDDEN_PERSON[2], is_primary=True)
        entry = HistoryEntry.create(person=person, kind="note", subject=HIDDEN_NOTE[0])
        Person.create(client=visible, first_name="Sichtbar", last_name="Kontaktperson")
        outlet = Outlet.create(client=hidden, name=HIDDEN_OUTLET[0])
        OutletDepartment.create(outlet=outlet, name=HIDDEN_OUTLET[1])
        OutletTopic.create(outlet=outlet, topic=Topic.create(client=hidden, name=HIDDEN_OUTLET[2]))
        PersonOutlet.create(outlet=outlet, person=person, position="Tarnposition")
        Outlet.create(client=visible, name="Sichtbarer Bote")
        reindex(p.id for p in Person.select())
        reindex_outlets(o.id for o in Outlet.select())
        hidden_list = DistributionList.create(client=hidden, name=HIDDEN_LIST)
        ListMember.create(distribution_list=hidden_list, person=person)
        event = Event.create(client=hidden, title=HIDDEN_EVENT, starts_at=datetime(2099, 5, 1))
        Invitation.create(event=event, person=person, note="Geheime Zusage")
        mailing = Mailing.create(client=hidden, subject=HIDDEN_MAILING, html="<p>x</p>")
        # a hard bounce of the hidden person (the undeliverable addresses screen)
        bounced = MailingRecipient.create(
            mailing=mailing,
            person=person,
            address=HIDDEN_PERSON[2],
            token="HiddenBounce01",
            state="bounced_hard",
            bounce_kind="hard",
            bounce_code="5.1.1",
            bounced_at=datetime(2099, 1, 1),
        )
        AddressBounce.create(
            address=HIDDEN_PERSON[2], hard_at=datetime(2099, 1, 1), last_recipient=bounced
        )
        job = ImportJob.create(
            client=hidden, user=other, file_sha256="0" * 64, file_name=HIDDEN_FILE, kind="csv"
        )
    secrets = [
        *HIDDEN_CLIENT,
        *HIDDEN_NOTE,
        *HIDDEN_PERSON[1:],
        *HIDDEN_OUTLET,
        "Tarnposition",
        HIDDEN_LIST,
        HIDDEN_EVENT,
        "Geheime Zusage",
        HIDDEN_MAILING,
        HIDDEN_FILE,
    ]
    ids = hidden_ids(hidden, note, person, entry, outlet, hidden_list, event, mailing, job)

    crawled, found_ok = [], 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if role == "administrator" and rule.rule.startswith("/admin/"):
            # The administration area lists every client by design (managing clients and
            # rights); an administrator's own data access follows the rights like anyone's.
            continue
        path = _path(rule, ids, hidden.id)
        permission = getattr(app.view_functions[rule.endpoint], "permission", None)
        permitted = permission in PERMISSIONS and PERMISSIONS[permission](user)
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(path, headers=headers)
            status = response.status_code
            text = response.get_data(as_text=True) + " ".join(
                value for _, value in response.headers.items()
            )
            assert status < 500, (path, status)
            for secret in secrets:
                assert secret not in text, f"{path} ({status}) shows {secret!r}"
            if rule.arguments & ids.keys():
                assert status == (404 if permitted else 403), (path, status)
            found_ok += status == 200
        crawled.append(path)

    assert "/test-notes/<int:note_id>".replace("<int:note_id>", str(note.id)) in crawled
    assert len(crawled) >= 5 and found_ok >= 5
    # still signed in, and the visible client does show: the crawl saw real pages
    assert VISIBLE_CLIENT in client.get("/account/default-client").get_data(as_text=True)
    assert "Sichtbare Notiz" in client.get("/test-notes/").get_data(as_text=True)
    contacts = client.get("/contacts/?q=verborgenheit").get_data(as_text=True)
    assert "Verborgenheit" not in contacts
    assert "Kontaktperson" in client.get("/contacts/").get_data(as_text=True)
    for query in ("", "?q=geheimer", "?q=tarnressort", "?q=schattenthema"):
        outlets = client.get(f"/outlets/{query}").get_data(as_text=True)
        assert "Geheimer Anzeiger" not in outlets
    assert "Sichtbarer Bote" in client.get("/outlets/").get_data(as_text=True)
