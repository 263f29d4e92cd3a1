"""The administrator's client screens and each user's default-client page, over HTTP."""

import json
import re

import pytest

from app.audit.models import AuditEntry
from app.clients.models import Client, ClientRight
from app.extensions import db
from app.users.models import User
from tests.conftest import csrf_token


def _post(client, path, data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/")})


def _db(app):
    """Read the database from the test (outside a request)."""
    ctx = app.app_context()
    ctx.push()
    db.connect(reuse_if_open=True)
    return ctx


def test_clients_section_is_on_the_administration_page(client, login_as):
    login_as("administrator")
    page = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/clients/"' in page


def test_create_client_through_the_form(app, client, login_as):
    login_as("administrator")
    assert client.get("/admin/clients/new").status_code == 200
    response = _post(
        client, "/admin/clients/new", {"name": "Nordlicht AG", "description": "Ökostrom"}
    )
    assert response.status_code == 302
    ctx = _db(app)
    created = Client.get(Client.name == "Nordlicht AG")
    assert response.headers["Location"] == f"/admin/clients/{created.id}/rights"
    entry = AuditEntry.get(AuditEntry.action == "client.create")
    assert entry.target_id == created.id and entry.actor_name.startswith("Test User")
    ctx.pop()
    listing = client.get("/admin/clients/").get_data(as_text=True)
    assert "Nordlicht AG" in listing and "Ökostrom" in listing


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"name": "x" * 201}, "Field cannot be longer than 200 characters."),
        ({"name": "NORDLICHT AG"}, "A client named Nordlicht AG exists already."),
        ({"name": "Neu", "description": "x" * 2001}, "Field cannot be longer than 2000"),
    ],
)
def test_create_client_with_errors_answers_422(client, login_as, make_client, data, message):
    make_client("Nordlicht AG")
    login_as("administrator")
    response = _post(client, "/admin/clients/new", data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_edit_rename_and_duplicate(app, client, login_as, make_client):
    target = make_client("Nordlicht AG", "alt")
    make_client("Südlicht AG")
    login_as("administrator")
    path = f"/admin/clients/{target.id}/edit"
    page = client.get(path).get_data(as_text=True)
    assert 'value="Nordlicht AG"' in page and "cannot be deleted" in page
    refused = _post(client, path, {"name": "südlicht ag"})
    assert refused.status_code == 422
    assert "A client named Südlicht AG exists already." in refused.get_data(as_text=True)
    saved = _post(client, path, {"name": "Nordlicht Energie AG", "description": "neu"})
    assert saved.status_code == 302 and saved.headers["Location"] == "/admin/clients/"
    ctx = _db(app)
    assert Client.get_by_id(target.id).name == "Nordlicht Energie AG"
    changes = json.loads(AuditEntry.get(AuditEntry.action == "client.update").changes)
    assert changes == {
        "name": ["Nordlicht AG", "Nordlicht Energie AG"],
        "description": ["alt", "neu"],
    }
    ctx.pop()


def test_deactivate_and_reactivate(app, client, login_as, make_client):
    target = make_client("Nordlicht AG")
    login_as("administrator")
    response = _post(client, f"/admin/clients/{target.id}/deactivate", {})
    assert response.status_code == 302
    page = client.get(f"/admin/clients/{target.id}/edit").get_data(as_text=True)
    assert "deactivated" in page and "Reactivate client" in page
    assert "Inactive" in client.get("/admin/clients/").get_data(as_text=True)
    ctx = _db(app)
    assert not Client.get_by_id(target.id).active
    ctx.pop()
    assert _post(client, f"/admin/clients/{target.id}/reactivate", {}).status_code == 302
    ctx = _db(app)
    assert Client.get_by_id(target.id).active
    actions = [e.action for e in AuditEntry.select().where(AuditEntry.target_type == "client")]
    assert actions == ["client.create", "client.update", "client.update"]
    ctx.pop()


def test_deactivate_without_csrf_token_is_refused(app, client, login_as, make_client):
    target = make_client("Nordlicht AG")
    login_as("administrator")
    assert client.post(f"/admin/clients/{target.id}/deactivate").status_code == 400
    ctx = _db(app)
    assert Client.get_by_id(target.id).active
    ctx.pop()


def test_unknown_client_is_404_for_the_administrator(client, login_as):
    login_as("administrator")
    for path in ("/admin/clients/999999/edit", "/admin/clients/999999/rights"):
        assert client.get(path).status_code == 404
    for path in ("/admin/clients/999999/deactivate", "/admin/clients/999999/reactivate"):
        assert _post(client, path, {}).status_code == 404


def test_rights_matrix_saves_every_row_in_one_post(app, client, login_as, make_client, grant):
    target = make_client("Nordlicht AG")
    admin = login_as("administrator")
    ctx = _db(app)
    from tests import factories

    lena, _ = factories.user(name="Lena Huber")
    jonas, _ = factories.user(name="Jonas Weber")
    ctx.pop()
    grant(jonas, target, "read")
    page = client.get(f"/admin/clients/{target.id}/rights").get_data(as_text=True)
    assert "Lena Huber" in page and "Jonas Weber" in page and admin.name in page
    assert re.search(rf'name="user_{jonas.id}"[^>]*>\s*<option[^>]*value="full"', page)
    response = _post(
        client,
        f"/admin/clients/{target.id}/rights",
        {f"user_{lena.id}": "full", f"user_{jonas.id}": "hidden", f"user_{admin.id}": "hidden"},
    )
    assert response.status_code == 302
    assert "2 changed" in client.get(response.headers["Location"]).get_data(as_text=True)
    ctx = _db(app)
    rights = {r.user_id: r.right for r in ClientRight.select()}
    assert rights == {lena.id: "full", jonas.id: "hidden"}
    assert User.get_by_id(lena.id).default_client_id == target.id
    assert AuditEntry.select().where(AuditEntry.target_type == "client_right").count() == 3
    ctx.pop()
    assert "1" in client.get("/admin/clients/").get_data(as_text=True)


def test_rights_matrix_with_an_unknown_right_answers_422_and_saves_nothing(
    app, client, login_as, make_client
):
    target = make_client("Nordlicht AG")
    admin = login_as("administrator")
    response = _post(
        client, f"/admin/clients/{target.id}/rights", {f"user_{admin.id}": "superuser"}
    )
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)
    ctx = _db(app)
    assert not ClientRight.select().exists()
    ctx.pop()


@pytest.mark.parametrize("role", ["user", "license_manager"])
def test_other_roles_get_403_everywhere(client, login_as, make_client, role):
    target = make_client("Nordlicht AG")
    login_as(role)
    for path in (
        "/admin/clients/",
        "/admin/clients/new",
        f"/admin/clients/{target.id}/edit",
        f"/admin/clients/{target.id}/rights",
    ):
        assert client.get(path).status_code == 403, path
    for path in (
        "/admin/clients/new",
        f"/admin/clients/{target.id}/edit",
        f"/admin/clients/{target.id}/rights",
        f"/admin/clients/{target.id}/deactivate",
        f"/admin/clients/{target.id}/reactivate",
    ):
        assert _post(client, path, {"name": "Übernommen"}).status_code == 403, path
    assert "Nordlicht AG" not in client.get("/").get_data(as_text=True)


def test_default_client_page_lists_writable_clients_only(app, client, login_as, make_client, grant):
    a, b = make_client("Alpha AG"), make_client("Beta AG")
    make_client("Geheim AG")
    user = login_as("user")
    grant(user, a, "full")
    grant(user, b, "read")
    page = client.get("/account/default-client").get_data(as_text=True)
    option = re.search(rf'<option[^>]*value="{a.id}"[^>]*>', page).group(0)
    assert "selected" in option
    assert f'value="{b.id}"' not in page  # readable: listed with its right, not selectable
    assert "Beta AG" in page and "Read only" in page
    assert "Geheim AG" not in page
    assert "Alpha AG" in client.get("/").get_data(as_text=True)  # shown on the start screen

    assert _post(client, "/account/default-client", {"client": ""}).status_code == 302
    ctx = _db(app)
    assert User.get_by_id(user.id).default_client_id is None
    ctx.pop()
    assert _post(client, "/account/default-client", {"client": str(a.id)}).status_code == 302
    ctx = _db(app)
    assert User.get_by_id(user.id).default_client_id == a.id
    ctx.pop()


def test_default_client_refuses_read_hidden_and_junk(app, client, login_as, make_client, grant):
    a, b, c = make_client("Alpha AG"), make_client("Beta AG"), make_client("Geheim AG")
    user = login_as("user")
    grant(user, a, "full")
    grant(user, b, "read")
    assert _post(client, "/account/default-client", {"client": str(b.id)}).status_code == 403
    hidden = _post(client, "/account/default-client", {"client": str(c.id)})
    assert hidden.status_code == 404 and "Geheim AG" not in hidden.get_data(as_text=True)
    assert _post(client, "/account/default-client", {"client": "abc"}).status_code == 404
    ctx = _db(app)
    assert User.get_by_id(user.id).default_client_id == a.id
    ctx.pop()


def test_default_client_page_without_any_right(client, login_as):
    login_as("user")
    page = client.get("/account/default-client").get_data(as_text=True)
    assert "You have full access to no client" in page
    assert "No default client" in client.get("/").get_data(as_text=True)
