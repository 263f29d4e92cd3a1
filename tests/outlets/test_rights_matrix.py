"""Roles × rights × every mutating outlets endpoint (SPEC A3): full access changes the
record, read only answers 403, hidden answers 404, and a refused request changes nothing —
whatever the user's role (administrators get no data access from their role)."""

import pytest

from app.contacts.models import OutletTopic, Person, PersonOutlet, Topic
from app.extensions import db
from app.outlets.models import Outlet, OutletDepartment
from tests import factories
from tests.conftest import csrf_token

ROLES = ["user", "administrator"]
RIGHTS = ["full", "read", "hidden"]
CHANGED = {"full": 302, "read": 403, "hidden": 404}

# name → (path, form data) for the target client `t`, its outlet `o`, its person `p`, the
# outlet's department `d`, topic `tp` and the link `ln` of a second person to the outlet
ENDPOINTS = {
    "create": lambda t, o, p, d, tp, ln: (
        "/outlets/new",
        {"client_id": str(t.id), "name": "Neues Blatt", "kind": "weekly", "language": "de"},
    ),
    "edit": lambda t, o, p, d, tp, ln: (
        f"/outlets/{o.id}",
        {"name": "Geändert", "kind": "daily", "language": "de", "country": "DE"},
    ),
    "delete": lambda t, o, p, d, tp, ln: (f"/outlets/{o.id}/delete", {}),
    "add topic": lambda t, o, p, d, tp, ln: (f"/outlets/{o.id}/topics", {"topic": "Energie"}),
    "remove topic": lambda t, o, p, d, tp, ln: (f"/outlets/{o.id}/topics/{tp.id}/delete", {}),
    "add department": lambda t, o, p, d, tp, ln: (
        f"/outlets/{o.id}/departments",
        {"name": "Sport"},
    ),
    "rename department": lambda t, o, p, d, tp, ln: (
        f"/outlets/{o.id}/departments/{d.id}",
        {"name": "Lokales"},
    ),
    "remove department": lambda t, o, p, d, tp, ln: (
        f"/outlets/{o.id}/departments/{d.id}/delete",
        {},
    ),
    "link from the outlet": lambda t, o, p, d, tp, ln: (
        "/outlets/links",
        {"outlet_id": str(o.id), "person_id": str(p.id), "position": "Redakteurin"},
    ),
    "link from the person": lambda t, o, p, d, tp, ln: (
        "/outlets/links",
        {"from": "person", "outlet_id": str(o.id), "person_id": str(p.id)},
    ),
    "unlink": lambda t, o, p, d, tp, ln: (f"/outlets/links/{ln.id}/delete", {}),
    "unlink from the person": lambda t, o, p, d, tp, ln: (
        f"/outlets/links/{ln.id}/delete",
        {"from": "person"},
    ),
}


def _state():
    return (
        sorted((o.id, o.client_id, o.name, o.kind, o.country) for o in Outlet.select()),
        sorted((d.outlet_id, d.name) for d in OutletDepartment.select()),
        sorted((t.outlet_id, t.topic_id) for t in OutletTopic.select()),
        sorted((p.person_id, p.outlet_id, p.position) for p in PersonOutlet.select()),
        sorted(t.name for t in Topic.select()),
    )


@pytest.mark.parametrize("right", RIGHTS)
@pytest.mark.parametrize("role", ROLES)
def test_outlets_rights_matrix(app, client, login_as, role, right):
    user = login_as(role)
    with app.app_context():
        factories.grant(user, factories.new_client("Heimat GmbH"), "full")  # writes somewhere
    token = csrf_token(client, "/")
    for name, build in ENDPOINTS.items():
        with app.app_context():
            target = factories.new_client(f"Ziel {name}")
            factories.grant(user, target, "full")
            factories.grant(user, target, right)
            outlet = Outlet.create(client=target, name="Original-Blatt")
            person = Person.create(client=target, first_name="Olga", last_name="Original")
            other = Person.create(client=target, first_name="Otto", last_name="Other")
            department = OutletDepartment.create(outlet=outlet, name="Politik")
            topic = Topic.create(client=target, name="Klima")
            OutletTopic.create(outlet=outlet, topic=topic)
            link = PersonOutlet.create(outlet=outlet, person=other)
            path, data = build(target, outlet, person, department, topic, link)
            before = _state()
        response = client.post(path, data={**data, "csrf_token": token})
        status = response.status_code
        assert status == CHANGED[right], (name, role, right, status)
        with app.app_context():
            db.connect(reuse_if_open=True)
            after = _state()
        if right == "full":
            assert after != before, f"{name}: no effect"
        else:
            assert after == before, f"{name}: a refused request changed data"
