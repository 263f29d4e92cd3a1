"""Pre-send check and dispatch (SPEC B3, M4, M5, M8, M10) through real requests and a real
relay (aiosmtpd) whose answers each test sets: one message per recipient, DKIM-signed,
VERP return path, List-Unsubscribe one-click; deferrals with back-off, refusals, a relay
that is down, scheduling, cancelling, rate limits, resending, unsubscribing, rights."""

import re
from datetime import timedelta

import dkim

from app.audit.models import AuditEntry
from app.blacklist.models import BlacklistEntry
from app.clock import utcnow
from app.mailings import dispatch
from app.mailings.models import Mailing, MailingRecipient
from app.senders.models import DkimKey
from app.settings.services import set_value
from app.users.models import User
from tests.conftest import csrf_token
from tests.mailings.conftest import make_ready


def _post(client, path, data=None, **kwargs):
    token = csrf_token(client, "/mailings/")
    return client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


def _send(client, mailing_id, **data):
    page = client.get(f"/mailings/{mailing_id}/check").get_data(as_text=True)
    count = re.search(r'name="recipients" value="(\d+)"', page)
    assert count, page
    return _post(
        client,
        f"/mailings/{mailing_id}/send",
        {"recipients": count.group(1), "when": "now", **data},
    )


def _states(app, mailing_id):
    with app.app_context():
        rows = MailingRecipient.select().where(MailingRecipient.mailing == mailing_id)
        return {r.address: r.state for r in rows}


def _verify(app, message):
    with app.app_context():
        key = DkimKey.select().get()
    record = f"v=DKIM1; k=rsa; p={key.public_key}".encode()
    return dkim.verify(message.raw, dnsfunc=lambda name, timeout=5: record)


def test_check_then_send_each_recipient_once_signed_with_verp_and_unsubscribe(
    app, client, world, relay
):
    mailing_id, _, people = make_ready(app, world, count=4)
    page = client.get(f"/mailings/{mailing_id}/check").get_data(as_text=True)
    assert "Check before sending" in page and "Send to 4 recipients" in page
    assert "One message" in page and "Sent this month" in page
    response = _send(client, mailing_id)
    assert response.status_code == 302
    assert len(relay.messages) == 4
    with app.app_context():
        rows = {
            r.token: r
            for r in MailingRecipient.select().where(MailingRecipient.mailing == mailing_id)
        }
        mailing = Mailing.get_by_id(mailing_id)
        assert mailing.state == "sent" and mailing.finished_at and mailing.recipients_total == 4
        audit = [e.action for e in AuditEntry.select().order_by(AuditEntry.seq)]
    assert "mailing.send" in audit
    assert {r.state for r in rows.values()} == {"sent"}
    message_ids = set()
    for message in relay.messages:
        token = re.fullmatch(r"bounces\+([0-9a-f]+)@alpha-ag\.example", message.envelope_from)
        assert token, message.envelope_from
        row = rows[token.group(1)]
        assert message.envelope_to == [row.address]
        assert message["Message-ID"] == row.message_id and row.message_id not in message_ids
        message_ids.add(row.message_id)
        assert row.size == len(message.raw) and row.smtp_code == 250
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        link = message["List-Unsubscribe"].strip("<>")
        assert link.startswith("http://localhost:5000/u/" + row.token + "/")
        assert link in message.get_body(("plain",)).get_content()
        assert _verify(app, message)
        text = message.get_body(("plain",)).get_content()
        assert text.startswith(("Sehr geehrte Frau", "Sehr geehrter Herr"))
    # the composer shows the finished dispatch; the start screen the month's volume
    compose = client.get(f"/mailings/{mailing_id}").get_data(as_text=True)
    assert "Sending finished" in compose and "sent" in compose
    home = client.get("/").get_data(as_text=True)
    assert "Mailing volume" in home and re.search(r"4\s+recipients", home)


def test_send_twice_and_stale_counts_are_refused(app, client, world, relay):
    mailing_id, list_id, _ = make_ready(app, world, count=2)
    # the user saw 2 recipients, but the list has grown since
    response = _post(client, f"/mailings/{mailing_id}/send", {"recipients": "1", "when": "now"})
    assert response.status_code == 303
    page = client.get(f"/mailings/{mailing_id}/check").get_data(as_text=True)
    assert "The recipients have changed since the check" in page
    assert not relay.messages
    assert _send(client, mailing_id).status_code == 302
    again = _post(client, f"/mailings/{mailing_id}/send", {"recipients": "2", "when": "now"})
    assert again.status_code == 303 and len(relay.messages) == 2


def test_problems_stop_the_dispatch(app, client, world, relay):
    mailing_id, _, _ = make_ready(app, world, count=3)
    with app.app_context():
        Mailing.update(subject="", sender=None).where(Mailing.id == mailing_id).execute()
        set_value("starting_phase", True)
    page = client.get(f"/mailings/{mailing_id}/check").get_data(as_text=True)
    assert "The subject is empty." in page and "Please choose the sender first." in page
    assert 'name="recipients"' not in page  # no send button
    response = _post(client, f"/mailings/{mailing_id}/send", {"when": "now"})
    assert response.status_code == 303 and not relay.messages
    with app.app_context():
        assert Mailing.get_by_id(mailing_id).state == "draft"


def test_starting_phase_allows_at_most_100_recipients(app, client, world, relay):
    from app.mailings import presend

    mailing_id, _, _ = make_ready(app, world, count=2)
    with app.app_context():
        set_value("starting_phase", True)
        presend.STARTING_PHASE_LIMIT, limit = 1, presend.STARTING_PHASE_LIMIT
    try:
        page = client.get(f"/mailings/{mailing_id}/check").get_data(as_text=True)
        assert "In the starting phase a mailing may have at most 1 recipients." in page
    finally:
        presend.STARTING_PHASE_LIMIT = limit
    page = client.get(f"/mailings/{mailing_id}/check").get_data(as_text=True)
    assert "at most 100 recipients per mailing" in page and "Send to 2 recipients" in page


def test_without_the_dispatch_right_nothing_is_sent(app, client, world, relay):
    mailing_id, _, _ = make_ready(app, world, count=2)
    with app.app_context():
        User.update(may_send=False).where(User.id == world["user"].id).execute()
    page = client.get(f"/mailings/{mailing_id}/check").get_data(as_text=True)
    assert "You do not have the right to send mailings." in page
    response = _post(client, f"/mailings/{mailing_id}/send", {"recipients": "2", "when": "now"})
    assert response.status_code == 403 and not relay.messages


def test_temporary_failures_retry_with_back_off_until_delivered(app, client, world, relay, clock):
    mailing_id, _, _ = make_ready(app, world, count=3)
    with app.app_context():
        first = MailingRecipient.select().where(MailingRecipient.mailing == mailing_id).first()
    slow = "journalist1.{}@redaktion.example"
    addresses = sorted(_addresses(app, world, mailing_id))
    relay.rcpt[addresses[1]] = "451 4.7.1 greylisted, try again later"
    assert first is None  # no recipient rows before the confirmation
    _send(client, mailing_id)
    states = _states(app, mailing_id)
    assert states[addresses[1]] == "deferred" and list(states.values()).count("sent") == 2
    with app.app_context():
        row = MailingRecipient.get(MailingRecipient.address == addresses[1])
        assert row.attempts == 1 and row.smtp_code == 451 and "greylisted" in row.smtp_response
        waited = (row.next_attempt_at - row.updated_at).total_seconds()
        assert 55 <= waited <= 65  # DISPATCH_RETRY_BASE
        assert Mailing.get_by_id(mailing_id).state == "sending"
        # not yet due: the pump finds nothing to send
        dispatch.pump(stalled=timedelta(0))
        assert MailingRecipient.get_by_id(row.id).attempts == 1
        clock.advance(seconds=61)
        dispatch.pump(stalled=timedelta(0))
        row = MailingRecipient.get_by_id(row.id)
        assert row.state == "deferred" and row.attempts == 2
        assert 115 <= (row.next_attempt_at - row.updated_at).total_seconds() <= 125  # doubled
        del relay.rcpt[addresses[1]]
        clock.advance(seconds=121)
        dispatch.pump(stalled=timedelta(0))
        assert MailingRecipient.get_by_id(row.id).state == "sent"
        assert Mailing.get_by_id(mailing_id).state == "sent"
    assert len(relay.messages) == 3 and slow  # each address got exactly one message
    assert sorted(m.envelope_to[0] for m in relay.messages) == addresses


def _addresses(app, world, mailing_id):
    from app.mailings.services import recipients_of

    with app.app_context():
        user = User.get_by_id(world["user"].id)
        mailing = Mailing.get_by_id(mailing_id)
        return [r.address for r in recipients_of(user, mailing).recipients]


def test_permanent_refusal_and_too_many_attempts_fail(app, client, world, relay, clock):
    mailing_id, _, _ = make_ready(app, world, count=3)
    addresses = sorted(_addresses(app, world, mailing_id))
    relay.rcpt[addresses[0]] = "550 5.1.1 no such user"
    relay.data[addresses[1]] = "452 4.2.2 mailbox full"
    app.config["DISPATCH_MAX_ATTEMPTS"] = 2
    _send(client, mailing_id)
    states = _states(app, mailing_id)
    assert states == {addresses[0]: "failed", addresses[1]: "deferred", addresses[2]: "sent"}
    with app.app_context():
        refused = MailingRecipient.get(MailingRecipient.address == addresses[0])
        assert refused.smtp_code == 550 and "no such user" in refused.smtp_response
        clock.advance(minutes=2)
        dispatch.pump(stalled=timedelta(0))
        full = MailingRecipient.get(MailingRecipient.address == addresses[1])
        assert full.state == "failed" and full.attempts == 2 and full.smtp_code == 452
        assert Mailing.get_by_id(mailing_id).state == "sent"
    assert [m.envelope_to for m in relay.messages] == [[addresses[2]]]


def test_a_relay_that_is_down_defers_everyone_and_nothing_is_lost(app, client, world, relay, clock):
    import socket

    mailing_id, _, _ = make_ready(app, world, count=3)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{closed}"
    _send(client, mailing_id)
    assert set(_states(app, mailing_id).values()) == {"deferred"}
    with app.app_context():
        row = MailingRecipient.select().where(MailingRecipient.mailing == mailing_id).first()
        assert row.smtp_code is None and row.smtp_response  # the connection error
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{relay.port}"
    with app.app_context():
        clock.advance(seconds=61)
        dispatch.pump(stalled=timedelta(0))
    assert set(_states(app, mailing_id).values()) == {"sent"} and len(relay.messages) == 3


def test_without_pipelining_the_same_messages_go_out(app, client, world, relay):
    relay.pipelining = False
    mailing_id, _, _ = make_ready(app, world, count=3)
    addresses = sorted(_addresses(app, world, mailing_id))
    relay.rcpt[addresses[0]] = "550 5.1.1 no such user"
    _send(client, mailing_id)
    states = _states(app, mailing_id)
    assert states[addresses[0]] == "failed" and states[addresses[1]] == "sent"
    assert sorted(m.envelope_to[0] for m in relay.messages) == addresses[1:]


def test_scheduled_mailing_waits_and_can_be_cancelled(app, client, world, relay, clock):
    mailing_id, _, _ = make_ready(app, world, count=2)
    later = mailing_id_later = make_ready(app, world, count=2, subject="Später")[0]
    with app.app_context():
        when = (utcnow() + timedelta(hours=2)).replace(second=0, microsecond=0)
    local = when.replace(tzinfo=__import__("datetime").UTC).astimezone(
        __import__("zoneinfo").ZoneInfo("Europe/Berlin")
    )
    field = local.strftime("%Y-%m-%dT%H:%M")
    _send(client, mailing_id, when="later", send_at=field)
    _send(client, later, when="later", send_at=field)
    with app.app_context():
        mailing = Mailing.get_by_id(mailing_id)
        assert mailing.state == "scheduled" and mailing.send_at == when
    assert not relay.messages and set(_states(app, mailing_id).values()) == {"queued"}
    page = client.get(f"/mailings/{mailing_id}").get_data(as_text=True)
    assert "Scheduled for" in page and "Cancel the mailing" in page
    response = _post(client, f"/mailings/{mailing_id_later}/cancel")
    assert response.status_code == 302
    assert set(_states(app, mailing_id_later).values()) == {"cancelled"}
    with app.app_context():
        dispatch.pump(stalled=timedelta(0))  # before the time: nothing
        assert not relay.messages
        clock.advance(hours=2, minutes=1)
        dispatch.pump(stalled=timedelta(0))
        assert Mailing.get_by_id(mailing_id).state == "sent"
        assert Mailing.get_by_id(mailing_id_later).state == "cancelled"
        # a finished mailing cannot be cancelled (the session has timed out meanwhile)
        try:
            dispatch.cancel(User.get_by_id(world["user"].id), mailing_id)
        except dispatch.MailingError as exc:
            assert "Only a scheduled or running mailing can be cancelled." in str(exc)
        else:
            raise AssertionError("a finished mailing must not be cancelled")
    assert len(relay.messages) == 2


def test_a_malformed_send_time_is_refused(app, client, world, relay):
    mailing_id, _, _ = make_ready(app, world, count=1)
    response = _send(client, mailing_id, when="later", send_at="morgen früh")
    assert response.status_code == 303
    page = client.get(f"/mailings/{mailing_id}/check").get_data(as_text=True)
    assert "Please give the date and time of sending." in page and not relay.messages


def test_hourly_rate_limit_holds_the_rest_back(app, client, world, relay, clock):
    mailing_id, _, _ = make_ready(app, world, count=3)
    with app.app_context():
        set_value("relay_per_hour", 2)
    _send(client, mailing_id)
    states = list(_states(app, mailing_id).values())
    assert states.count("sent") == 2 and states.count("queued") == 1
    with app.app_context():
        mailing = Mailing.get_by_id(mailing_id)
        assert mailing.state == "sending" and mailing.heartbeat_at > utcnow() + timedelta(
            minutes=59
        )
        clock.advance(minutes=61)
        dispatch.pump(stalled=timedelta(0))
        assert Mailing.get_by_id(mailing_id).state == "sent"
    assert len(relay.messages) == 3


def test_per_second_rate_paces_the_messages(app, client, world, relay):
    import time

    mailing_id, _, _ = make_ready(app, world, count=4)
    with app.app_context():
        set_value("relay_per_second", 10)
    began = time.monotonic()
    _send(client, mailing_id)
    assert time.monotonic() - began >= 0.3  # four messages at most ten a second
    assert len(relay.messages) == 4


def test_unsubscribe_one_click_and_by_page(app, client, world, relay):
    mailing_id, _, _ = make_ready(app, world, count=2)
    _send(client, mailing_id)
    links = [m["List-Unsubscribe"].strip("<>") for m in relay.messages]
    paths = [link.removeprefix("http://localhost:5000") for link in links]
    anonymous = app.test_client()
    anonymous.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = anonymous.get(paths[0])
    assert page.status_code == 200 and b"will receive no more press releases" in page.data
    # a mail program's one-click POST: no session, no CSRF token (RFC 8058)
    done = anonymous.post(paths[0], data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    forged = anonymous.post(paths[1][:-4] + "0000", data={"List-Unsubscribe": "One-Click"})
    assert forged.status_code == 404 and b"not valid" in forged.data
    unknown = anonymous.get("/u/" + "ab" * 10 + "/" + "0" * 32)
    assert unknown.status_code == 404
    with app.app_context():
        rows = list(
            MailingRecipient.select()
            .where(MailingRecipient.mailing == mailing_id)
            .order_by(MailingRecipient.id)
        )
        by_link = {r.token: r for r in rows}
        gone = by_link[paths[0].split("/")[2]]
        assert gone.state == "unsubscribed" and gone.unsubscribed_at
        assert BlacklistEntry.get(BlacklistEntry.value == gone.address).reason == "unsubscribe"
        assert BlacklistEntry.select().count() == 1  # the forged link changed nothing
        actions = [e.action for e in AuditEntry.select().order_by(AuditEntry.seq)]
        assert "mailing.unsubscribe" in actions
    # twice is harmless
    assert anonymous.post(paths[0]).status_code == 200
    # the next mailing to the same list leaves the address out
    from app.mailings.models import MailingSource

    with app.app_context():
        source = MailingSource.get(MailingSource.mailing == mailing_id)
        second = Mailing.create(
            client=world["alpha"],
            subject="Zweite",
            html="<p>Hallo</p>",
            text="Hallo",
            sender=Mailing.get_by_id(mailing_id).sender_id,
        )
        MailingSource.create(mailing=second, distribution_list=source.distribution_list_id)
    page = client.get(f"/mailings/{second.id}/check").get_data(as_text=True)
    assert "Send to 1 recipient" in page and "on the blacklist" in page


def test_resend_to_a_corrected_address(app, client, world, relay):
    from app.contacts.models import PersonEmail

    mailing_id, _, people = make_ready(app, world, count=2)
    addresses = sorted(_addresses(app, world, mailing_id))
    relay.rcpt[addresses[0]] = "550 5.1.1 no such user"
    _send(client, mailing_id)
    with app.app_context():
        user = User.get_by_id(world["user"].id)
        row = MailingRecipient.get(MailingRecipient.address == addresses[0])
        PersonEmail.update(address="korrigiert@redaktion.example").where(
            (PersonEmail.person == row.person_id) & (PersonEmail.is_primary == True)  # noqa: E712
        ).execute()
        again = dispatch.resend(user, mailing_id, row.person_id)
        assert again.address == "korrigiert@redaktion.example"
        assert MailingRecipient.get_by_id(again.id).state == "sent"
        assert Mailing.get_by_id(mailing_id).state == "sent"
        try:
            dispatch.resend(user, mailing_id, row.person_id)
        except dispatch.MailingError as exc:
            assert "already receives this mailing" in str(exc)
        else:
            raise AssertionError("a second resend to the same address must be refused")
    assert [m.envelope_to[0] for m in relay.messages][-1] == "korrigiert@redaktion.example"


def test_hidden_clients_mailings_stay_hidden(app, client, world, relay):
    with app.app_context():
        hidden = Mailing.create(client=world["gamma"], subject="Geheim")
    for path in ("check", "check/dns"):
        assert client.get(f"/mailings/{hidden.id}/{path}").status_code == 404
    assert _post(client, f"/mailings/{hidden.id}/cancel").status_code in (403, 404)


def test_a_relay_closing_with_421_defers_and_the_next_attempt_delivers(
    app, client, world, relay, clock
):
    mailing_id, _, _ = make_ready(app, world, count=3)
    addresses = sorted(_addresses(app, world, mailing_id))
    for address in addresses:
        relay.rcpt[address] = "421 4.3.2 service shutting down"
    _send(client, mailing_id)
    assert set(_states(app, mailing_id).values()) == {"deferred"} and not relay.messages
    with app.app_context():
        row = MailingRecipient.get(MailingRecipient.address == addresses[0])
        assert row.smtp_code == 421 and "shutting down" in row.smtp_response
    relay.rcpt.clear()
    with app.app_context():
        clock.advance(seconds=61)
        dispatch.pump(stalled=timedelta(0))
    assert set(_states(app, mailing_id).values()) == {"sent"} and len(relay.messages) == 3


def test_erasure_blanks_the_address_in_sent_mailings(app, client, world, relay):
    from app.contacts.erasure import erase_person

    mailing_id, _, people = make_ready(app, world, count=2)
    _send(client, mailing_id)
    with app.app_context():
        erase_person(User.get_by_id(world["user"].id), people[0])
        rows = {
            r.person_id: r
            for r in MailingRecipient.select().where(MailingRecipient.mailing == mailing_id)
        }
        assert rows[people[0]].address == "" and rows[people[0]].state == "sent"
        assert rows[people[1]].address.startswith("journalist1.")
        assert Mailing.get_by_id(mailing_id).recipients_total == 2  # still counted


def test_messages_have_crlf_line_ends_only(app, client, world, relay):
    """SMTP wants CRLF; Postfix refuses bare LF (smtpd_forbid_bare_newline): also in the
    soft line breaks of a long HTML line without any line break of its own."""
    mailing_id, _, _ = make_ready(app, world, count=1)
    with app.app_context():
        Mailing.update(html="<p>" + "Energie für alle " * 40 + "</p>").where(
            Mailing.id == mailing_id
        ).execute()
    _send(client, mailing_id)
    (message,) = relay.messages
    assert b"\n" not in message.raw.replace(b"\r\n", b"")
    assert b"\r" not in message.raw.replace(b"\r\n", b"")
    assert _verify(app, message)
