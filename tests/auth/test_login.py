"""Sign-in, sign-out and password change through real HTTP requests."""

from app.users.models import User
from tests import factories
from tests.conftest import csrf_token


def _login(client, email, password, **extra):
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(client), **extra},
    )


def _change(client, current, new, confirm=None):
    return client.post(
        "/account/password",
        data={
            "current_password": current,
            "new_password": new,
            "confirm": new if confirm is None else confirm,
            "csrf_token": csrf_token(client, "/account/password"),
        },
    )


def test_login_and_logout(app, client):
    with app.app_context():
        user, password = factories.user(name="Anna Berger")
    response = _login(client, user.email.upper(), password)  # any spelling of the address
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Anna Berger" in page
    assert "none before this one" in page
    with app.app_context():
        assert User.get_by_id(user.id).last_login_at is not None

    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302
    assert client.get("/").status_code == 302

    # the next sign-in shows when the previous one was
    _login(client, user.email, password)
    assert "Previous sign-in" in client.get("/").get_data(as_text=True)
    assert "none before this one" not in client.get("/").get_data(as_text=True)


def test_wrong_password_and_unknown_account_get_the_same_answer(app, client):
    with app.app_context():
        user, _ = factories.user()
    wrong = _login(client, user.email, "Falsch-123!")
    unknown = _login(client, "nobody@test-agentur.example", "Falsch-123!")
    assert wrong.status_code == unknown.status_code == 422
    text = "The e-mail address or the password is wrong."
    assert text in wrong.get_data(as_text=True)
    assert text in unknown.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_inactive_user_cannot_sign_in(app, client):
    with app.app_context():
        user, password = factories.user(active=False)
    assert _login(client, user.email, password).status_code == 422


def test_empty_form_is_answered_in_the_users_language(client):
    response = client.post(
        "/login",
        data={"email": "", "password": "", "csrf_token": csrf_token(client)},
        headers={"Accept-Language": "de-DE,de;q=0.9"},
    )
    assert response.status_code == 422
    assert "Bitte geben Sie Ihre E-Mail-Adresse und Ihr Passwort ein." in response.get_data(
        as_text=True
    )


def test_login_without_csrf_token_is_refused(app, client):
    with app.app_context():
        user, password = factories.user()
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_return_to_requested_page_but_never_offsite(app, client):
    with app.app_context():
        user, password = factories.user()
    response = client.get("/account/password?x=1")
    assert response.headers["Location"] == "/login?next=/account/password?x%3D1"
    assert (
        _login(client, user.email, password, next="/account/password?x=1").headers["Location"]
        == "/account/password?x=1"
    )
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = _login(client, user.email, password, next=evil)
        assert response.headers["Location"] == "/"
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def test_one_time_password_forces_a_change_first(app, client):
    from app.users.services import create_user

    with app.app_context():
        user, one_time = create_user("neu@test-agentur.example", "Neu Nutzer")
    response = _login(client, user.email, one_time)
    assert response.headers["Location"] == "/account/password"
    # nothing else is reachable until the password is changed
    assert client.get("/").headers["Location"] == "/account/password"
    weak = _change(client, one_time, "kurz")
    assert weak.status_code == 422
    assert "at least 8 characters" in weak.get_data(as_text=True)
    assert _change(client, one_time, "Neues-Passwort-7").status_code == 302
    assert client.get("/").status_code == 200
    with app.app_context():
        assert User.get_by_id(user.id).must_change_password is False


def test_password_change_ends_other_sessions(app):
    with app.app_context():
        user, password = factories.user()
    first, second = app.test_client(), app.test_client()
    for browser in (first, second):
        browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        assert _login(browser, user.email, password).status_code == 302
    assert _change(first, password, "Anderes-Passwort-8").status_code == 302
    assert first.get("/").status_code == 200
    assert second.get("/").status_code == 302  # signed out by the change


def test_change_password_rejects_wrong_current_mismatch_and_reuse(client, login_as):
    login_as("user")
    cases = [
        (("nicht-richtig-1!", "Anderes-Passwort-8"), "The current password is wrong."),
        (
            (factories.PASSWORD, "Anderes-Passwort-8", "Anderes-Passwort-9"),
            "The two entries differ.",
        ),
        ((factories.PASSWORD, factories.PASSWORD), "must differ from the current one"),
    ]
    for args, message in cases:
        response = _change(client, *args)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)


def test_signed_in_user_visiting_login_goes_home(client, login_as):
    login_as()
    assert client.get("/login").headers["Location"] == "/"
