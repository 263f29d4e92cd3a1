"""A press release from the composer to 500 journalists in a real browser (issue 6): the
text written in the editor, a PDF attached, the pre-send check, sending through a real
worker process to a real SMTP sink while the page shows the progress, and the result."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from app.extensions import db
from app.mailings.models import MailingRecipient
from app.senders.services import assign_users, create_sender
from app.users.models import User
from tests import factories
from tests.browser.helpers import sign_in
from tests.mailings.conftest import bulk_list

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_compose_check_send_and_watch(app, page, real_dispatch, tmp_path):
    sink, start_worker = real_dispatch
    with app.app_context():
        db.connect(reuse_if_open=True)
        user, password = factories.user(name="Petra Presse")
        User.update(may_send=True).where(User.id == user.id).execute()
        client = factories.new_client("Stadtwerke")
        factories.grant(user, client, "full")
        sender = create_sender("Pressestelle Stadtwerke", "presse@stadtwerke.example")
        assign_users(sender, [user.id])
        bulk_list(client.id, "Wirtschaftspresse", 500)
    relay = sink("--delay", "0.004")
    start_worker()
    pdf = tmp_path / "Pressemappe.pdf"
    pdf.write_bytes(PDF)

    page.goto("/login")
    sign_in(page, user.email, password)
    page.get_by_role("link", name="Mailings").first.click()
    page.get_by_role("link", name="New mailing").click()
    page.get_by_label("Subject").fill("Neue Energiestrategie")
    page.get_by_role("button", name="Write the mailing").click()
    expect(page).to_have_url(re.compile(r"/mailings/\d+$"))
    page.get_by_label("From").select_option(
        label="Pressestelle Stadtwerke <presse@stadtwerke.example>"
    )
    editor = page.locator(".editor")
    editor.click()
    page.keyboard.type("{{anrede}}")
    page.keyboard.press("Enter")
    page.keyboard.type("die Stadtwerke stellen heute ihre Energiestrategie vor.")
    expect(page.locator("#save-state")).to_contain_text("Saved", timeout=15_000)
    page.get_by_label("Add a list").select_option(label="Wirtschaftspresse")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator(".side-panel")).to_contain_text("500 recipients")
    page.get_by_label("Attach a file").set_input_files(str(pdf))
    page.get_by_role("button", name="Attach", exact=True).click()
    expect(page.locator(".side-panel")).to_contain_text("Pressemappe.pdf")

    page.get_by_role("link", name="Check and send").click()
    expect(page.locator("h1")).to_have_text("Check before sending")
    expect(page.locator(".big-number")).to_have_text("500")
    expect(page.locator("#dns-state")).to_contain_text("SPF")
    page.screenshot(path=str(tmp_path / "check.png"), full_page=True)
    page.get_by_role("button", name="Send to 500 recipients").click()

    expect(page.locator("h1")).to_have_text("Delivery report")
    summary = page.locator("#report-summary")
    expect(summary.locator(".report-state")).to_contain_text("sent", timeout=60_000)
    expect(summary).not_to_have_attribute("hx-trigger", re.compile(".*"))
    expect(summary.locator(".kpis")).to_contain_text("100.0%")
    assert len(relay.tokens()) == 500
    with app.app_context():
        rows = list(MailingRecipient.select())
    assert {r.state for r in rows} == {"sent"} and {r.token for r in rows} == set(relay.tokens())
