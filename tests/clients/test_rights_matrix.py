"""Roles × rights × every mutating endpoint of clients and scoped records (SPEC A3):
administrators manage clients whatever their own right; on a client's records full access
may change, read only answers 403, hidden answers 404 — and a refused request changes
nothing. The scoped record endpoints are the test-only notes (tests/clients/notes.py)."""

import pytest

from app.clients.models import Client, ClientRight
from app.clients.services import right_of, set_client_active
from app.extensions import db
from app.users.models import User
from tests import factories
from tests.clients.notes import Note
from tests.conftest import csrf_token

ROLES = ["user", "license_manager", "administrator"]
RIGHTS = ["full", "read", "hidden"]


def admin_only(role, right):
    return 302 if role == "administrator" else 403


def by_right(role, right):
    return {"full": 302, "read": 403, "hidden": 404}[right]


# name → (path and form data for a target client, its note, the user's home client and the
# user; expected status)
ENDPOINTS = {
    "client create": (lambda t, n, h, u: ("/admin/clients/new", {"name": "Neu AG"}), admin_only),
    "client edit": (
        lambda t, n, h, u: (f"/admin/clients/{t.id}/edit", {"name": f"{t.name} neu"}),
        admin_only,
    ),
    "client deactivate": (lambda t, n, h, u: (f"/admin/clients/{t.id}/deactivate", {}), admin_only),
    "client reactivate": (lambda t, n, h, u: (f"/admin/clients/{t.id}/reactivate", {}), admin_only),
    "client rights": (
        lambda t, n, h, u: (
            f"/admin/clients/{t.id}/rights",
            {f"user_{u.id}": "read" if right_of(u, t) != "read" else "full"},
        ),
        admin_only,
    ),
    "default client": (
        lambda t, n, h, u: ("/account/default-client", {"client": str(t.id)}),
        by_right,
    ),
    "record create": (
        lambda t, n, h, u: ("/test-notes/new", {"client_id": str(t.id), "title": "neu"}),
        by_right,
    ),
    "record edit": (
        lambda t, n, h, u: (f"/test-notes/{n.id}/edit", {"title": "geändert"}),
        by_right,
    ),
    "record delete": (lambda t, n, h, u: (f"/test-notes/{n.id}/delete", {}), by_right),
    "record move away": (
        lambda t, n, h, u: (f"/test-notes/{n.id}/move", {"client_id": str(h.id)}),
        by_right,
    ),
    "record move in": (
        lambda t, n, h, u: (f"/test-notes/{n.home_note_id}/move", {"client_id": str(t.id)}),
        by_right,
    ),
}


def _state():
    return (
        sorted((c.id, c.name, c.active) for c in Client.select()),
        sorted((r.user_id, r.client_id, r.right) for r in ClientRight.select()),
        sorted((u.id, u.default_client_id) for u in User.select()),
        sorted((n.id, n.client_id, n.title) for n in Note.select()),
    )


@pytest.mark.parametrize("right", RIGHTS)
@pytest.mark.parametrize("role", ROLES)
def test_rights_matrix(app, client, login_as, notes, role, right):
    user = login_as(role)
    with app.app_context():
        home = factories.new_client("Heimat GmbH")
        factories.grant(user, home, "full")  # the user's default client
    token = csrf_token(client, "/")
    for name, (build, expect) in ENDPOINTS.items():
        with app.app_context():
            target = factories.new_client(f"Ziel {name}")
            factories.grant(user, target, "full")
            factories.grant(user, target, right)  # hidden: an explicit row
            note = Note.create(client=target, title="Original")
            note.home_note_id = Note.create(client=home, title="Daheim").id
            if name == "client reactivate":
                set_client_active(target, False)
            path, data = build(target, note, home, user)
            before = _state()
        response = client.post(path, data={**data, "csrf_token": token})
        expected = expect(role, right)
        assert response.status_code == expected, (name, role, right, response.status_code)
        with app.app_context():
            db.connect(reuse_if_open=True)
            if expected != 302:
                assert _state() == before, f"{name}: a refused request changed data"
            else:
                assert _state() != before, f"{name}: no effect"


@pytest.mark.parametrize(
    ("right", "status", "buttons"),
    [("full", 200, True), ("read", 200, False), ("hidden", 404, False)],
)
def test_read_only_users_see_records_without_buttons(
    app, client, login_as, notes, right, status, buttons
):
    user = login_as("user")
    with app.app_context():
        target = factories.new_client("Ziel AG")
        factories.grant(user, target, "full")
        factories.grant(user, target, right)
        note = Note.create(client=target, title="Pressetext Frühjahr", email="presse@ziel.example")
    page = client.get(f"/test-notes/{note.id}")
    assert page.status_code == status
    html = page.get_data(as_text=True)
    assert ("<button>edit</button>" in html) is buttons
    listing = client.get("/test-notes/").get_data(as_text=True)
    assert ("Pressetext Frühjahr" in listing) is (right != "hidden")
    assert f"Notes ({0 if right == 'hidden' else 1})" in listing
    assert ("<button>edit</button>" in listing) is buttons
