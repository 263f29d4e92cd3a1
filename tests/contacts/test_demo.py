"""Demo contacts: realistic, deterministic per seed, searchable."""

from app.clients.models import Client
from app.contacts.demo import generate
from app.contacts.models import Person, PersonEmail, PersonOutlet, PersonTopic
from app.contacts.search import matching
from app.outlets.models import Outlet
from tests import factories


def _snapshot():
    return [
        (p.first_name, p.last_name, p.city, p.client_id)
        for p in Person.select().order_by(Person.id)
    ]


def test_generates_linked_searchable_contacts(app_ctx):
    clients = [factories.new_client("Alpha AG"), factories.new_client("Beta AG")]
    report = generate(clients, 300, seed=5)
    assert (report.persons, report.outlets) == (300, 30)
    assert Person.select().count() == 300 and Outlet.select().count() == 30
    assert PersonEmail.select().count() == 300
    assert PersonOutlet.select().count() >= 300 and PersonTopic.select().count() >= 300
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


def test_the_same_seed_gives_the_same_contacts(app_ctx):
    clients = [factories.new_client("Alpha AG")]
    generate(clients, 50, seed=7)
    first = _snapshot()
    Person.delete().execute()
    Outlet.delete().execute()
    generate(clients, 50, seed=7)  # topics exist already: they are reused
    assert [row[:3] for row in _snapshot()] == [row[:3] for row in first]


def test_demo_data_command_with_contacts(app, cli_env):
    from tests.conftest import run_cli

    result = run_cli(cli_env, "demo-data", "--contacts", "200")
    assert result.returncode == 0, result.stderr
    assert "demo contacts: 200 persons, 20 outlets" in result.stdout
    with app.app_context():
        assert Person.select().count() == 200
        assert Client.select().count() == 4
