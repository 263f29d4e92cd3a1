"""Outlets created in one go (`create_outlets`, used by imports): every one checked before
any is written, each audited in one unbroken chain, each findable by the search."""

import json

import pytest

from app.audit.models import AuditEntry
from app.audit.services import verify
from app.clients.scoping import ScopeError
from app.outlets import services
from app.outlets.models import Outlet
from app.users.models import User


def test_outlets_are_created_in_order_audited_and_searchable(app, world):
    with app.app_context():
        user = User.get_by_id(world["user"].id)
        before = AuditEntry.select().count()
        made = services.create_outlets(
            user,
            world["alpha"].id,
            [{"name": "Kurier"}, {"name": "Falter", "kind": "weekly"}, {"name": "Ö1"}],
            origin="import",
            origin_file="liste.xlsx",
            origin_rows=[2, 5, 9],
        )
        assert [o.name for o in made] == ["Kurier", "Falter", "Ö1"]
        for outlet in made:
            stored = Outlet.get_by_id(outlet.id)
            assert (stored.name, stored.client_id, stored.origin, stored.origin_file) == (
                outlet.name,
                world["alpha"].id,
                "import",
                "liste.xlsx",
            )
        assert [Outlet.get_by_id(o.id).origin_row for o in made] == [2, 5, 9]
        assert Outlet.get_by_id(made[1].id).kind == "weekly"
        entries = list(
            AuditEntry.select().where(AuditEntry.action == "outlet.create").order_by(AuditEntry.seq)
        )[-3:]
        assert [e.target_id for e in entries] == [o.id for o in made]
        assert [json.loads(e.details)["origin"] for e in entries] == ["import"] * 3
        assert AuditEntry.select().count() == before + 3
        assert verify().ok
        found = services.search_outlets(Outlet.select(), "oe1")
        assert [o.id for o in found] == [made[2].id]


def test_one_bad_outlet_creates_none(app, world):
    with app.app_context():
        user = User.get_by_id(world["user"].id)
        count = Outlet.select().count()
        with pytest.raises(services.OutletError) as failed:
            services.create_outlets(
                user, world["alpha"].id, [{"name": "Gut"}, {"name": "x" * 201}, {"name": "Auch"}]
            )
        assert "name" in failed.value.errors
        with pytest.raises(ScopeError):
            services.create_outlets(user, world["gamma"].id, [{"name": "Fremd"}])
        assert Outlet.select().count() == count
