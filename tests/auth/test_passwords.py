"""Password policy (SPEC S1): wherever a password is set, the same rules."""

import pytest

from app.auth.passwords import is_common, policy_errors, verify_password
from app.settings.services import set_value
from app.users.models import User
from app.users.services import UserError, create_user, set_password
from tests import factories
from tests.auth.helpers import login
from tests.conftest import csrf_token


def _messages(password, **kwargs):
    return [str(m) for m in policy_errors(password, **kwargs)]


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("Kurz-1!", "at least 8 characters"),
        ("Ohne-Ziffer!", "at least one digit"),
        ("OhneSonderzeichen1", "one special character"),
        ("Password1!", "most common"),
        ("Sommer2024!", "most common"),
        ("qwertz123!", "most common"),
        ("Depesche-2026!", "must not contain the word “depesche”"),
    ],
)
def test_refused_passwords(app_ctx, password, fragment):
    assert any(fragment in m for m in _messages(password)), _messages(password)


def test_the_common_list_is_shipped_and_large(app_ctx):
    from app.auth.passwords import common_passwords

    assert len(common_passwords()) > 5000
    assert is_common("letmein") and not is_common("Wolken-Kratzer-93")


def test_client_and_own_names_are_refused(app_ctx):
    from app.clients.models import Client

    Client.create(name="Alpenquell Mineralbrunnen GmbH")
    assert any("alpenquell" in m for m in _messages("Alpenquell#2026"))
    user, _ = factories.user(name="Johanna Brandstetter")
    assert any("brandstetter" in m for m in _messages("Brandstetter#77", user=user))


def test_long_passwords_are_accepted_and_never_truncated(app_ctx):
    long = "Ein-sehr-langes-Passwort-42 " * 4 + "x" * 16  # 128 characters
    assert len(long) == 128 and _messages(long) == []
    user, _ = factories.user(password=long)
    assert verify_password(User.get_by_id(user.id).password_hash, long)
    assert not verify_password(User.get_by_id(user.id).password_hash, long[:-1])
    assert any("at most 128" in m for m in _messages(long + "y"))


def test_administrator_raises_the_minimum_length(app_ctx):
    set_value("password_min_length", 14)
    assert any("at least 14 characters" in m for m in _messages("Kurz-aber-7!"))
    with pytest.raises(UserError):
        create_user("neu@agentur.example", "Neu", password="Kurz-aber-7!")


def test_none_of_the_last_five_may_be_reused(app_ctx):
    user, first = factories.user()
    passwords = [f"Wechsel-Nummer-{n}!" for n in range(5)]
    for password in passwords:
        set_password(User.get_by_id(user.id), password)
    fresh = User.get_by_id(user.id)
    for old in passwords[1:]:  # the current and the three before it
        with pytest.raises(UserError, match="last 5 passwords"):
            set_password(fresh, old)
    set_password(fresh, first)  # six changes ago: allowed again


def test_expired_password_must_be_replaced_first(app, client, clock):
    with app.app_context():
        set_value("password_max_age_days", 90)
        user, password = factories.user()
    clock.advance(days=91)
    assert login(client, user.email, password).headers["Location"] == "/account/password"
    assert client.get("/").headers["Location"] == "/account/password"


def test_change_interval_is_off_by_default(app, client, clock):
    with app.app_context():
        user, password = factories.user()
    clock.advance(days=3650)
    assert login(client, user.email, password).headers["Location"] == "/"


def test_the_browser_form_applies_the_policy(client, login_as):
    login_as()
    response = client.post(
        "/account/password",
        data={
            "current_password": factories.PASSWORD,
            "new_password": "Password1!",
            "confirm": "Password1!",
            "csrf_token": csrf_token(client, "/account/password"),
        },
    )
    assert response.status_code == 422
    assert "most common" in response.get_data(as_text=True)


def test_password_is_rehashed_when_parameters_change(app, client, monkeypatch):
    from argon2 import PasswordHasher

    from app.auth import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8192))
    with app.app_context():
        user, password = factories.user()
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher())
    login(client, user.email, password)
    with app.app_context():
        assert "t=1" not in User.get_by_id(user.id).password_hash
        assert verify_password(User.get_by_id(user.id).password_hash, password)
