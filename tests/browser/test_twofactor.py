"""Setting up an authenticator app through the QR screen, then signing in with it."""

from __future__ import annotations

import re

import pyotp
from playwright.sync_api import expect

from tests import factories
from tests.browser.helpers import sign_in


def test_set_up_totp_sign_out_and_sign_in_with_a_code(app, page, live_server):
    from app.auth.twofactor import current_step

    with app.app_context():
        user, password = factories.user(name="Tobias Steiner")

    page.goto("/login")
    sign_in(page, user.email, password)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Tobias Steiner")

    page.get_by_role("link", name="Security").click()
    page.get_by_role("link", name="Set up an authenticator app").click()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    secret = page.locator(".secret code").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code", exact=True).fill(totp.generate_otp(current_step()))
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator(".codes li")).to_have_count(10)
    page.get_by_role("link", name="I have kept them").click()
    expect(page.get_by_text("You sign in with a code from your authenticator app.")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    sign_in(page, user.email, password)
    expect(page).to_have_url(re.compile(r"/login/verify$"))
    # the code used for the set-up is spent; the next time step gives a fresh one
    page.get_by_label("Code", exact=True).fill(totp.generate_otp(current_step() + 1))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Tobias Steiner")
