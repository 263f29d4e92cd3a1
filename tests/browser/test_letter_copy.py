"""The letter head on a person's page is copied to the clipboard in one click (SPEC C6), also
after a boosted navigation and where navigator.clipboard is missing (plain http on a LAN)."""

from __future__ import annotations

from playwright.sync_api import expect

from app.contacts.services import create_person
from tests import factories
from tests.browser.helpers import sign_in

GERMAN_HEAD = (
    "Frau\nDr. med. Jutta Groß-Öztürk\nHauptstraße 5\n04109 Leipzig\n\n"
    "Sehr geehrte Frau Dr. Groß-Öztürk,"
)
ENGLISH_HEAD = "Dr Jutta Groß-Öztürk\nHauptstraße 5\n04109 Leipzig\n\nDear Dr Groß-Öztürk,"


def _person_and_user(app):
    with app.app_context():
        user, password = factories.user()
        owner = factories.new_client("Alpha AG")
        factories.grant(user, owner, "full")
        create_person(
            user,
            owner,
            gender="female",
            title="Dr. med.",
            first_name="Jutta",
            last_name="Groß-Öztürk",
            street="Hauptstraße 5",
            postcode="04109",
            city="Leipzig",
        )
    return user, password


def _open_person(page, user, password):
    """Sign in and reach the person through the contacts list: boosted navigations only."""
    page.goto("/login")
    sign_in(page, user.email, password)
    page.get_by_role("link", name="Contacts").first.click()
    page.get_by_role("link", name="Groß-Öztürk").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dr. med. Jutta Groß-Öztürk")


def test_copy_puts_the_exact_letter_head_on_the_clipboard(app, page, live_server):
    user, password = _person_and_user(app)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    _open_person(page, user, password)

    german = page.locator('button[data-copy-from="letter-de"]')  # its name changes
    expect(german).to_have_accessible_name("Copy German")  # "German" for screen readers only
    german.click()
    expect(german).to_have_text("Copied German")
    assert page.evaluate("navigator.clipboard.readText()") == GERMAN_HEAD
    expect(german).to_have_text("Copy German", timeout=4_000)  # back after two seconds

    page.get_by_role("button", name="Copy English").click()
    assert page.evaluate("navigator.clipboard.readText()") == ENGLISH_HEAD


def test_copy_without_navigator_clipboard_uses_the_fallback(app, page, live_server):
    user, password = _person_and_user(app)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    # what a browser offers on plain http to a LAN address: no navigator.clipboard
    page.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'clipboard', {get: () => undefined})"
    )
    _open_person(page, user, password)
    assert page.evaluate("navigator.clipboard === undefined")
    reader = page.context.new_page()  # a page that still has the clipboard API
    reader.goto("/healthz")
    reader.evaluate("navigator.clipboard.writeText('nothing copied yet')")
    page.bring_to_front()

    german = page.locator('button[data-copy-from="letter-de"]')
    german.click()
    expect(german).to_have_text("Copied German")
    expect(german).to_be_focused()  # the hidden textarea gave the focus back
    reader.bring_to_front()
    assert reader.evaluate("navigator.clipboard.readText()") == GERMAN_HEAD


def test_when_nothing_can_copy_the_text_is_selected_for_ctrl_c(app, page, live_server):
    user, password = _person_and_user(app)
    page.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'clipboard', {get: () => undefined});"
        "Document.prototype.execCommand = () => false;"
    )
    _open_person(page, user, password)

    english = page.locator('button[data-copy-from="letter-en"]')
    english.click()
    expect(english).to_have_text("Press Ctrl+C to copy English")
    assert page.evaluate("window.getSelection().toString()") == ENGLISH_HEAD
    expect(english).to_have_text("Copy English", timeout=4_000)
