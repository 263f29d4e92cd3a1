"""The "correct undeliverable addresses" screen and the administrators' review of kept
bounce messages, through HTTP as a user would use them; rights hold (SPEC A3, M7, M9)."""

import pytest

from app.audit.models import AuditEntry
from app.bounces.models import AddressBounce, BounceMessage
from app.bounces.services import intake
from app.contacts.models import PersonEmail
from app.contacts.services import create_person, primary_email
from app.lists import recipients
from app.mailings.models import MailingRecipient
from app.users.models import User
from tests.bounces.conftest import deliver, dsn, sample, sent_mailing
from tests.conftest import csrf_token

ANNA = "anna.mueller@sz.example"
HX = {"HX-Request": "true"}


@pytest.fixture
def bounced(app, world):
    """Hard bounces: Anna (Alpha, full access), Bea (Beta, read only), Gerda (Gamma,
    hidden), and a soft bounce of Karl that stays soft."""
    with app.app_context():
        PersonEmail.create(person=world["bea"], address="bea@beta.example", is_primary=True)
        PersonEmail.create(person=world["geheim"], address="gerda@geheim.example", is_primary=True)
        PersonEmail.create(person=world["karl"], address="karl@bund.example", is_primary=True)
        rows = {}
        for key, client, address, subject in (
            ("anna", "alpha", ANNA, "Werk in Kiel"),
            ("bea", "beta", "bea@beta.example", "Beta-Bilanz"),
            ("geheim", "gamma", "gerda@geheim.example", "Geheime Übernahme"),
        ):
            row = deliver(sent_mailing(world[client], subject), world[key], address)
            intake(dsn(row.token, address, text="Recipient address rejected: User unknown"))
            rows[key] = row.id
        karl = deliver(
            sent_mailing(world["alpha"], "Nur weich"), world["karl"], "karl@bund.example"
        )
        intake(dsn(karl.token, "karl@bund.example", "4.2.2", "Mailbox full"))
        rows["karl"] = karl.id
    return rows


def test_the_screen_lists_hard_bounces_of_visible_clients_only(client, bounced, world):
    page = client.get("/mailings/bounces/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Anna Müller" in html and "Werk in Kiel" in html and "5.1.1" in html
    assert f"/contacts/{world['anna']}" in html
    assert "Bea Brandt" in html and "Beta-Bilanz" in html
    # read only: no correction form for Bea; hidden: Gerda appears nowhere; soft: not listed
    assert f"/mailings/bounces/{bounced['anna']}/correct" in html
    assert f"/mailings/bounces/{bounced['bea']}/correct" not in html
    for hidden in ("Geheimnis", "gerda@geheim.example", "Geheime Übernahme", "Nur weich"):
        assert hidden not in html
    assert "2 addresses" in html
    # linked from the mailings screen
    assert "/mailings/bounces/" in client.get("/mailings/").get_data(as_text=True)


def _correct(client, recipient_id, email):
    token = csrf_token(client, "/mailings/bounces/")
    return client.post(
        f"/mailings/bounces/{recipient_id}/correct",
        data={"email": email, "csrf_token": token},
        headers=HX,
    )


def test_correcting_the_address_in_the_row(app, client, bounced, world):
    response = _correct(client, bounced["anna"], "  Anna.Mueller@SZ-Neu.example ")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith(f'<tr id="bounce-{bounced["anna"]}"')
    assert "Corrected to anna.mueller@sz-neu.example." in html
    with app.app_context():
        from app.contacts.models import Person

        anna = Person.get_by_id(world["anna"])
        assert primary_email(anna) == "anna.mueller@sz-neu.example"
        entry = (
            AuditEntry.select()
            .where(AuditEntry.action == "person.update")
            .order_by(AuditEntry.seq.desc())
            .first()
        )
        assert entry.target_id == world["anna"] and "sz-neu.example" in entry.changes
        # the next mailing reaches the corrected address; the bounced one stays excluded
        result = recipients.resolve(world["user"], person_ids=[world["anna"]])
        assert [r.address for r in result.recipients] == ["anna.mueller@sz-neu.example"]
        assert AddressBounce.get(AddressBounce.address == ANNA).hard_at is not None
    # corrected: off the list
    assert "Anna Müller" not in client.get("/mailings/bounces/").get_data(as_text=True)


def test_the_same_address_again_counts_as_deliverable(app, client, bounced, world):
    response = _correct(client, bounced["anna"], ANNA)
    assert response.status_code == 200
    assert f"{ANNA} counts as deliverable again." in response.get_data(as_text=True)
    with app.app_context():
        assert AddressBounce.get(AddressBounce.address == ANNA).hard_at is None
        result = recipients.resolve(world["user"], person_ids=[world["anna"]])
        assert [r.address for r in result.recipients] == [ANNA]
        actions = [e.action for e in AuditEntry.select().order_by(AuditEntry.seq)]
        assert actions[-1] == "person.bounce_cleared"


@pytest.mark.parametrize("value", ["", "not-an-address", "a@b@c.example", "x" * 300 + "@x.de"])
def test_a_wrong_address_answers_422_in_the_row(app, client, bounced, world, value):
    response = _correct(client, bounced["anna"], value)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in html and "field-errors" in html
    with app.app_context():
        from app.contacts.models import Person

        assert primary_email(Person.get_by_id(world["anna"])) == ANNA


def test_rights_read_only_hidden_and_unknown(client, bounced):
    assert _correct(client, bounced["bea"], "bea@neu.example").status_code == 403
    assert _correct(client, bounced["geheim"], "g@neu.example").status_code == 404
    assert _correct(client, 999999, "g@neu.example").status_code == 404
    # a recipient row that did not bounce is not correctable here
    assert _correct(client, bounced["karl"] + 1000, "k@neu.example").status_code == 404


def test_resend_needs_the_dispatch_right(client, bounced):
    token = csrf_token(client, "/mailings/bounces/")
    response = client.post(
        f"/mailings/bounces/{bounced['anna']}/resend", data={"csrf_token": token}, headers=HX
    )
    assert response.status_code == 403


def test_the_resend_button_follows_a_correction_for_senders_only(app, client, bounced, world):
    html = _correct(client, bounced["anna"], "anna@neu.example").get_data(as_text=True)
    assert "/resend" not in html  # this user may not send
    with app.app_context():
        User.update(may_send=True).where(User.id == world["user"].id).execute()
    html = _correct(client, bounced["anna"], "anna@neuer.example").get_data(as_text=True)
    assert f"/mailings/bounces/{bounced['anna']}/resend" in html


def test_send_bounce_correct_and_resend_through_the_real_relay(app, client, world, outbox):
    """The whole M7 loop: a mailing goes out through the SMTP sink, one recipient's server
    bounces it (a DSN to the VERP return path, through the pipe's intake), the address is
    corrected on the screen and the mailing sent again to it in one click."""
    import re

    from tests.mailings.conftest import make_ready

    mailing_id, _, people = make_ready(app, world, count=2)
    page = client.get(f"/mailings/{mailing_id}/check").get_data(as_text=True)
    count = re.search(r'name="recipients" value="(\d+)"', page).group(1)
    token = csrf_token(client, "/mailings/")
    sent = client.post(
        f"/mailings/{mailing_id}/send",
        data={"recipients": count, "when": "now", "csrf_token": token},
    )
    assert sent.status_code == 302
    assert len(outbox) == 2
    bounced = outbox[0]
    address = bounced["To"].addresses[0].addr_spec
    with app.app_context():
        row = MailingRecipient.get(
            (MailingRecipient.mailing == mailing_id) & (MailingRecipient.address == address)
        )
        assert row.state == "sent"
        result = intake(dsn(row.token, address), f"bounces+{row.token}@alpha-ag.example")
        assert result.outcome == "hard" and result.recipient_id == row.id
    outbox.clear()
    html = client.get("/mailings/bounces/").get_data(as_text=True)
    assert address in html and "Neue Energiestrategie" in html
    corrected = _correct(client, row.id, "korrigiert@redaktion.example").get_data(as_text=True)
    assert f"/mailings/bounces/{row.id}/resend" in corrected
    token = csrf_token(client, "/mailings/bounces/")
    response = client.post(
        f"/mailings/bounces/{row.id}/resend", data={"csrf_token": token}, headers=HX
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "Sent again to korrigiert@redaktion.example." in response.get_data(as_text=True)
    assert [m["To"].addresses[0].addr_spec for m in outbox] == ["korrigiert@redaktion.example"]
    with app.app_context():
        again = MailingRecipient.get(MailingRecipient.address == "korrigiert@redaktion.example")
        assert (again.mailing_id, again.state) == (mailing_id, "sent")
    # a second click is refused in the row (422), and nothing more is sent
    response = client.post(
        f"/mailings/bounces/{row.id}/resend", data={"csrf_token": token}, headers=HX
    )
    assert response.status_code == 422
    assert "already receives this mailing" in response.get_data(as_text=True)
    assert len(outbox) == 1


# --- administrators' review -----------------------------------------------------------


def test_administrators_review_download_and_delete_kept_messages(app, client, login_as):
    junk = sample("junk.bin")
    with app.app_context():
        kept = intake(junk).message_id
        unmatched = intake(dsn("NoSuchToken99", "x@y.example")).message_id
        applied_or_ignored = intake(sample("ooo_en.eml")).message_id
    login_as("administrator")
    page = client.get("/admin/bounces/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "2 messages" in html
    assert "unknown VERP token NoSuchToken99" in html and "no message headers" in html
    assert "/admin/bounces/" in client.get("/admin/").get_data(as_text=True)
    download = client.get(f"/admin/bounces/{kept}/message.eml")
    assert download.status_code == 200 and download.data == junk
    assert download.headers["Content-Type"] == "application/octet-stream"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    # only kept messages can be downloaded
    assert client.get(f"/admin/bounces/{applied_or_ignored}/message.eml").status_code == 404
    token = csrf_token(client, "/admin/bounces/")
    response = client.post(f"/admin/bounces/{unmatched}/delete", data={"csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        assert BounceMessage.get_or_none(BounceMessage.id == unmatched) is None
        actions = [e.action for e in AuditEntry.select().order_by(AuditEntry.seq)]
        assert actions[-2:] == ["bounce_message.download", "bounce_message.delete"]
    assert (
        client.post(f"/admin/bounces/{unmatched}/delete", data={"csrf_token": token}).status_code
        == 404
    )


def test_the_review_is_for_administrators_only(app, client, login_as):
    with app.app_context():
        kept = intake(sample("junk.bin")).message_id
    login_as("user")
    assert client.get("/admin/bounces/").status_code == 403
    assert client.get(f"/admin/bounces/{kept}/message.eml").status_code == 403
    token = csrf_token(client, "/mailings/bounces/")
    assert (
        client.post(f"/admin/bounces/{kept}/delete", data={"csrf_token": token}).status_code == 403
    )


def test_the_setting_is_on_the_settings_screen(client, login_as):
    login_as("administrator")
    html = client.get("/admin/settings/").get_data(as_text=True)
    assert 'name="blacklist_hard_bounces"' in html


def test_a_person_created_later_with_a_hard_bounced_address_is_excluded(app, bounced, world):
    with app.app_context():
        other = create_person(world["user"], world["alpha"], last_name="Neu", emails=[ANNA])
        result = recipients.resolve(world["user"], person_ids=[other.id])
        assert result.removed == {"bounced": [other.id]}
