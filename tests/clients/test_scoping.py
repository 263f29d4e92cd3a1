"""The scoping base (SPEC A3, DESIGN rule 2): a client-owned model shows a user the records
of clients with read or full access, lets them change those with full access on an active
client, and answers 404 for hidden ones — with the test-only model `Note`."""

import pytest
from werkzeug.exceptions import Forbidden, NotFound

from app.clients.scoping import ClientScoped, ScopeError, require_client
from app.clients.services import set_client_active
from tests import factories


@pytest.fixture
def world(app_ctx, notes):
    """A user with full access to A, read access to B, hidden C (explicitly) and no row on
    D; one note in each client."""
    user, _ = factories.user(name="Lena Huber")
    a, b, c, d = (factories.new_client(n) for n in ("Alpha AG", "Beta AG", "Gamma AG", "Delta AG"))
    factories.grant(user, a, "full")
    factories.grant(user, b, "read")
    factories.grant(user, c, "full")
    factories.grant(user, c, "hidden")
    records = {
        name: notes.create(client=client, title=f"Note {name}")
        for name, client in zip("abcd", (a, b, c, d), strict=True)
    }
    return user, (a, b, c, d), records


def test_the_base_is_importable_from_the_data_layer():
    import app.models

    assert app.models.ClientScoped is ClientScoped
    with pytest.raises(AttributeError):
        app.models.NoSuchThing  # noqa: B018


def test_visible_to_shows_read_and_full_clients_only(world, notes):
    user, _, records = world
    titles = {n.title for n in notes.visible_to(user)}
    assert titles == {"Note a", "Note b"}
    assert notes.visible_to(user).count() == 2
    # scoping composes with further conditions, as search and counts need
    assert notes.visible_to(user).where(notes.title.contains("d")).count() == 0
    assert notes.select().count() == 4  # the records exist; the user just does not see them


def test_writable_by_needs_full_access_on_an_active_client(world, notes):
    user, (a, *_), _ = world
    assert [n.title for n in notes.writable_by(user)] == ["Note a"]
    set_client_active(a, False)
    assert list(notes.writable_by(user)) == []
    assert {n.title for n in notes.visible_to(user)} == {"Note a", "Note b"}


def test_get_visible_or_404(world, notes):
    user, _, records = world
    assert notes.get_visible_or_404(user, records["b"].id).title == "Note b"
    for hidden in (records["c"].id, records["d"].id, 999999):
        with pytest.raises(NotFound):
            notes.get_visible_or_404(user, hidden)


def test_get_writable_or_403_answers_404_for_hidden_and_403_for_read(world, notes):
    user, (a, *_), records = world
    assert notes.get_writable_or_403(user, records["a"].id).title == "Note a"
    with pytest.raises(Forbidden):
        notes.get_writable_or_403(user, records["b"].id)
    for hidden in (records["c"].id, records["d"].id):
        with pytest.raises(NotFound):
            notes.get_writable_or_403(user, hidden)
    with pytest.raises(NotFound):
        notes.get_writable_or_404(user, records["c"].id)
    set_client_active(a, False)
    with pytest.raises(Forbidden):
        notes.get_writable_or_403(user, records["a"].id)


def test_writable_for_decides_the_buttons(world):
    user, _, records = world
    assert records["a"].writable_for(user)
    assert not records["b"].writable_for(user)
    assert not records["c"].writable_for(user)


def test_create_for_uses_the_default_client_and_refuses_other_clients(world, notes):
    user, (a, b, c, d), _ = world
    assert user.default_client_id == a.id  # the first client with full access
    assert notes.create_for(user, title="new").client_id == a.id
    assert notes.create_for(user, a.id, title="new too").client_id == a.id
    for client in (b, c, d):
        with pytest.raises(ScopeError):
            notes.create_for(user, client, title="refused")
    other, _ = factories.user()
    with pytest.raises(ScopeError):  # no default client, no right anywhere
        notes.create_for(other, title="refused")


def test_move_to_needs_full_access_on_both_clients(world, notes):
    user, (a, b, c, _), records = world
    e = factories.new_client("Epsilon AG")
    factories.grant(user, e, "full")
    note = records["a"]
    note.move_to(user, e)
    assert notes.get_by_id(note.id).client_id == e.id
    for target in (b, c):
        with pytest.raises(ScopeError):
            note.move_to(user, target)
    with pytest.raises(ScopeError):  # from a client the user only reads
        records["b"].move_to(user, a)


def test_without_a_right_nobody_sees_anything_administrators_included(world, notes):
    admin, _ = factories.user(role="administrator")
    assert notes.visible_to(admin).count() == 0

    class Anonymous:
        is_authenticated = False

    assert notes.visible_to(Anonymous()).count() == 0
    assert notes.visible_to(None).count() == 0


def test_require_client(world):
    user, (a, b, c, d), _ = world
    assert require_client(user, a.id, "full") == a
    assert require_client(user, str(b.id)) == b
    with pytest.raises(Forbidden):
        require_client(user, b.id, "full")
    for hidden in (c.id, d.id, 999999, "x", None):
        with pytest.raises(NotFound):
            require_client(user, hidden, "full")
