"""Sender accounts through real HTTP requests (SPEC M1, A2): the administrator's screens,
bad input, and who may reach them."""

import json

import pytest

from app.audit.models import AuditEntry
from app.crypto import decrypt
from app.senders.keys import PURPOSE
from app.senders.models import DkimKey, SenderAccount, SenderDomain, SenderUser
from app.senders.services import create_sender, senders_for
from tests import factories
from tests.conftest import csrf_token
from tests.senders.helpers import post, sender_data


def test_an_administrator_creates_a_sender_and_its_domain_gets_a_key(app, client, login_as):
    login_as("administrator")
    response = post(client, "/admin/senders/new", sender_data(reply_to="Antwort@Muster-AG.example"))
    assert response.status_code == 302
    with app.app_context():
        sender = SenderAccount.get()
        assert (sender.address, sender.reply_to) == (
            "presse@muster-ag.example",
            "antwort@muster-ag.example",
        )
        assert response.headers["Location"].endswith(f"/admin/senders/{sender.id}/users")
        domain = SenderDomain.get()
        key = DkimKey.get()
        assert domain.name == "muster-ag.example" and key.domain_id == domain.id
        # the private key is stored encrypted (app.crypto, its own purpose), never in clear
        assert "PRIVATE KEY" not in key.private_key
        assert decrypt(PURPOSE, key.private_key).startswith("-----BEGIN PRIVATE KEY-----")
        actions = [e.action for e in AuditEntry.select().order_by(AuditEntry.seq)]
        assert actions[-3:] == ["sender_domain.create", "dkim_key.create", "sender_account.create"]
        assert all(
            "PRIVATE" not in e.changes + e.details and key.private_key not in e.changes + e.details
            for e in AuditEntry.select()
        )
    page = client.get("/admin/senders/").get_data(as_text=True)
    assert "Pressestelle Muster AG" in page and "presse@muster-ag.example" in page
    assert "muster-ag.example" in page and "not checked yet" in page

    # a second sender of the same domain shares the domain and its key
    post(client, "/admin/senders/new", sender_data(address="info@muster-ag.example"))
    with app.app_context():
        assert SenderDomain.select().count() == 1 and DkimKey.select().count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"address": "presse@localhost"}, "The e-mail address presse@localhost is not valid."),
        ({"address": "presse@muster.invalid"}, "is not valid"),
        ({"address": "keine-adresse"}, "The e-mail address keine-adresse is not valid."),
        ({"address": ""}, "Please enter the sender&#39;s e-mail address."),
        ({"reply_to": "antwort@"}, "The e-mail address antwort@ is not valid."),
        ({"display_name": "   "}, "Please enter the name recipients see as the sender."),
        ({"display_name": "x" * 201}, "Field cannot be longer than 200 characters."),
    ],
)
def test_bad_input_is_refused_with_a_message(app, client, login_as, data, message):
    login_as("administrator")
    response = post(client, "/admin/senders/new", sender_data(**data))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert SenderAccount.select().count() == 0 and SenderDomain.select().count() == 0


def test_a_duplicate_sender_is_refused_also_when_editing(app, client, login_as):
    login_as("administrator")
    with app.app_context():
        create_sender("Presse", "presse@muster-ag.example")
        other = create_sender("Info", "info@muster-ag.example")
    response = post(client, "/admin/senders/new", sender_data(address="Presse@Muster-AG.example"))
    assert response.status_code == 422
    assert "There is already a sender with the address presse@muster-ag.example." in (
        response.get_data(as_text=True)
    )
    response = post(
        client, f"/admin/senders/{other.id}", sender_data(address="presse@muster-ag.example")
    )
    assert response.status_code == 422
    with app.app_context():
        assert SenderAccount.get_by_id(other.id).address == "info@muster-ag.example"


def test_html_in_names_is_shown_as_text(app, client, login_as):
    login_as("administrator")
    evil = '<script>alert("x")</script><b>Presse</b>'
    assert post(client, "/admin/senders/new", sender_data(display_name=evil)).status_code == 302
    with app.app_context():
        sender = SenderAccount.get()
        factories.user(name='<img src=x onerror="alert(1)">')
    for path in (
        "/admin/senders/",
        f"/admin/senders/{sender.id}",
        f"/admin/senders/{sender.id}/users",
    ):
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in page and "<b>Presse</b>" not in page, path
        assert "&lt;b&gt;Presse&lt;/b&gt;" in page, path
    assert "<img src=x" not in client.get(f"/admin/senders/{sender.id}/users").get_data(
        as_text=True
    )


def test_editing_to_a_new_domain_makes_that_domain_and_key(app, client, login_as):
    login_as("administrator")
    with app.app_context():
        sender = create_sender("Presse", "presse@muster-ag.example")
    response = post(
        client,
        f"/admin/senders/{sender.id}",
        sender_data(display_name="Presse neu", address="presse@münchen-ag.example"),
    )
    assert response.status_code == 302
    with app.app_context():
        sender = SenderAccount.get_by_id(sender.id)
        assert sender.display_name == "Presse neu"
        assert sender.domain.name == "xn--mnchen-ag-q9a.example"  # the DNS name (A-labels)
        assert DkimKey.select().count() == 2
        entry = AuditEntry.get(AuditEntry.action == "sender_account.update")
        assert set(json.loads(entry.changes)) == {"display_name", "address", "domain"}


def test_deactivate_and_reactivate(app, client, login_as):
    login_as("administrator")
    with app.app_context():
        sender = create_sender("Presse", "presse@muster-ag.example")
    assert post(client, f"/admin/senders/{sender.id}/deactivate").status_code == 302
    with app.app_context():
        assert not SenderAccount.get_by_id(sender.id).active
    page = client.get(f"/admin/senders/{sender.id}").get_data(as_text=True)
    assert "Reactivate sender" in page and "inactive" in page
    assert post(client, f"/admin/senders/{sender.id}/reactivate").status_code == 302
    with app.app_context():
        assert SenderAccount.get_by_id(sender.id).active
    # without the CSRF token nothing changes
    assert client.post(f"/admin/senders/{sender.id}/deactivate").status_code == 400
    with app.app_context():
        assert SenderAccount.get_by_id(sender.id).active


def test_assigning_users_and_a_users_own_senders(app, client, login_as):
    login_as("administrator")
    with app.app_context():
        anna, _ = factories.user(name="Anna Absender", may_send=True)
        bernd, _ = factories.user(name="Bernd Beispiel")
        gone, _ = factories.user(name="Gerda Gegangen", active=False)
        presse = create_sender("Presse", "presse@muster-ag.example")
        info = create_sender("Info", "info@muster-ag.example")
        old = create_sender("Alt", "alt@muster-ag.example")
    page = client.get(f"/admin/senders/{presse.id}/users").get_data(as_text=True)
    assert "Anna Absender" in page and "Bernd Beispiel" in page
    assert "Gerda Gegangen" not in page  # only active users can be chosen
    assert "may not send mailings yet" in page  # Bernd has no dispatch right

    response = post(client, f"/admin/senders/{presse.id}/users", {"users": [anna.id, bernd.id]})
    assert response.status_code == 302
    post(client, f"/admin/senders/{info.id}/users", {"users": [anna.id]})
    post(client, f"/admin/senders/{old.id}/users", {"users": [anna.id]})
    post(client, f"/admin/senders/{old.id}/deactivate")
    with app.app_context():
        assert [s.address for s in senders_for(anna)] == [
            "info@muster-ag.example",
            "presse@muster-ag.example",
        ]
        assert [s.address for s in senders_for(bernd)] == ["presse@muster-ag.example"]
        assert senders_for(gone) == []
    page = client.get(f"/admin/senders/{presse.id}/users").get_data(as_text=True)
    assert f'value="{anna.id}" id="user-{anna.id}" checked' in page

    # unticking removes; an inactive or unknown user cannot be assigned
    assert (
        post(client, f"/admin/senders/{presse.id}/users", {"users": [bernd.id]}).status_code == 302
    )
    for bad in ([gone.id], [99999], ["x"]):
        response = post(client, f"/admin/senders/{presse.id}/users", {"users": bad})
        assert response.status_code == 422, bad
        text = response.get_data(as_text=True)
        assert "Senders can only be assigned to active users." in text or (
            "Please choose users from the list." in text
        )
    with app.app_context():
        assert [s.address for s in senders_for(anna)] == ["info@muster-ag.example"]
        assert {
            link.user_id for link in SenderUser.select().where(SenderUser.sender == presse.id)
        } == {bernd.id}
        assert AuditEntry.select().where(AuditEntry.action == "sender_account.assign").count() == 4


def test_unknown_records_answer_404(app, client, login_as):
    login_as("administrator")
    with app.app_context():
        sender = create_sender("Presse", "presse@muster-ag.example")
        other = create_sender("Andere", "presse@andere.example")
        foreign_key = DkimKey.get(DkimKey.domain == other.domain)
    for path in ("/admin/senders/999", "/admin/senders/999/users", "/admin/senders/domains/999"):
        assert client.get(path).status_code == 404, path
    for path in (
        "/admin/senders/999/deactivate",
        "/admin/senders/domains/999/check",
        "/admin/senders/domains/999/rotate",
        # a key of another domain is not found under this one
        f"/admin/senders/domains/{sender.domain.id}/keys/{foreign_key.id}/remove",
    ):
        assert post(client, path).status_code == 404, path
    with app.app_context():
        assert DkimKey.select().count() == 2


# --- rights ---------------------------------------------------------------------------------

ROUTES = [
    ("GET", "/admin/senders/"),
    ("GET", "/admin/senders/new"),
    ("POST", "/admin/senders/new"),
    ("GET", "/admin/senders/{sender}"),
    ("POST", "/admin/senders/{sender}"),
    ("POST", "/admin/senders/{sender}/deactivate"),
    ("POST", "/admin/senders/{sender}/reactivate"),
    ("GET", "/admin/senders/{sender}/users"),
    ("POST", "/admin/senders/{sender}/users"),
    ("GET", "/admin/senders/domains/{domain}"),
    ("POST", "/admin/senders/domains/{domain}/check"),
    ("POST", "/admin/senders/domains/{domain}/rotate"),
    ("POST", "/admin/senders/domains/{domain}/keys/{key}/remove"),
]
EXPECTED = {"GET": 200, "POST": 302}


def test_every_sender_route_is_in_the_matrix(app):
    listed = {
        path.format(sender="<int:sender_id>", domain="<int:domain_id>", key="<int:key_id>")
        for _, path in ROUTES
    }
    mine = {
        rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("sender_admin.")
    }
    assert mine == listed


@pytest.mark.parametrize("role", ["user", "license_manager", "administrator"])
def test_rights_matrix(app, client, login_as, role, dns_server):
    """Only administrators reach the sender screens; for everyone else every route answers
    403 and nothing changes."""
    me = login_as(role, may_send=True, may_manage_lists=True)
    token = csrf_token(client, "/")
    with app.app_context():
        sender = create_sender("Presse", "presse@muster-ag.example")
        domain = sender.domain
        retired = DkimKey.get()
    state = lambda: (  # noqa: E731
        [
            (s.display_name, s.address, s.active)
            for s in SenderAccount.select().order_by(SenderAccount.id)
        ],
        [(k.selector, k.retired_at) for k in DkimKey.select().order_by(DkimKey.id)],
        SenderUser.select().count(),
        SenderDomain.get().checked_at,
    )
    with app.app_context():
        before = state()
    if role == "administrator":  # a retired key to remove (the route removes only those)
        with app.app_context():
            from app.senders.services import rotate_key

            rotate_key(domain)
    for method, path in ROUTES:
        url = path.format(sender=sender.id, domain=domain.id, key=retired.id)
        address = "neu@muster-ag.example" if path.endswith("/new") else sender.address
        data = {
            "csrf_token": token,
            **sender_data(display_name="Geändert", address=address),
            "users": [me.id],
        }
        response = client.open(url, method=method, data=data if method == "POST" else None)
        expected = EXPECTED[method] if role == "administrator" else 403
        assert response.status_code == expected, (role, method, url)
    with app.app_context():
        if role != "administrator":
            assert state() == before
        else:
            assert state() != before
            assert SenderAccount.get_by_id(sender.id).display_name == "Geändert"


def test_the_administration_lists_the_section(client, login_as):
    login_as("administrator")
    page = client.get("/admin/").get_data(as_text=True)
    assert "Sender accounts" in page and "/admin/senders/" in page
