"""The main contacts flows in a real browser (issue 4, SPEC C4, C5, C7, C9): find
"mueller" as you type, edit a row inline, block a person and see it in the history, add a
note, and merge two duplicates."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from app.contacts.services import create_person
from app.outlets.models import Outlet
from tests import factories
from tests.browser.helpers import sign_in


def _contacts(app):
    with app.app_context():
        user, password = factories.user(name="Petra Presse")
        client = factories.new_client("Alpha AG")
        factories.grant(user, client, "full")
        sz = Outlet.create(client=client, name="Süddeutsche Zeitung", kind="daily")
        ids = {}
        for first, last, city, email in [
            ("Anna", "Müller", "München", "anna.mueller@sz.example"),
            ("Anna", "Mueller", "München", "a.mueller@home.example"),
            ("Karl", "Strauß", "Bern", "karl@bund.example"),
            ("Bea", "Brandt", "Aachen", "bea@az.example"),
        ]:
            person = create_person(
                user,
                client,
                first_name=first,
                last_name=last,
                city=city,
                emails=[email],
                outlet_ids=[sz.id],
            )
            ids[f"{first} {last}"] = person.id
    return user, password, ids


def test_search_inline_edit_block_note_and_merge(app, page, live_server):
    user, password, ids = _contacts(app)
    page.goto("/contacts/")
    sign_in(page, user.email, password)
    expect(page).to_have_url(re.compile(r"/contacts/$"))
    rows = page.locator("#contact-results tbody tr")
    expect(rows).to_have_count(4)
    # the rows are there before htmx has set up the search field (at DOMContentLoaded);
    # typing earlier is lost, as it would be for a user typing into a half-loaded page
    page.wait_for_load_state("load")

    # search as you type: "mueller" finds both spellings, the URL carries the search
    page.get_by_label("Search").fill("mueller")
    expect(rows).to_have_count(2)
    expect(page).to_have_url(re.compile(r"/contacts/\?q=mueller"))
    expect(page.locator("#contact-results")).to_contain_text("Müller")

    # inline edit of the city
    anna = ids["Anna Müller"]
    row = page.locator(f"#person-{anna}")
    row.get_by_role("link", name="Edit").click()
    row.get_by_label("City").fill("Augsburg")
    row.get_by_role("button", name="Save").click()
    expect(page.locator(f"#person-{anna}")).to_contain_text("Augsburg")
    expect(page.locator(f"#person-{anna} input[name=city]")).to_have_count(0)

    # block with a reason; the history shows it
    page.locator(f"#person-{anna}").get_by_role("link", name=re.compile("Müller")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Anna Müller")
    page.get_by_placeholder("Reason (optional)").fill("Widerspruch am Telefon")
    page.get_by_role("button", name="Block", exact=True).click()
    expect(page.locator(".notice")).to_contain_text("Widerspruch am Telefon")
    page.get_by_role("link", name="History").click()
    expect(page.locator(".person-history")).to_contain_text("Blocked (Widerspruch am Telefon)")

    # a note in the contact history
    page.get_by_text("Add a note, call or document").click()
    page.get_by_label("Text").fill("Bitte nur per E-Mail kontaktieren.")
    page.get_by_role("button", name="Add to history").click()
    expect(page.locator(".timeline")).to_contain_text("Bitte nur per E-Mail kontaktieren.")

    # duplicates: the two Anna Müllers at the same outlet, merged
    page.goto("/contacts/duplicates")
    expect(page.locator("table.duplicates tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Compare and merge").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Merge contacts")
    page.get_by_role("button", name="Merge", exact=True).click()
    expect(page).to_have_url(re.compile(r"/contacts/\d+$"))
    expect(page.locator(".side-panel")).to_contain_text("a.mueller@home.example")
    expect(page.locator(".side-panel")).to_contain_text("anna.mueller@sz.example")
    page.get_by_role("link", name="History").click()
    expect(page.locator(".person-history")).to_contain_text("Merged with a duplicate")
    page.goto("/contacts/?q=mueller")
    expect(rows).to_have_count(1)
