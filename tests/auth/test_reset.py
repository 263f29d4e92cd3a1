"""Forgotten password (SPEC S3)."""

import re

from app.users.models import User
from tests import factories
from tests.auth.helpers import browser, login
from tests.conftest import csrf_token

ANSWER = "If an account exists for this address"


def _ask(client, email):
    return client.post(
        "/login/forgot",
        data={"email": email, "csrf_token": csrf_token(client, "/login/forgot")},
        follow_redirects=True,
    )


def _one_time(message):
    return re.search(r"(?:One-time password|Einmalpasswort): (\S+)", message.get_content()).group(1)


def test_same_answer_for_known_and_unknown_addresses(app, client, outbox):
    with app.app_context():
        user, _ = factories.user()
    known = _ask(client, user.email).get_data(as_text=True)
    unknown = _ask(client, "niemand@test-agentur.example").get_data(as_text=True)
    assert ANSWER in known and ANSWER in unknown
    assert len(outbox) == 1 and outbox[0]["To"] == user.email


def test_one_time_password_signs_in_once_forces_a_change_and_ends_other_sessions(
    app, client, outbox
):
    with app.app_context():
        user, password = factories.user()
    elsewhere = browser(app)
    login(elsewhere, user.email, password)
    _ask(client, user.email)
    one_time = _one_time(outbox[-1])
    # the old password still works until the one-time password is used
    assert login(browser(app), user.email, password).status_code == 302
    assert login(client, user.email, one_time).headers["Location"] == "/account/password"
    assert elsewhere.get("/").status_code == 302  # other sessions ended
    response = client.post(
        "/account/password",
        data={
            "current_password": one_time,
            "new_password": "Frisch-Gesetzt-55",
            "confirm": "Frisch-Gesetzt-55",
            "csrf_token": csrf_token(client, "/account/password"),
        },
    )
    assert response.headers["Location"] == "/"
    again = browser(app)
    assert login(again, user.email, one_time).status_code == 422  # used up
    assert login(again, user.email, password).status_code == 422  # replaced


def test_one_time_password_expires_after_30_minutes(app, client, outbox, clock):
    with app.app_context():
        user, _ = factories.user()
    _ask(client, user.email)
    clock.advance(minutes=31)
    assert login(client, user.email, _one_time(outbox[-1])).status_code == 422


def test_mail_is_in_the_users_language(app, client, outbox):
    with app.app_context():
        user, _ = factories.user(locale="de")
    _ask(client, user.email)
    assert "Einmalpasswort" in outbox[-1].get_content()


def test_inactive_accounts_get_no_mail(app, client, outbox):
    with app.app_context():
        user, _ = factories.user(active=False)
    assert ANSWER in _ask(client, user.email).get_data(as_text=True)
    assert outbox == []
    with app.app_context():
        assert User.get_by_id(user.id).active is False
