"""User administration through real HTTP requests (SPEC A1, A2, M9, S7)."""

import pytest

from app.security import PERMISSIONS
from app.settings.services import set_value
from app.users.models import User
from tests import factories
from tests.conftest import csrf_token
from tests.users.helpers import (
    audit_entries,
    invite_data,
    one_time_password,
    post,
    sign_in,
)

ADMIN_ROUTES = [
    ("GET", "/admin/users/"),
    ("GET", "/admin/users/new"),
    ("POST", "/admin/users/new"),
    ("GET", "/admin/users/{id}"),
    ("POST", "/admin/users/{id}"),
    ("POST", "/admin/users/{id}/deactivate"),
    ("POST", "/admin/users/{id}/reactivate"),
    ("POST", "/admin/users/{id}/one-time-password"),
    ("GET", "/admin/audit/"),
    ("GET", "/admin/settings/"),
    ("POST", "/admin/settings/"),
]


@pytest.mark.parametrize("role", ["user", "license_manager"])
def test_every_admin_route_answers_403_to_non_administrators(app, client, login_as, role):
    me = login_as(role)
    token = csrf_token(client, "/")
    with app.app_context():
        other, _ = factories.user()
    for method, path in ADMIN_ROUTES:
        url = path.format(id=other.id)
        data = {"csrf_token": token, "name": "X", "email": "x@test-agentur.example"}
        response = client.open(url, method=method, data=data if method == "POST" else None)
        assert response.status_code == 403, (method, url)
    with app.app_context():
        assert User.get_by_id(other.id).active and User.get_by_id(me.id).active
        assert not User.get_by_id(me.id).is_administrator


def test_every_administration_route_is_covered_above(app):
    covered = {path.split("{")[0].rstrip("/") for _, path in ADMIN_ROUTES}
    mine = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in {"user_admin", "audit", "settings"}
    ]
    assert mine and all(rule.split("<")[0].rstrip("/") in covered for rule in mine)


def test_rights_are_permissions_for_later_features(app_ctx):
    user, _ = factories.user(may_manage_lists=True)
    assert PERMISSIONS["lists"](user) and not PERMISSIONS["dispatch"](user)
    user.may_send = True
    assert PERMISSIONS["dispatch"](user)


def test_list_shows_users_roles_rights_and_the_licence_count(app, client, login_as):
    login_as("administrator", name="Petra Admin")
    with app.app_context():
        factories.user(name="Anton Sender", may_send=True)
        factories.user(name="Berta Listen", may_manage_lists=True)
        factories.user(name="Zora Ruhend", active=False)
        set_value("named_users", 10)
    page = client.get("/admin/users/").get_data(as_text=True)
    for text in ("Petra Admin", "Anton Sender", "Berta Listen", "Zora Ruhend", "Sending"):
        assert text in page
    assert "Lists and mailings" in page and "Administrator" in page
    assert "3 of 10 named users active" in page
    assert 'class="row-inactive"' in page and "never" in page

    inactive = client.get("/admin/users/?status=inactive").get_data(as_text=True)
    assert "Zora Ruhend" in inactive and "Anton Sender" not in inactive
    active = client.get("/admin/users/?status=active").get_data(as_text=True)
    assert "Zora Ruhend" not in active and "Anton Sender" in active

    by_name_desc = client.get("/admin/users/?sort=name&dir=desc").get_data(as_text=True)
    assert by_name_desc.index("Zora Ruhend") < by_name_desc.index("Anton Sender")
    by_name = client.get("/admin/users/?sort=name&dir=asc").get_data(as_text=True)
    assert by_name.index("Anton Sender") < by_name.index("Zora Ruhend")
    assert 'aria-sort="ascending"' in by_name
    # the one signed in has a last sign-in; the others come after in both directions
    recent = client.get("/admin/users/?sort=last_login&dir=desc").get_data(as_text=True)
    assert recent.index("Petra Admin") < recent.index("Anton Sender")
    # nonsense in the query string falls back to the defaults
    assert client.get("/admin/users/?sort=password_hash&dir=x&status=y").status_code == 200


def test_list_answers_htmx_with_the_table_only(client, login_as):
    login_as("administrator")
    response = client.get("/admin/users/?status=active", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="user-results">') and "<html" not in html
    # a boosted navigation and a history restore get the whole page
    boosted = client.get("/admin/users/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)
    restore = client.get(
        "/admin/users/",
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in restore.get_data(as_text=True)


def test_invitation_email_carries_a_working_one_time_password(app, client, login_as, outbox):
    login_as("administrator", name="Petra Admin")
    response = post(
        client,
        "/admin/users/new",
        invite_data(may_send="y", may_manage_lists=None),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "has been invited" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert len(outbox) == 1
    message = outbox[0]
    assert message["To"] == "lena.huber@test-agentur.example"
    assert message["Subject"] == "Your access to Depesche"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "Petra Admin has created an account for you" in body
    assert "http://localhost/login" in body
    password = one_time_password(message)

    with app.app_context():
        user = User.get(User.email == "lena.huber@test-agentur.example")
        assert user.active and user.may_send and not user.may_manage_lists
        assert user.must_change_password and user.locale == "en"
        assert user.roles == ["user"]
        [(entry, changes, details)] = audit_entries("user.create")[-1:]
        assert entry.target_id == user.id and details["origin"] == "invitation"
        assert changes["may_send"] == [None, True] and changes["active"] == [None, True]
        assert "password_hash" not in changes

    invitee = app.test_client()
    response = sign_in(invitee, "lena.huber@test-agentur.example", password)
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/password"
    assert invitee.get("/").headers["Location"].startswith("/account/password")


def test_invitation_in_german_by_default_with_roles(app, client, login_as, outbox):
    login_as("administrator")
    data = invite_data(email="max.gruber@test-agentur.example", name="Max Gruber", language=None)
    data.update(is_license_manager="y", may_manage_lists="y")
    assert post(client, "/admin/users/new", data).status_code == 302
    [message] = outbox
    assert message["Subject"] == "Ihr Zugang zu Depesche"
    assert "Einmalpasswort:" in message.get_body(preferencelist=("plain",)).get_content()
    with app.app_context():
        user = User.get(User.email == "max.gruber@test-agentur.example")
        assert user.is_license_manager and not user.is_administrator and user.may_manage_lists
        assert user.locale == "de"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"email": "not-an-address"}, "is not valid"),
        ({"language": "fr"}, "Not a valid choice"),
    ],
)
def test_invitation_with_errors_answers_422(app, client, login_as, outbox, overrides, message):
    login_as("administrator")
    response = post(client, "/admin/users/new", invite_data(**overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert outbox == []
    with app.app_context():
        assert not User.select().where(User.name == "Lena Huber").exists()


def test_invitation_to_an_existing_address_is_refused(app, client, login_as, outbox):
    login_as("administrator")
    with app.app_context():
        factories.user(email="lena.huber@test-agentur.example")
    response = post(
        client, "/admin/users/new", invite_data(email="Lena.Huber@test-agentur.example")
    )
    assert response.status_code == 422
    assert "exists already" in response.get_data(as_text=True)
    assert outbox == []


def test_licence_cap_allows_surplus_users_only_inactive(app, client, login_as, outbox):
    login_as("administrator")
    with app.app_context():
        factories.user()
        set_value("named_users", 2)  # both seats taken
    refused = post(client, "/admin/users/new", invite_data())
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "All 2 licensed named users are active." in html
    assert "Create the user as inactive" in html
    assert outbox == []

    created = post(client, "/admin/users/new", invite_data(active=None))
    assert created.status_code == 302
    assert outbox == []  # no invitation for someone who cannot sign in yet
    with app.app_context():
        surplus = User.get(User.email == "lena.huber@test-agentur.example")
        assert not surplus.active

    refused = post(client, f"/admin/users/{surplus.id}/reactivate")
    assert refused.status_code == 422
    assert "Deactivate another user first" in refused.get_data(as_text=True)
    # switching it on in the edit form is refused the same way
    edit = post(
        client,
        f"/admin/users/{surplus.id}",
        {"name": surplus.name, "email": surplus.email, "active": "y"},
    )
    assert edit.status_code == 422 and "All 2 licensed" in edit.get_data(as_text=True)
    with app.app_context():
        assert not User.get_by_id(surplus.id).active

    # a seat frees up: the reactivated user gets the invitation now, in their language
    with app.app_context():
        set_value("named_users", 3)
    response = post(client, f"/admin/users/{surplus.id}/reactivate")
    assert response.status_code == 302
    assert "reactivated and invited" in client.get("/admin/users/").get_data(as_text=True)
    [message] = outbox
    assert message["Subject"] == "Your access to Depesche"
    invitee = app.test_client()
    response = sign_in(invitee, surplus.email, one_time_password(message))
    assert response.headers["Location"] == "/account/password"
    with app.app_context():
        [(_, changes, _)] = audit_entries("user.reactivate")
        assert changes == {"active": [False, True]}


def test_licence_count_warns_when_more_users_are_active_than_licensed(app, client, login_as):
    login_as("administrator")
    with app.app_context():
        factories.user()
        factories.user()
        set_value("named_users", 1)
    page = client.get("/admin/users/").get_data(as_text=True)
    assert "3 of 1 named users active" in page
    assert "More users are active than the licence allows" in page


def test_deactivation_ends_every_session_of_the_user(app, client, login_as):
    login_as("administrator")
    with app.app_context():
        user, password = factories.user(name="Jonas Weber")
    other = app.test_client()
    assert sign_in(other, user.email, password).status_code == 302
    assert other.get("/").status_code == 200

    response = post(client, f"/admin/users/{user.id}/deactivate")
    assert response.status_code == 302
    assert "Jonas Weber has been deactivated" in client.get("/admin/users/").get_data(as_text=True)
    response = other.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert sign_in(other, user.email, password).status_code == 422
    with app.app_context():
        assert not User.get_by_id(user.id).active
        [(entry, changes, _)] = audit_entries("user.deactivate")
        assert entry.target_id == user.id and changes == {"active": [True, False]}
        assert entry.source_address == "127.0.0.1"

    assert post(client, f"/admin/users/{user.id}/reactivate").status_code == 302
    assert sign_in(other, user.email, password).status_code == 302  # the old password again


def test_the_last_active_administrator_cannot_deactivate_or_demote_themselves(
    app, client, login_as
):
    me = login_as("administrator")
    response = post(client, f"/admin/users/{me.id}/deactivate")
    assert response.status_code == 422
    assert "You are the last active administrator" in response.get_data(as_text=True)
    response = post(client, f"/admin/users/{me.id}", {"name": me.name, "email": me.email})
    assert response.status_code == 422  # the form without the role and the active flag
    assert "You are the last active administrator" in response.get_data(as_text=True)
    with app.app_context():
        assert User.get_by_id(me.id).is_administrator and User.get_by_id(me.id).active
        assert audit_entries("user.deactivate") == [] and audit_entries("user.update") == []

    # with a second administrator it is allowed, and ends one's own session
    with app.app_context():
        factories.user(role="administrator")
    response = post(client, f"/admin/users/{me.id}/deactivate")
    assert response.status_code == 302
    assert client.get("/admin/users/").headers["Location"].startswith("/login")


def test_an_inactive_administrator_does_not_count(app, client, login_as):
    me = login_as("administrator")
    with app.app_context():
        factories.user(role="administrator", active=False)
    response = post(client, f"/admin/users/{me.id}", {"name": me.name, "email": me.email})
    assert response.status_code == 422


def test_the_last_administrator_is_kept_on_the_command_line_too(app_ctx):
    from app.users.services import UserError, deactivate_user, update_user

    admin, _ = factories.user(role="administrator", name="Olga Einzig")
    with pytest.raises(UserError, match="Olga Einzig is the last active administrator"):
        deactivate_user(admin)
    with pytest.raises(UserError, match="last active administrator"):
        update_user(admin, is_administrator=False)
    with pytest.raises(TypeError):
        update_user(admin, password_hash="x")


def test_edit_changes_roles_and_rights_and_audits_old_and_new(app, client, login_as):
    login_as("administrator")
    with app.app_context():
        user, _ = factories.user(name="Anna Berger")
    page = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert 'value="Anna Berger"' in page and "Send a new one-time password" in page
    response = post(
        client,
        f"/admin/users/{user.id}",
        {
            "name": "Anna Berger-Huber",
            "email": user.email,
            "is_administrator": "y",
            "may_send": "y",
            "active": "y",
            # not fields of the form: ignored
            "must_change_password": "y",
            "locale": "xx",
            "session_token": "chosen",
            "password_hash": "x",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        changed = User.get_by_id(user.id)
        assert changed.name == "Anna Berger-Huber" and changed.is_administrator
        assert changed.may_send and not changed.may_manage_lists
        assert not changed.must_change_password and changed.locale != "xx"
        assert changed.session_token != "chosen" and changed.password_hash != "x"
        [(entry, changes, _)] = audit_entries("user.update")
        assert changes == {
            "name": ["Anna Berger", "Anna Berger-Huber"],
            "is_administrator": [False, True],
            "may_send": [False, True],
        }
        assert entry.target_label == "Anna Berger-Huber"
    # saving again without changes writes nothing
    post(
        client,
        f"/admin/users/{user.id}",
        {
            "name": "Anna Berger-Huber",
            "email": user.email,
            "is_administrator": "y",
            "may_send": "y",
            "active": "y",
        },
    )
    with app.app_context():
        assert len(audit_entries("user.update")) == 1


def test_edit_refuses_an_address_of_another_user(app, client, login_as):
    login_as("administrator")
    with app.app_context():
        user, _ = factories.user()
        other, _ = factories.user()
    response = post(
        client, f"/admin/users/{user.id}", {"name": user.name, "email": other.email, "active": "y"}
    )
    assert response.status_code == 422
    assert "exists already" in response.get_data(as_text=True)
    response = post(client, f"/admin/users/{user.id}", {"name": "", "email": user.email})
    assert response.status_code == 422


def test_unknown_user_is_404(client, login_as):
    login_as("administrator")
    assert client.get("/admin/users/999999").status_code == 404
    assert post(client, "/admin/users/999999/deactivate").status_code == 404


def test_buttons_need_the_csrf_token(app, client, login_as):
    login_as("administrator")
    with app.app_context():
        user, _ = factories.user()
    assert client.post(f"/admin/users/{user.id}/deactivate").status_code == 400
    with app.app_context():
        assert User.get_by_id(user.id).active


def test_new_one_time_password_by_the_administrator(app, client, login_as, outbox):
    login_as("administrator", name="Petra Admin")
    with app.app_context():
        user, password = factories.user(locale="de")
    other = app.test_client()
    assert sign_in(other, user.email, password).status_code == 302

    response = post(client, f"/admin/users/{user.id}/one-time-password")
    assert response.status_code == 302
    [message] = outbox
    assert message["To"] == user.email
    assert message["Subject"] == "Ihr neues Einmalpasswort für Depesche"
    one_time = one_time_password(message)
    assert other.get("/").status_code == 302  # the running session has ended
    assert sign_in(app.test_client(), user.email, password).status_code == 422
    response = sign_in(app.test_client(), user.email, one_time)
    assert response.headers["Location"] == "/account/password"
    with app.app_context():
        [(entry, _, details)] = audit_entries("user.password_set")
        assert entry.target_id == user.id and details == {"one_time": True}


def test_no_one_time_password_for_an_inactive_user(app, client, login_as, outbox):
    login_as("administrator")
    with app.app_context():
        user, _ = factories.user(active=False)
    response = post(client, f"/admin/users/{user.id}/one-time-password")
    assert response.status_code == 422
    assert "reactivate the user first" in response.get_data(as_text=True)
    assert outbox == []


def test_services_refuse_what_the_forms_would_not_send(app_ctx):
    from app.users.services import UserError, create_user, invite_user, update_user

    with pytest.raises(UserError, match="This language is not available."):
        invite_user("neu@test-agentur.example", "Neu", language="fr")
    with pytest.raises(ValueError, match="cannot set"):
        create_user("neu@test-agentur.example", "Neu", fields={"password_hash": "x"})
    user, _ = factories.user()
    with pytest.raises(UserError, match="A name is required."):
        update_user(user, name="   ")
    with pytest.raises(UserError, match="is not valid"):
        update_user(user, email="kein-at-zeichen")
    assert not User.select().where(User.email == "neu@test-agentur.example").exists()


def test_edit_with_an_invalid_address_answers_422(app, client, login_as):
    login_as("administrator")
    with app.app_context():
        user, _ = factories.user()
    response = post(client, f"/admin/users/{user.id}", {"name": user.name, "email": "kein-at"})
    assert response.status_code == 422
    assert "The e-mail address kein-at is not valid." in response.get_data(as_text=True)
