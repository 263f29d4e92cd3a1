"""Demo contacts: realistic, deterministic per seed, searchable, loaded in bulk."""

import re
import sqlite3
from collections import Counter

import pytest
from peewee import IntegrityError

from app.clients.models import Client
from app.contacts import demo
from app.contacts.demo import generate
from app.contacts.models import Person, PersonEmail, PersonOutlet, PersonPhone, PersonTopic
from app.contacts.search import matching
from app.contacts.services import create_person, reindex
from app.emails import normalise_email
from app.extensions import db
from app.outlets.models import Outlet
from tests import factories
from tests.conftest import backend


def _snapshot():
    persons = [
        (p.first_name, p.last_name, p.city, p.postcode, p.position, p.notes, p.search_text)
        for p in Person.select().order_by(Person.id)
    ]
    emails = [(e.address, e.is_primary) for e in PersonEmail.select().order_by(PersonEmail.id)]
    outlets = [(o.name, o.kind, o.city) for o in Outlet.select().order_by(Outlet.id)]
    return persons, emails, outlets


def test_generates_linked_searchable_contacts(app_ctx):
    clients = [factories.new_client("Alpha AG"), factories.new_client("Beta AG")]
    report = generate(clients, 300, seed=5)
    assert (report.persons, report.outlets) == (300, 30)
    assert report.seconds > 0 and report.per_second > 0
    assert Person.select().count() == 300 and Outlet.select().count() == 30
    assert 250 < PersonEmail.select().count() < 450
    assert PersonOutlet.select().count() >= 250 and PersonTopic.select().count() >= 300
    # every person belongs to a client, and so do their outlets
    assert {p.client_id for p in Person.select()} == {c.id for c in clients}
    mismatched = (
        PersonOutlet.select()
        .join(Person)
        .switch(PersonOutlet)
        .join(Outlet)
        .where(Person.client != Outlet.client)
        .count()
    )
    assert mismatched == 0
    user, _ = factories.user()
    for client in clients:
        factories.grant(user, client, "read")
    muellers = list(matching(Person.visible_to(user), "mueller"))
    assert muellers and all("ller" in p.last_name for p in muellers)
    assert len(list(matching(Person.visible_to(user), "müller"))) == len(muellers)


def test_the_same_seed_gives_the_same_contacts(app_ctx):
    clients = [factories.new_client("Alpha AG")]
    generate(clients, 120, seed=7)
    first = _snapshot()
    Person.delete().execute()
    Outlet.delete().execute()
    generate(clients, 120, seed=7)  # topics exist already: they are reused
    assert _snapshot() == first
    Person.delete().execute()
    Outlet.delete().execute()
    generate(clients, 120, seed=8)
    assert _snapshot()[0] != first[0]


def test_the_search_text_is_what_the_services_compute(app_ctx):
    """The generator joins cached canonical parts instead of calling the services: for every
    person, reindex must find nothing to change."""
    clients = [factories.new_client("Alpha AG"), factories.new_client("Beta AG")]
    generate(clients, 400, seed=3)
    ids = [p.id for p in Person.select(Person.id)]
    before = {p.id: p.search_text for p in Person.select(Person.id, Person.search_text)}
    assert reindex(ids) == 0
    assert {p.id: p.search_text for p in Person.select(Person.id, Person.search_text)} == before
    # and the text holds what one searches by: names, city, addresses, outlets, topics
    person = Person.select().join(PersonOutlet).order_by(Person.id).first()
    address = person.emails.order_by(PersonEmail.id).first().address
    outlet = person.outlet_links.first().outlet.name
    for word in (person.last_name, person.city, address.split("@")[1].split(".")[0], outlet):
        assert re.sub(r"[^a-z0-9 ]", " ", word.lower().replace("ü", "ue")).split()[0] in (
            person.search_text
        ).replace("ü", "ue")


def test_realistic_spread(app_ctx):
    clients = [factories.new_client(f"Kunde {n}") for n in range(3)]
    generate(clients, 3000, seed=1)
    persons = list(Person.select())
    countries = Counter(p.country for p in persons)
    assert set(countries) == {"DE", "AT", "CH"}
    assert countries["DE"] > countries["AT"] > 0 and countries["CH"] > 0.08 * len(persons)
    # umlauts and ß in names and cities, no ß in Switzerland's streets
    assert any(ch in p.last_name for p in persons for ch in "äöüß")
    assert any(ch in p.first_name for p in persons for ch in "äöü")
    assert {"München", "Zürich", "Wien"} <= {p.city for p in persons}
    assert not any("ß" in p.street for p in persons if p.country == "CH")
    # outlets look like media: distinct names, several kinds, no "Outlet 17"
    outlets = list(Outlet.select())
    assert len({o.name for o in outlets}) == len(outlets) == 300
    assert len({o.kind for o in outlets}) >= 7
    assert not any(re.fullmatch(r"Outlet \d+", o.name) for o in outlets)
    # 0–4 outlets (freelancers several), 1–4 topics, some notes
    per_person = Counter(link.person_id for link in PersonOutlet.select())
    counts = Counter(per_person.get(p.id, 0) for p in persons)
    assert counts[1] > counts[2] > 0 and counts[0] > 0 and max(counts) >= 3
    topics = Counter(link.person_id for link in PersonTopic.select())
    assert set(Counter(topics.values())) == {1, 2, 3, 4}
    assert 0.15 < sum(1 for p in persons if p.notes) / len(persons) < 0.45
    # a person usually lives where their (first) outlet is, always in its country
    first_outlet = {}
    for link in (
        PersonOutlet.select(PersonOutlet.person, Outlet.city, Outlet.country)
        .join(Outlet)
        .order_by(PersonOutlet.id)
    ):
        first_outlet.setdefault(link.person_id, (link.outlet.city, link.outlet.country))
    linked = [p for p in persons if p.id in first_outlet]
    assert all(p.country == first_outlet[p.id][1] for p in linked)
    same_city = sum(1 for p in linked if p.city == first_outlet[p.id][0])
    assert same_city > 0.7 * len(linked)


def test_addresses_and_numbers(app_ctx):
    generate([factories.new_client("Alpha AG")], 1000, seed=2)
    emails = list(PersonEmail.select())
    # normalised as the services store them, unique, on reserved domains
    assert all(normalise_email(e.address) == e.address for e in emails)
    assert len({e.address for e in emails}) == len(emails)
    assert all(e.address.endswith(".example") for e in emails)
    for rows in (emails, list(PersonPhone.select())):
        by_person = Counter(r.person_id for r in rows)
        primaries = Counter(r.person_id for r in rows if r.is_primary)
        # every person with addresses (numbers) has exactly one primary one
        assert primaries == Counter(dict.fromkeys(by_person, 1))
        assert set(by_person.values()) == {1, 2, 3}
    assert PersonEmail.select(PersonEmail.person).distinct().count() < 1000  # some have none


def test_the_full_text_index_stays_in_step(app_ctx):
    """SQLite: the insert trigger is set aside during the load and put back as it was;
    the secondary indexes (on PostgreSQL the GIN index too) are rebuilt as they were; the
    generated persons and one created afterwards are found."""
    clients = [factories.new_client("Alpha AG")]
    triggers, indexes = _triggers(), _indexes()
    assert len(indexes) > 15
    generate(clients, 200, seed=4)
    assert _triggers() == triggers
    assert _indexes() == indexes
    user, _ = factories.user()
    factories.grant(user, clients[0], "full")
    create_person(user, clients[0], first_name="Zoë", last_name="Quaßnigk", city="Köln")
    assert [p.last_name for p in matching(Person.visible_to(user), "quassnigk")] == ["Quaßnigk"]
    sample = Person.select().order_by(Person.id).first()
    found = matching(Person.visible_to(user), f"{sample.first_name} {sample.last_name}")
    assert sample.id in {p.id for p in found}
    # the sequences moved past the explicit ids: a new person gets a fresh id
    assert Person.select().count() == 201


def _indexes():
    if backend() == "sqlite":
        sql = "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
    else:
        sql = (
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = current_schema() ORDER BY indexname"
        )
    return db.execute_sql(sql).fetchall()


def test_indexes_stay_when_the_tables_hold_rows(app_ctx):
    """A second load goes into tables with rows: the indexes are kept (not rebuilt) and
    the search finds old and new persons alike."""
    clients = [factories.new_client("Alpha AG")]
    generate(clients, 100, seed=1)
    indexes = _indexes()
    generate(clients, 100, seed=2)
    assert _indexes() == indexes and Person.select().count() == 200
    user, _ = factories.user()
    factories.grant(user, clients[0], "read")
    assert reindex([p.id for p in Person.select(Person.id)]) == 0
    found = {p.id for p in matching(Person.visible_to(user), "example")}
    assert len(found) == PersonEmail.select(PersonEmail.person).distinct().count()


def _constraints():
    """Every constraint of the schema with its definition (PostgreSQL)."""
    if backend() == "sqlite":
        return None
    return db.execute_sql(
        "SELECT t.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "JOIN pg_class t ON t.oid = c.conrelid "
        "WHERE t.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) "
        "ORDER BY 1, 2"
    ).fetchall()


def test_foreign_keys_are_put_back_as_they_were(app_ctx):
    """On PostgreSQL the foreign keys between the tables being filled are set aside for
    the load and added again from their stored definitions: afterwards every constraint is
    as migrated, and they still hold."""
    clients = [factories.new_client("Alpha AG")]
    constraints = _constraints()
    generate(clients, 200, seed=3)
    assert _constraints() == constraints
    email = PersonEmail.select().first()
    with pytest.raises(IntegrityError), db.atomic():
        PersonEmail.create(person=10**9, address="nobody@example.org", is_primary=False)
    assert PersonEmail.get_by_id(email.id).person_id == email.person_id


def _failing_topic_links(monkeypatch, fail):
    """The writer fails (or writes a link to a person that does not exist) for the second
    chunk of persons' topics."""
    monkeypatch.setattr(demo, "CHUNK", 100)
    prepare, seen = demo._Writer.prepare, []

    def failing(self, model, columns, rows):
        if model is PersonTopic:
            seen.append(model)
            if len(seen) == 2:
                if fail == "raise":
                    raise RuntimeError("disk full")
                rows = rows + [(10**9, rows[0][1])]
        return prepare(self, model, columns, rows)

    monkeypatch.setattr(demo._Writer, "prepare", failing)


@pytest.mark.parametrize("fail", ["raise", "dangling link"])
def test_a_failed_load_leaves_the_schema_as_it_was(app_ctx, monkeypatch, fail):
    """A load that fails midway (an error while writing, or a row that breaks a foreign key:
    SQLite finds it when it is written, PostgreSQL when the key is added again) leaves no
    rows and every index, trigger and constraint exactly as before."""
    clients = [factories.new_client("Alpha AG")]
    indexes, triggers, constraints = _indexes(), _triggers(), _constraints()
    _failing_topic_links(monkeypatch, fail)
    # SQLite's rows go through the driver's cursor: its own IntegrityError
    broken = (IntegrityError, sqlite3.IntegrityError)
    with pytest.raises(RuntimeError if fail == "raise" else broken):
        generate(clients, 300, seed=6)
    assert (_indexes(), _triggers(), _constraints()) == (indexes, triggers, constraints)
    assert Person.select().count() == 0 and PersonTopic.select().count() == 0


def _triggers():
    if backend() != "sqlite":
        return None
    return db.execute_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
    ).fetchall()


def test_demo_data_command_with_contacts(app, cli_env):
    from tests.conftest import run_cli

    result = run_cli(cli_env, "demo-data", "--contacts", "200")
    assert result.returncode == 0, result.stderr
    assert "demo contacts: 200 persons, 20 outlets" in result.stdout
    assert re.search(r"persons/s\)", result.stdout)
    with app.app_context():
        assert Person.select().count() == 200
        assert Client.select().count() == 4
