"""Lockout (SPEC S2): five failures lock for 30 minutes; nothing tells an outsider."""

import pytest

from app.audit.models import AuditEntry
from app.auth.models import LoginAttempt
from app.settings.services import set_value
from app.users.models import User
from tests import factories
from tests.auth.helpers import login, verify

WRONG = "Falsch-Passwort-1!"
GENERIC = "The e-mail address or the password is wrong."


def test_five_failures_lock_and_the_sixth_fails_even_with_the_right_password(app, client, clock):
    with app.app_context():
        user, password = factories.user()
    for _ in range(4):
        assert GENERIC in login(client, user.email, WRONG).get_data(as_text=True)
    with app.app_context():
        assert User.get_by_id(user.id).locked_until is None
    login(client, user.email, WRONG)  # the fifth
    with app.app_context():
        assert User.get_by_id(user.id).locked_until is not None
        assert AuditEntry.select().where(AuditEntry.action == "user.locked").count() == 1
    right = login(client, user.email, password)
    assert right.status_code == 422
    assert "locked after too many failed attempts" in right.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not signed in
    # a wrong password on a locked account gets the answer of any wrong password
    assert GENERIC in login(client, user.email, WRONG).get_data(as_text=True)

    clock.advance(minutes=31)
    assert login(client, user.email, password).status_code == 302
    with app.app_context():
        fresh = User.get_by_id(user.id)
        assert fresh.failed_logins == 0 and fresh.locked_until is None


def test_the_limits_are_settings(app, client, clock):
    with app.app_context():
        set_value("lockout_attempts", 3)
        set_value("lockout_minutes", 5)
        user, password = factories.user()
    for _ in range(3):
        login(client, user.email, WRONG)
    assert login(client, user.email, password).status_code == 422
    clock.advance(minutes=6)
    assert login(client, user.email, password).status_code == 302


def test_a_success_resets_the_count(app, client):
    with app.app_context():
        user, password = factories.user()
    for _ in range(4):
        login(client, user.email, WRONG)
    assert login(client, user.email, password).status_code == 302
    client.post("/logout", data={"csrf_token": _token(client)})
    for _ in range(4):
        login(client, user.email, WRONG)
    assert login(client, user.email, password).status_code == 302


def _token(client):
    from tests.conftest import csrf_token

    return csrf_token(client, "/")


def test_wrong_second_factor_codes_count_too(app, client):
    with app.app_context():
        user, password = factories.user(totp=True)
    for _ in range(5):
        assert login(client, user.email, password).headers["Location"] == "/login/verify"
        assert verify(client, "000000").status_code == 422
    with app.app_context():
        assert User.get_by_id(user.id).locked_until is not None
    assert "locked" in login(client, user.email, password).get_data(as_text=True)


def test_unknown_and_known_accounts_get_the_same_answer(app, client):
    with app.app_context():
        user, _ = factories.user()
    known = login(client, user.email, WRONG)
    unknown = login(client, "niemand@test-agentur.example", WRONG)
    assert known.status_code == unknown.status_code == 422

    def strip_token(html):
        """Without the CSRF tokens, which carry a timestamp and so differ by the second."""
        import re

        return re.sub(r'value="[^"]*"|"X-CSRFToken": "[^"]*"', "", html)

    assert strip_token(known.get_data(as_text=True).replace(user.email, "X")) == strip_token(
        unknown.get_data(as_text=True).replace("niemand@test-agentur.example", "X")
    )


def test_unknown_accounts_cost_a_password_hash_too(app, client, monkeypatch):
    """No timing difference by construction: both paths run one argon2 verification."""
    from app.auth import passwords

    calls = []
    real = passwords._hasher

    class Counting:
        def verify(self, digest, password):
            calls.append(digest)
            return real.verify(digest, password)

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(passwords, "_hasher", Counting())
    with app.app_context():
        user, _ = factories.user()
    login(client, user.email, WRONG)
    login(client, "niemand@test-agentur.example", WRONG)
    assert len(calls) == 2


def test_every_failure_is_logged_with_address_and_browser(app, client):
    with app.app_context():
        user, _ = factories.user()
    login(client, user.email, WRONG)
    login(client, "niemand@test-agentur.example", WRONG)
    with app.app_context():
        attempts = list(LoginAttempt.select().order_by(LoginAttempt.id))
    assert [a.outcome for a in attempts] == ["wrong_password", "unknown_account"]
    assert attempts[0].user_id == user.id and attempts[1].user_id is None
    assert all(a.source_address == "127.0.0.1" and a.user_agent for a in attempts)
    assert all(a.created_at is not None for a in attempts)


def test_administrator_lifts_a_lock(app, client):
    from app.auth.lockout import unlock

    with app.app_context():
        user, password = factories.user()
    for _ in range(5):
        login(client, user.email, WRONG)
    with app.app_context():
        unlock(User.get_by_id(user.id))
    assert login(client, user.email, password).status_code == 302


@pytest.mark.parametrize("path", ["/login", "/login/forgot"])
def test_rate_limit_per_source_address(app, client, path):
    app.config["AUTH_RATE_LIMIT"] = "3 per minute"
    from tests.conftest import csrf_token

    token = csrf_token(client, path)
    codes = [
        client.post(
            path, data={"email": f"x{i}@agentur.example", "password": "x", "csrf_token": token}
        ).status_code
        for i in range(4)
    ]
    assert codes[-1] == 429
    assert codes[:3] != [429, 429, 429]
    other = client.post(path, data={"csrf_token": token}, environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other.status_code != 429


def test_the_lock_is_visible_to_administrators_who_lift_it(app, client, login_as):
    from app.audit.models import AuditEntry

    with app.app_context():
        user, password = factories.user(name="Gesperrte Nutzerin")
    locked_out = factories_browser(app)
    for _ in range(5):
        login(locked_out, user.email, WRONG)
    login_as("administrator")
    assert "locked" in client.get("/admin/users/").get_data(as_text=True)
    page = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "after too many failed attempts" in page
    response = client.post(
        f"/admin/users/{user.id}/unlock",
        data={"csrf_token": csrf(client, f"/admin/users/{user.id}")},
    )
    assert response.status_code == 302
    assert login(locked_out, user.email, password).status_code == 302
    with app.app_context():
        assert AuditEntry.select().where(AuditEntry.action == "user.unlocked").count() == 1


def test_only_administrators_lift_locks(app, client, login_as):
    with app.app_context():
        user, _ = factories.user()
    login_as("user")
    response = client.post(f"/admin/users/{user.id}/unlock", data={"csrf_token": csrf(client, "/")})
    assert response.status_code == 403


def factories_browser(app):
    from tests.auth.helpers import browser

    return browser(app)


def csrf(client, path):
    from tests.conftest import csrf_token

    return csrf_token(client, path)
