"""`depesche create-client`, `depesche grant` and `create-user --grant`, run as operators
run them: as a real process against the test database."""

import json

import pytest

from app.audit.models import AuditEntry
from app.clients.models import Client, ClientRight
from app.clients.services import right_of
from app.extensions import db
from app.users.models import User
from tests import factories
from tests.conftest import run_cli


def run(env, *args):
    return run_cli(env, *args)


@pytest.fixture
def in_app(app):
    with app.app_context():
        db.connect(reuse_if_open=True)
        yield
        db.close()


def _rights(email):
    user = User.get(User.email == email)
    return {c.name: right_of(user, c) for c in Client.select()}


def test_create_client(app, cli_env, in_app):
    db.close()  # let the command line have the database to itself
    result = run(cli_env, "create-client", "Nordlicht AG", "--description", "Ökostrom")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("created client Nordlicht AG (id ")
    client = Client.get(Client.name == "Nordlicht AG")
    assert client.description == "Ökostrom"
    entry = AuditEntry.get(AuditEntry.action == "client.create")
    assert json.loads(entry.details)["origin"] == "cli"
    assert entry.actor_name.startswith("system (")


@pytest.mark.parametrize(
    ("name", "message"),
    [("nordlicht ag", "A client named Nordlicht AG exists already."), (" ", "A name is required.")],
)
def test_create_client_refuses_bad_names(app, cli_env, in_app, name, message):
    factories.new_client("Nordlicht AG")
    db.close()
    result = run(cli_env, "create-client", name)
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr
    assert Client.select().count() == 1


def test_create_user_with_grants(app, cli_env, in_app):
    for name in ("Alpha AG", "Beta AG", "Gamma AG"):
        factories.new_client(name)
    db.close()
    result = run(
        cli_env,
        "create-user",
        "lena@agentur.example",
        "--name",
        "Lena Huber",
        "--grant",
        "*=read",
        "--grant",
        "beta ag=full",
        "--grant",
        "Gamma AG=hidden",
    )
    assert result.returncode == 0, result.stderr
    assert "Beta AG: full" in result.stdout and "one-time password: " in result.stdout
    assert _rights("lena@agentur.example") == {
        "Alpha AG": "read",
        "Beta AG": "full",
        "Gamma AG": "hidden",
    }
    user = User.get(User.email == "lena@agentur.example")
    assert user.default_client.name == "Beta AG"


@pytest.mark.parametrize(
    ("grant", "message"),
    [
        ("Nope AG=full", "There is no client named Nope AG (clients: Alpha AG)"),
        ("Alpha AG=admin", "Unknown right: admin (possible: full, read, hidden)"),
        ("Alpha AG", "expected CLIENT=RIGHT"),
    ],
)
def test_create_user_with_a_bad_grant_creates_nobody(app, cli_env, in_app, grant, message):
    factories.new_client("Alpha AG")
    db.close()
    result = run(cli_env, "create-user", "lena@agentur.example", "--name", "Lena", "--grant", grant)
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not User.select().exists()


def test_grant(app, cli_env, in_app):
    user, _ = factories.user(email="lena@agentur.example")
    for name in ("Alpha AG", "Beta AG"):
        factories.new_client(name)
    db.close()
    result = run(cli_env, "grant", "LENA@agentur.example", "*=full", "Beta AG=read")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "rights of lena@agentur.example:",
        "Alpha AG: full",
        "Beta AG: read",
    ]
    assert _rights("lena@agentur.example") == {"Alpha AG": "full", "Beta AG": "read"}
    again = run(cli_env, "grant", "lena@agentur.example", "Beta AG=read")
    assert again.stdout.splitlines()[-1] == "Beta AG: read (unchanged)"
    assert AuditEntry.select().where(AuditEntry.target_type == "client_right").count() == 2


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["nobody@agentur.example", "Alpha AG=full"], 1, "no user with the e-mail address"),
        (["lena@agentur.example", "Alpha AG=full", "Nope=read"], 1, "no client named Nope"),
        (["lena@agentur.example", "Alpha AG=owner"], 1, "Unknown right: owner"),
        (["lena@agentur.example"], 2, "Missing argument"),
    ],
)
def test_grant_refuses_and_changes_nothing(app, cli_env, in_app, args, code, message):
    factories.user(email="lena@agentur.example")
    factories.new_client("Alpha AG")
    db.close()
    result = run(cli_env, "grant", *args)
    assert result.returncode == code
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not ClientRight.select().exists()
