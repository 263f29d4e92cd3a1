"""A mailing's delivery report in the browser (SPEC M6): 500 recipients in mixed states sent
over 20 minutes; the page loads without a CSP complaint, the chart is drawn, the state
filter and the search replace the table (htmx) and push the URL, the pager pages; while
the mailing is being sent the summary refreshes itself and stops once it is finished.
Screenshots in test-artifacts/."""

from __future__ import annotations

import datetime
import random
import re
import uuid

from playwright.sync_api import expect

from app.contacts.models import Person, PersonEmail
from app.extensions import db
from app.mailings.models import Mailing, MailingRecipient
from tests import factories
from tests.browser.conftest import ARTIFACTS
from tests.browser.helpers import sign_in

START = datetime.datetime(2025, 3, 4, 9, 0)
FIRST = ["Anna", "Jürgen", "Karl", "Bea", "Lena", "Tobias", "Mira", "Paul", "Sophie", "Emre"]
LAST = ["Müller", "Schmidt", "Strauß", "Brandt", "Yilmaz", "Becker", "Wagner", "Hoffmann"]
DOMAINS = ["sz.example", "faz.example", "radio-wien.example", "taz.example", "nzz.example"]


def _seed(owner, state="sent", count=500):
    """A sent mailing with `count` recipients: mostly sent, some bounced (hard and soft), a
    few deferred, refused, unsubscribed and uncertain; messages spread over 20 minutes."""
    rng = random.Random(7)
    mailing = Mailing.create(
        client=owner,
        subject="Neue Energiestrategie 2030: Stadtwerke setzen auf Wärmepumpen",
        html="<p>Text</p>",
        state=state,
        started_at=START,
        finished_at=START + datetime.timedelta(minutes=21) if state == "sent" else None,
        recipients_total=count,
        bytes_total=count * 184_000,
    )
    rows = []
    with db.atomic():
        for n in range(count):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            address = f"{first[0].lower()}.{last.lower()}{n}@{rng.choice(DOMAINS)}".replace(
                "ü", "ue"
            ).replace("ß", "ss")
            person = Person.create(client=owner, first_name=first, last_name=last)
            PersonEmail.create(person=person, address=address, is_primary=True)
            roll = rng.random()
            kind = (
                "sent" if roll < 0.86 else "bounced_hard" if roll < 0.91 else
                "bounced_soft" if roll < 0.94 else "deferred" if roll < 0.96 else
                "unsubscribed" if roll < 0.98 else "failed" if roll < 0.99 else "uncertain"
            )  # fmt: skip
            if state == "sending" and n > count * 0.6:
                kind = "queued"
            sent = kind in ("sent", "bounced_hard", "bounced_soft", "unsubscribed")
            # a fast start that slows down as the relay throttles
            minute = 20 * (n / count) ** 1.6 + rng.random() * 0.3
            row = {
                "mailing": mailing.id,
                "person": person.id,
                "address": address,
                "token": uuid.uuid4().hex,
                "state": kind,
                "attempts": 0 if kind == "queued" else 1 + (kind == "deferred"),
                "size": 184_000,
                "queued_at": START,
                "updated_at": START,
                "sent_at": START + datetime.timedelta(minutes=minute) if sent else None,
                "smtp_code": 250 if sent else {"deferred": 451, "failed": 550}.get(kind),
                "smtp_response": "2.0.0 Ok: queued as 4Xk9" + uuid.uuid4().hex[:6].upper()
                if sent
                else {
                    "deferred": "4.7.1 Greylisted, please try again later",
                    "failed": "5.7.1 Relay access denied",
                    "uncertain": "connection lost during DATA",
                }.get(kind, ""),
            }
            if kind == "bounced_hard":
                row |= {
                    "bounce_kind": "hard",
                    "bounce_code": "5.1.1",
                    "bounce_reason": "The email account that you tried to reach does not exist",
                }
            if kind == "bounced_soft":
                row |= {
                    "bounce_kind": "soft",
                    "bounce_code": "4.2.2",
                    "bounce_reason": "Mailbox full",
                }
            if kind == "unsubscribed":
                row["unsubscribed_at"] = START + datetime.timedelta(hours=2)
            rows.append(row)
        for start in range(0, len(rows), 100):
            MailingRecipient.insert_many(rows[start : start + 100]).execute()
    return mailing


def test_the_report_of_a_large_mailing(app, page):
    with app.app_context():
        user, password = factories.user()
        owner = factories.new_client("Stadtwerke Musterstadt")
        factories.grant(user, owner, "full")
        _seed(owner)
    page.set_viewport_size({"width": 1360, "height": 900})
    page.goto("/login")
    sign_in(page, user.email, password)
    page.get_by_role("link", name="Mailings").first.click()
    page.get_by_role("link", name="Delivery report").click()
    expect(page.get_by_role("heading", name="Delivery report")).to_be_visible()
    expect(page.get_by_role("img", name="Messages sent over time")).to_be_visible()
    expect(page.locator("#report-recipients")).to_contain_text("500 recipients")
    page.screenshot(path=str(ARTIFACTS / "report-500-recipients.png"), full_page=False)
    assert page.locator("svg.chart-svg circle").count() == 22  # 9:00 … 9:21 by the minute
    assert page.locator("#report-summary").get_attribute("hx-trigger") is None

    page.get_by_label("State").select_option("bounced_hard")
    expect(page).to_have_url(re.compile(r"\?state=bounced_hard$"))
    expect(page.locator("#report-recipients")).not_to_contain_text("500 recipients")
    expect(page.locator("table.report-recipients tbody tr").first).to_contain_text("5.1.1")
    page.get_by_label("State").select_option("")
    expect(page.locator("#report-recipients")).to_contain_text("500 recipients")
    page.get_by_label("Search").fill("yilmaz")
    expect(page).to_have_url(re.compile(r"\?q=yilmaz$"))
    expect(page.locator("#report-recipients")).not_to_contain_text("500 recipients")
    for address in page.locator("td.address").all_inner_texts():
        assert "yilmaz" in address
    page.get_by_label("Search").fill("")
    expect(page.locator("#report-recipients")).to_contain_text("500 recipients")
    page.get_by_role("link", name="Next ›").click()
    expect(page.locator("#report-recipients")).to_contain_text("page 2 of 10")
    page.screenshot(path=str(ARTIFACTS / "report-500-recipients-full.png"), full_page=True)


def test_the_summary_refreshes_while_sending_and_stops(app, page):
    with app.app_context():
        user, password = factories.user()
        owner = factories.new_client("Alpha AG")
        factories.grant(user, owner, "full")
        mailing = _seed(owner, state="sending", count=60)
    page.goto("/login")
    sign_in(page, user.email, password)
    page.goto(f"/mailings/{mailing.id}/report")
    summary = page.locator("#report-summary")
    assert summary.get_attribute("hx-trigger") == "every 2s"
    expect(page.locator("#report-summary .report-state")).to_contain_text("recipients done")
    with app.app_context():
        MailingRecipient.update(state="sent", sent_at=START + datetime.timedelta(minutes=25)).where(
            (MailingRecipient.mailing == mailing.id) & (MailingRecipient.state == "queued")
        ).execute()
        Mailing.update(state="sent", finished_at=START + datetime.timedelta(minutes=26)).where(
            Mailing.id == mailing.id
        ).execute()
    state = page.locator("#report-summary .report-state .state")
    expect(state).to_have_text("sent", timeout=10_000)
    assert page.locator("#report-summary").get_attribute("hx-trigger") is None
    expect(page.locator("#report-summary .report-state")).not_to_contain_text("recipients done")
