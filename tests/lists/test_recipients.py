"""Recipient resolution (SPEC M3): lists, saved searches and single persons become one set
of addresses, each once; who is left out is counted by reason; scoping holds."""

from app.blacklist.models import BlacklistEntry
from app.contacts.models import Person, PersonEmail
from app.contacts.services import block_persons, create_person
from app.lists import recipients
from app.lists.models import DistributionList, ListMember


def test_sources_deduplicated_and_removed_by_reason(app, world):
    with app.app_context():
        user, alpha = world["user"], world["alpha"]
        # Anna (sz.example), Jürgen (no address), Karl (blocked), two sharing one address,
        # one on the blacklist by domain
        karl = world["karl"]
        block_persons(user, [karl], "Widerspruch")
        PersonEmail.create(person=karl, address="karl@bund.example", is_primary=True)
        twin_a = create_person(user, alpha, last_name="Zwilling", emails=["desk@redaktion.example"])
        twin_b = create_person(
            user, alpha, last_name="Zweitling", emails=["desk@redaktion.example"]
        )
        barred = create_person(user, alpha, last_name="Gesperrt", emails=["x@spam.example"])
        BlacklistEntry.create(kind="domain", value="spam.example")
        first = DistributionList.create(client=alpha, name="Erste")
        second = DistributionList.create(client=alpha, name="Zweite")
        for person in (world["anna"], world["juergen"], karl, twin_a.id, barred.id):
            ListMember.create(distribution_list=first, person=person)
        for person in (world["anna"], twin_b.id):
            ListMember.create(distribution_list=second, person=person)
        result = recipients.resolve(
            user, list_ids=[first.id, second.id], person_ids=[world["anna"]], client_id=alpha.id
        )
    addresses = sorted(r.address for r in result.recipients)
    assert addresses == ["anna.mueller@sz.example", "desk@redaktion.example"]
    assert result.removed == {
        "blocked": [karl],
        "no_address": [world["juergen"]],
        "blacklisted": [barred.id],
    }
    # Anna through the second list and as a person, and the second desk address
    assert result.duplicates == 3
    assert {r.source for r in result.recipients} == {f"list:{first.id}"}


def test_saved_searches_and_scoping(app, world):
    with app.app_context():
        user = world["user"]
        PersonEmail.create(person=world["juergen"], address="j@radio.example", is_primary=True)
        PersonEmail.create(person=world["bea"], address="bea@beta.example", is_primary=True)
        PersonEmail.create(person=world["geheim"], address="g@geheim.example", is_primary=True)
        found = recipients.resolve(user, searches=["q=mueller"])
        assert sorted(r.address for r in found.recipients) == [
            "anna.mueller@sz.example",
            "j@radio.example",
        ]
        # the hidden client's person is not a recipient even when named directly: a
        # person the user does not see is simply not there
        hidden = recipients.resolve(user, person_ids=[world["geheim"], world["bea"]])
        assert [r.address for r in hidden.recipients] == ["bea@beta.example"]
        # one client only
        only_alpha = recipients.resolve(
            user, person_ids=[world["anna"], world["bea"]], client_id=world["alpha"].id
        )
        assert [r.person_id for r in only_alpha.recipients] == [world["anna"]]
        assert Person.get_by_id(world["geheim"]).client_id == world["gamma"].id


def test_an_exclusion_source_can_be_added(app, world, monkeypatch):
    monkeypatch.setitem(
        recipients.EXCLUSIONS, "bounced", lambda addresses: {"anna.mueller@sz.example"} & addresses
    )
    with app.app_context():
        result = recipients.resolve(world["user"], person_ids=[world["anna"]])
    assert result.recipients == [] and result.removed == {"bounced": [world["anna"]]}
