"""A press release from the composer to 500 journalists in a real browser (issue 6): the
text written in the editor, a PDF attached, the pre-send check, sending through a real
worker process to a real SMTP sink while the report shows the progress, the states per
recipient; then a bounce for one of them fed in through `depesche bounces pipe`, the
address corrected on the undeliverable-addresses screen and the mailing sent again."""

from __future__ import annotations

import re
import subprocess

from playwright.sync_api import expect

from app.extensions import db
from app.mailings.models import MailingRecipient
from app.senders.services import assign_users, create_sender
from app.users.models import User
from tests import factories
from tests.browser.helpers import sign_in
from tests.mailings.conftest import bulk_list
from tests.mailings.workers import DEPESCHE, wait_for

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _dsn(token: str, address: str) -> bytes:
    """A Postfix delivery status notification for one message (user unknown)."""
    return (
        "From: MAILER-DAEMON@mx.stadtwerke.example (Mail Delivery System)\r\n"
        f"To: bounces+{token}@stadtwerke.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\n"
        f"<{address}>: host mx.redaktion.example said: 550 5.1.1 User unknown\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.stadtwerke.example\r\n\r\n"
        f"Final-Recipient: rfc822; {address}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
        "--B--\r\n"
    ).encode()


def test_compose_check_send_and_watch(app, page, real_dispatch, tmp_path, cli_env):
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
    # the report lists every recipient with its state (the table reloads when it is done)
    table = page.locator("#report-recipients")
    states = table.locator("tbody .state")
    expect(states.filter(has_text=re.compile(r"^\s*queued\s*$"))).to_have_count(0)
    expect(states.first).to_have_text(re.compile(r"^\s*sent\s*$"))
    expect(page.get_by_role("button", name="Cancel the mailing")).to_have_count(0)

    # a bounce for one recipient comes back through the MTA's pipe
    bounced = rows[7]
    fed = subprocess.run(  # noqa: S603 (our own command)
        [DEPESCHE, "bounces", "pipe", "--recipient", f"bounces+{bounced.token}@stadtwerke.example"],
        input=_dsn(bounced.token, bounced.address),
        env=cli_env,
        capture_output=True,
        check=False,
    )
    assert fed.returncode == 0, fed.stderr
    page.get_by_role("link", name="Mailings").first.click()
    page.get_by_role("link", name="Undeliverable addresses").click()
    row = page.locator(f"#bounce-{bounced.id}")
    expect(row).to_contain_text("5.1.1")
    row.get_by_label("Correct e-mail address").fill("neu.redakteur@redaktion.example")
    row.get_by_role("button", name="Correct").click()
    expect(row).to_contain_text("Corrected to neu.redakteur@redaktion.example")
    row.get_by_role("button", name="Send the mailing again").click()
    expect(row).to_contain_text("Sent again to neu.redakteur@redaktion.example.")
    with app.app_context():
        again = MailingRecipient.get(MailingRecipient.address == "neu.redakteur@redaktion.example")
    assert wait_for(lambda: again.token in relay.tokens(), timeout=60)

    def recorded():  # the sink logs a message before it answers; the worker then records
        with app.app_context():
            return MailingRecipient.get_by_id(again.id).state == "sent"

    assert wait_for(recorded, timeout=30)
