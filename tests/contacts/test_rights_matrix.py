"""Roles × rights × every mutating contacts endpoint (SPEC A3): full access changes the
record, read only answers 403, hidden answers 404, and a refused request changes nothing —
whatever the user's role (administrators get no data access from their role)."""

import pytest

from app.contacts.models import HistoryEntry, Person, PersonEmail, PersonTopic
from app.extensions import db
from tests import factories
from tests.conftest import csrf_token

ROLES = ["user", "administrator"]
RIGHTS = ["full", "read", "hidden"]
CHANGED = {"full": 302, "read": 403, "hidden": 404}

# name → (path, form data) for the target client's person `p` and the target client `t`
ENDPOINTS = {
    "create": lambda p, t: (
        "/contacts/new",
        {"client_id": str(t.id), "last_name": "Neumann", "first_name": "Nora"},
    ),
    "edit": lambda p, t: (
        f"/contacts/{p.id}",
        {
            "last_name": "Geändert",
            "first_name": p.first_name,
            "gender": "",
            "language": "de",
            "country": "DE",
        },
    ),
    "inline edit": lambda p, t: (
        f"/contacts/{p.id}/row",
        {
            "position": "Chefin vom Dienst",
            "city": "Graz",
            "email": "neu@presse.example",
            "phone": "",
        },
    ),
    "block": lambda p, t: (f"/contacts/{p.id}/block", {"reason": "Widerspruch"}),
    "unblock": lambda p, t: (f"/contacts/{p.id}/unblock", {}),
    "bulk tag": lambda p, t: (
        "/contacts/bulk",
        {"action": "tag", "ids": str(p.id), "topic": "Energie"},
    ),
    "bulk block": lambda p, t: (
        "/contacts/bulk",
        {"action": "block", "ids": str(p.id), "reason": "Widerspruch"},
    ),
    "add e-mail": lambda p, t: (f"/contacts/{p.id}/channels/email", {"value": "x@neu.example"}),
    "add note": lambda p, t: (f"/contacts/{p.id}/history", {"kind": "note", "body": "Notiz"}),
    "erase": lambda p, t: (f"/contacts/{p.id}/erase", {"confirm": "Original"}),
    "bulk delete": lambda p, t: (
        "/contacts/bulk",
        {"action": "delete", "ids": str(p.id), "confirmed": "yes"},
    ),
}


def _state():
    return (
        sorted(
            (p.id, p.client_id, p.first_name, p.last_name, p.position, p.city, p.blocked)
            for p in Person.select()
        ),
        sorted((e.person_id, e.address) for e in PersonEmail.select()),
        sorted((t.person_id, t.topic_id) for t in PersonTopic.select()),
        sorted((h.person_id, h.kind, h.body) for h in HistoryEntry.select()),
    )


@pytest.mark.parametrize("right", RIGHTS)
@pytest.mark.parametrize("role", ROLES)
def test_contacts_rights_matrix(app, client, login_as, role, right):
    user = login_as(role)
    with app.app_context():
        factories.grant(user, factories.new_client("Heimat GmbH"), "full")  # writes somewhere
    token = csrf_token(client, "/")
    for name, build in ENDPOINTS.items():
        with app.app_context():
            target = factories.new_client(f"Ziel {name}")
            factories.grant(user, target, "full")
            factories.grant(user, target, right)
            person = Person.create(
                client=target,
                first_name="Olga",
                last_name="Original",
                blocked=name == "unblock",
            )
            path, data = build(person, target)
            before = _state()
        response = client.post(path, data={**data, "csrf_token": token})
        status = response.status_code
        # an inline edit answers with the row itself (200) instead of a redirect
        expected = CHANGED[right]
        if name == "inline edit" and right == "full":
            expected = 200
        assert status == expected, (name, role, right, status)
        with app.app_context():
            db.connect(reuse_if_open=True)
            after = _state()
        if right == "full":
            assert after != before, f"{name}: no effect"
        else:
            assert after == before, f"{name}: a refused request changed data"
