"""Clients and rights as services (SPEC A3): every change audited in its transaction,
deny by default, the default client kept writable."""

import json

import pytest

from app.audit.models import AuditEntry
from app.clients.models import ClientRight
from app.clients.services import (
    ClientError,
    apply_grants,
    can_write,
    client_id_set,
    client_id_sets,
    clients_for,
    create_client,
    default_client_of,
    parse_grant,
    right_of,
    set_client_active,
    set_default_client,
    set_right,
    set_rights,
    update_client,
    users_with_access,
)
from app.extensions import db
from app.users.models import User
from tests import factories


def _entries(action):
    return list(AuditEntry.select().where(AuditEntry.action == action).order_by(AuditEntry.seq))


def test_create_update_and_deactivate_are_audited(app_ctx):
    client = create_client("  Nordlicht Energie AG ", "Ökostrom")
    assert client.name == "Nordlicht Energie AG" and client.active
    (entry,) = _entries("client.create")
    assert entry.target_id == client.id and entry.client_id == client.id
    assert json.loads(entry.changes)["name"] == [None, "Nordlicht Energie AG"]
    assert json.loads(entry.details)["origin"] == "manual"

    update_client(client, "Nordlicht AG", "Ökostrom und Wärme")
    (entry,) = _entries("client.update")
    assert json.loads(entry.changes) == {
        "name": ["Nordlicht Energie AG", "Nordlicht AG"],
        "description": ["Ökostrom", "Ökostrom und Wärme"],
    }
    update_client(client, "Nordlicht AG", "Ökostrom und Wärme")  # nothing changed
    assert len(_entries("client.update")) == 1

    set_client_active(client, False)
    assert json.loads(_entries("client.update")[-1].changes) == {"active": [True, False]}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "A name is required."),
        ("   ", "A name is required."),
        ("x" * 201, "at most 200 characters"),
        ("nordlicht ag", "A client named Nordlicht AG exists already."),
    ],
)
def test_bad_client_names_are_refused(app_ctx, name, message):
    existing = create_client("Nordlicht AG")
    with pytest.raises(ClientError) as info:
        create_client(name)
    assert message in str(info.value)
    with pytest.raises(ClientError):
        update_client(create_client("Other"), name)
    assert existing.name == "Nordlicht AG"


def test_renaming_a_client_to_its_own_name_in_other_case_is_fine(app_ctx):
    client = create_client("Nordlicht AG")
    update_client(client, "NORDLICHT AG")
    assert client.name == "NORDLICHT AG"


def test_a_failed_transaction_takes_client_and_audit_entry_with_it(app_ctx):
    with pytest.raises(RuntimeError), db.atomic():
        create_client("Vergänglich GmbH")
        raise RuntimeError("later step failed")
    assert not AuditEntry.select().where(AuditEntry.action == "client.create").exists()


def test_set_right_creates_changes_and_leaves_unchanged_rights_alone(app_ctx):
    user, _ = factories.user()
    client = factories.new_client("Alpha AG")
    assert right_of(user, client) == "hidden"  # deny by default
    assert set_right(user, client, "hidden") is False  # already hidden: nothing stored
    assert not ClientRight.select().exists()

    assert set_right(user, client, "read") is True
    (entry,) = _entries("client_right.create")
    assert entry.client_id == client.id
    assert json.loads(entry.changes)["right"] == [None, "read"]
    assert set_right(user, client, "read") is False
    assert set_right(user, client, "full") is True
    (entry,) = _entries("client_right.update")
    assert json.loads(entry.changes) == {"right": ["read", "full"]}
    assert set_right(user, client, "hidden") is True
    assert right_of(user, client) == "hidden"


def test_an_unknown_right_is_refused(app_ctx):
    user, _ = factories.user()
    client = factories.new_client()
    with pytest.raises(ClientError, match="Unknown right: admin"):
        set_right(user, client, "admin")


def test_set_rights_is_all_or_nothing(app_ctx):
    a, _ = factories.user()
    b, _ = factories.user()
    client = factories.new_client()
    with pytest.raises(ClientError):
        set_rights(client, {a: "full", b: "everything"})
    assert not ClientRight.select().exists()
    assert not _entries("client_right.create")
    assert set_rights(client, {a: "full", b: "read"}) == 2
    assert users_with_access() == {client.id: 2}


def test_full_access_gives_a_default_client_and_losing_it_takes_it_away(app_ctx):
    user, _ = factories.user()
    a, b = factories.new_client("Alpha AG"), factories.new_client("Beta AG")
    factories.grant(user, a, "full")
    factories.grant(user, b, "full")
    assert User.get_by_id(user.id).default_client_id == a.id
    assert default_client_of(user) == a
    set_default_client(user, b)
    assert User.get_by_id(user.id).default_client_id == b.id
    update = _entries("user.update")[-1]
    assert json.loads(update.changes) == {"default_client": [a.id, b.id]}

    factories.grant(user, b, "read")
    assert User.get_by_id(user.id).default_client_id is None
    set_default_client(user, a)
    set_client_active(a, False)  # a deactivated client is nobody's default
    assert User.get_by_id(user.id).default_client_id is None
    assert default_client_of(user) is None


def test_default_client_must_be_writable(app_ctx):
    user, _ = factories.user()
    a, b, c = (factories.new_client() for _ in range(3))
    factories.grant(user, a, "full")
    factories.grant(user, b, "read")
    for client in (b, c):
        with pytest.raises(ClientError, match="cannot add records"):
            set_default_client(user, client)
    set_default_client(user, None)
    assert User.get_by_id(user.id).default_client_id is None
    # a default that is no longer writable (changed behind the services' back) is ignored
    User.update(default_client=c).where(User.id == user.id).execute()
    assert default_client_of(User.get_by_id(user.id)) is None


def test_clients_for_and_inactive_clients(app_ctx):
    user, _ = factories.user()
    a, b, c = (factories.new_client(n) for n in ("Alpha AG", "Beta AG", "Gamma AG"))
    factories.grant(user, a, "full")
    factories.grant(user, b, "read")
    assert [x.name for x in clients_for(user)] == ["Alpha AG", "Beta AG"]
    assert [x.name for x in clients_for(user, "full")] == ["Alpha AG"]
    assert can_write(user, a) and not can_write(user, b) and not can_write(user, c.id)
    assert client_id_sets(user) == ({a.id, b.id}, {a.id})
    set_client_active(a, False)
    assert client_id_set(user, "read") == {a.id, b.id}
    assert client_id_set(user, "full") == set()
    assert client_id_sets(user) == ({a.id, b.id}, set())
    assert client_id_sets(None) == (set(), set())
    with pytest.raises(ValueError):
        clients_for(user, "hidden")


def test_parse_grant(app_ctx):
    a = factories.new_client("Nordlicht AG")
    b = factories.new_client("A=B Partner")
    assert parse_grant("nordlicht ag=FULL") == ([a], "full")
    assert parse_grant(" Nordlicht AG = read ") == ([a], "read")
    assert parse_grant("A=B Partner=hidden") == ([b], "hidden")
    assert parse_grant("*=read") == ([b, a], "read")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("Nordlicht AG", "expected CLIENT=RIGHT"),
        ("=full", "expected CLIENT=RIGHT"),
        ("Nordlicht AG=", "expected CLIENT=RIGHT"),
        ("Nordlicht AG=admin", "Unknown right: admin"),
        ("Südlicht AG=full", "There is no client named Südlicht AG (clients: Nordlicht AG)"),
    ],
)
def test_parse_grant_names_what_is_wrong(app_ctx, spec, message):
    factories.new_client("Nordlicht AG")
    with pytest.raises(ClientError) as info:
        parse_grant(spec)
    assert message in str(info.value)


def test_apply_grants_later_wins_and_all_or_nothing(app_ctx):
    user, _ = factories.user()
    a = factories.new_client("Alpha AG")
    factories.new_client("Beta AG")
    result = apply_grants(user, ["*=read", "beta ag=full"])
    assert [(c.name, r, changed) for c, r, changed in result] == [
        ("Alpha AG", "read", True),
        ("Beta AG", "full", True),
    ]
    assert len(_entries("client_right.create")) == 2  # no detour through "read" for Beta
    with pytest.raises(ClientError):
        apply_grants(user, ["Alpha AG=full", "Nope=read"])
    assert right_of(user, a) == "read"


def test_demo_data_grants_rights(app_ctx):
    from app.demo import load_demo_data

    report = load_demo_data(seed=3)
    admin, others = report.users[0], report.users[1:]
    assert all(right_of(admin, c) == "full" for c in report.clients)
    for user in others:
        rights = sorted(right_of(user, c) for c in report.clients)
        assert rights == ["full", "full", "hidden", "read"]
        assert can_write(user, User.get_by_id(user.id).default_client_id)
    assert json.loads(_entries("client_right.create")[0].details)["origin"] == "demo"
