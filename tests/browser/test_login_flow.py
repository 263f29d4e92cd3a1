"""Sign-in, language switch, sign-out and the first password change in a real browser."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from app.users.services import create_user
from tests import factories
from tests.browser.helpers import sign_in


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def test_sign_in_switch_language_and_sign_out(app, page, live_server):
    with app.app_context():
        user, password = factories.user(name="Anna Berger")

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()

    sign_in(page, user.email, password)
    expect(page).to_have_url(f"{live_server}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Anna Berger")
    expect(page.locator(".whoami")).to_have_text("Anna Berger")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    # the token htmx sends (on <body>) is the new session's, like the forms' tokens
    header_token = page.evaluate(
        "JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']"
    )
    form_token = page.locator(".lang-switch input[name=csrf_token]").first.get_attribute("value")
    assert header_token == form_token

    page.get_by_role("button", name="Deutsch").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Schön, dass Sie da sind")
    expect(page.get_by_role("button", name="Deutsch")).to_have_attribute("aria-pressed", "true")

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good to see you, Anna Berger")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_text("You have been signed out.")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)

    # Signed out for real: the start page sends the browser back to the sign-in form.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))


def test_wrong_password_shows_the_error_and_stays_on_login(app, page, browser_problems):
    browser_problems.allow("/login", 422)  # the failed form post answers 422; htmx swaps it
    with app.app_context():
        user, _ = factories.user()

    page.goto("/login")
    sign_in(page, user.email, "Falsch-123!")

    expect(page.get_by_text("The e-mail address or the password is wrong.")).to_be_visible()
    assert _path(page.url) == "/login"
    expect(page.get_by_label("E-mail address", exact=True)).to_have_value(user.email)
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_language_switch_beforesign_in(page):
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()

    page.get_by_role("button", name="Deutsch").click()
    expect(page.get_by_role("button", name="Anmelden")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    assert _path(page.url) == "/login"


def test_one_time_password_must_be_changed_first(app, page, live_server):
    with app.app_context():
        user, one_time = create_user("neu@test-agentur.example", "Nora Neumann")
    assert one_time

    page.goto("/login")
    sign_in(page, user.email, one_time)
    expect(page).to_have_url(re.compile(r"/account/password$"))
    expect(page.get_by_role("heading", name="Change password")).to_be_visible()

    page.get_by_label("Current password", exact=True).fill(one_time)
    page.get_by_label("New password", exact=True).fill("Neues-Passwort-7!")
    page.get_by_label("Repeat the new password", exact=True).fill("Neues-Passwort-7!")
    page.get_by_role("button", name="Save password").click()

    expect(page).to_have_url(f"{live_server}/")
    expect(page.get_by_text("Your password has been changed.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nora Neumann")
