"""Bounce intake (SPEC M3, M7, M8): a bounce sets its recipient row and its address's
state; three soft bounces in a row count as hard; hard-bounced addresses leave every
mailing's recipients; what cannot be used is kept for review; nothing happens twice."""

import pytest

from app.audit.models import AuditEntry
from app.blacklist.models import BlacklistEntry
from app.bounces import services
from app.bounces.models import AddressBounce, BounceMessage
from app.bounces.services import SOFT_LIMIT, intake
from app.contacts.erasure import erase_person
from app.lists import recipients
from app.mailings.models import MailingRecipient
from app.settings.services import set_value
from tests.bounces.conftest import deliver, dsn, sample, sent_mailing

ANNA = "anna.mueller@sz.example"


def _reload(row):
    return MailingRecipient.get_by_id(row.id)


def test_a_hard_bounce_marks_the_recipient_and_the_address(app, world, mailing):
    with app.app_context():
        row = deliver(mailing, world["anna"], ANNA, token="k3Jd9xQ2mTz7Lw4p")
        result = intake(sample("dsn_hard_511.eml"), None)
        assert (result.outcome, result.recipient_id, result.became_hard) == ("hard", row.id, True)
        row = _reload(row)
        assert (row.state, row.bounce_kind, row.bounce_code) == ("bounced_hard", "hard", "5.1.1")
        assert "User unknown" in row.bounce_reason and row.bounced_at is not None
        state = AddressBounce.get(AddressBounce.address == ANNA)
        assert state.hard_at is not None and state.last_recipient_id == row.id
        message = BounceMessage.get_by_id(result.message_id)
        assert message.outcome == "hard" and message.raw is None  # nothing kept to review
        # the person's history says why no mailing reaches them any more
        entry = AuditEntry.select().where(AuditEntry.action == "person.hard_bounce").get()
        assert (entry.target_type, entry.target_id) == ("person", world["anna"])
        assert entry.client_id == world["alpha"].id
        # no blacklist entry unless the organisation wants it
        assert not BlacklistEntry.select().exists()


def test_the_same_message_twice_changes_nothing_the_second_time(app, world, mailing):
    with app.app_context():
        deliver(mailing, world["anna"], ANNA, token="k3Jd9xQ2mTz7Lw4p")
        first = intake(sample("dsn_hard_511.eml"), None)
        audit = AuditEntry.select().count()
        again = intake(sample("dsn_hard_511.eml"), "bounces+k3Jd9xQ2mTz7Lw4p@agentur.example")
        assert again.outcome == "duplicate" and again.message_id == first.message_id
        assert BounceMessage.select().count() == 1
        assert AuditEntry.select().count() == audit
        # without a Message-ID, the same bytes are the same message
        junk = sample("junk.bin")
        assert intake(junk).outcome == "unreadable"
        assert intake(junk).outcome == "duplicate"


def test_hard_bounced_addresses_leave_the_recipients(app, world, mailing):
    with app.app_context():
        row = deliver(mailing, world["anna"], ANNA)
        before = recipients.resolve(world["user"], person_ids=[world["anna"]])
        assert [r.address for r in before.recipients] == [ANNA]
        intake(dsn(row.token, ANNA))
        after = recipients.resolve(world["user"], person_ids=[world["anna"]])
        assert after.recipients == [] and after.removed == {"bounced": [world["anna"]]}
        assert "bounced" in recipients.REASONS


def test_three_soft_bounces_in_a_row_count_as_hard(app, world):
    with app.app_context():
        rows = []
        for n in range(SOFT_LIMIT):
            mailing = sent_mailing(world["alpha"], f"Mailing {n}")
            rows.append(deliver(mailing, world["anna"], ANNA, minutes_ago=100 - n))
        for n, row in enumerate(rows, start=1):
            result = intake(dsn(row.token, ANNA, "4.2.2", "Mailbox full"))
            assert result.outcome == "soft"
            state = AddressBounce.get(AddressBounce.address == ANNA)
            assert state.soft_streak == n
            assert result.became_hard == (n == SOFT_LIMIT)
            assert (state.hard_at is not None) == (n == SOFT_LIMIT)
            assert _reload(row).state == "bounced_soft"
        assert services.hard_bounced([ANNA, "other@x.example"]) == {ANNA}
        entry = AuditEntry.select().where(AuditEntry.action == "person.hard_bounce").get()
        assert '"soft_streak": 3' in entry.details


def test_a_delivered_message_between_soft_bounces_resets_the_count(app, world):
    day = 24 * 60
    with app.app_context():
        first, delivered, second, third = (
            deliver(sent_mailing(world["alpha"], f"M{n}"), world["anna"], ANNA, minutes_ago=m)
            for n, m in ((1, 4 * day), (2, 3 * day), (3, 2 * day), (4, 60))
        )
        for row in (first, second, third):
            intake(dsn(row.token, ANNA, "4.2.2", "Mailbox full"))
        state = AddressBounce.get(AddressBounce.address == ANNA)
        # `delivered` reached the mailbox unbounced: only the two after it are in a row
        assert state.soft_streak == 2 and state.hard_at is None
        assert services.hard_bounced([ANNA]) == set()
        # a message that never left (refused by the relay) neither counts nor resets
        MailingRecipient.update(state="failed").where(MailingRecipient.id == delivered.id).execute()
        fourth = deliver(sent_mailing(world["alpha"], "M5"), world["anna"], ANNA, minutes_ago=50)
        intake(dsn(fourth.token, ANNA, "4.2.2", "Mailbox full"))
        state = AddressBounce.get(AddressBounce.address == ANNA)
        assert state.soft_streak == 4 and state.hard_at is not None


def test_a_young_unbounced_message_neither_counts_nor_resets(app, world):
    """A message sent an hour ago may still bounce: the soft bounces of the older ones
    before it are in a row all the same."""
    with app.app_context():
        rows = [
            deliver(sent_mailing(world["alpha"], f"M{n}"), world["anna"], ANNA, minutes_ago=m)
            for n, m in ((1, 3000), (2, 2000), (3, 1000), (4, 30))
        ]
        for row in rows[:3]:
            intake(dsn(row.token, ANNA, "4.2.2", "Mailbox full"))
        state = AddressBounce.get(AddressBounce.address == ANNA)
        assert state.soft_streak == 3 and state.hard_at is not None


def test_a_soft_bounce_does_not_undo_a_hard_one(app, world, mailing):
    with app.app_context():
        row = deliver(mailing, world["anna"], ANNA)
        intake(dsn(row.token, ANNA))
        intake(dsn(row.token, ANNA, "4.2.2", "Mailbox full"))
        row = _reload(row)
        assert (row.state, row.bounce_kind, row.bounce_code) == ("bounced_hard", "hard", "5.1.1")
        assert AddressBounce.get(AddressBounce.address == ANNA).hard_at is not None


def test_an_unsubscribed_recipient_keeps_its_state(app, world, mailing):
    with app.app_context():
        row = deliver(mailing, world["anna"], ANNA, state="unsubscribed")
        intake(dsn(row.token, ANNA))
        row = _reload(row)
        assert (row.state, row.bounce_kind) == ("unsubscribed", "hard")


def test_matched_by_the_original_message_id_without_a_token(app, world, mailing):
    with app.app_context():
        row = deliver(mailing, world["anna"], ANNA)
        raw = (
            sample("dsn_hard_511.eml")
            .replace(b"k3Jd9xQ2mTz7Lw4p", b"x")
            .replace(b"<174107951812.3344.1111@nordlicht.example>", row.message_id.encode())
        )
        result = intake(raw)
        assert result.outcome == "hard" and result.recipient_id == row.id


def test_an_unknown_token_is_kept_for_review(app, world, mailing):
    with app.app_context():
        row = deliver(mailing, world["anna"], ANNA)
        raw = dsn("NoSuchToken123", ANNA)
        result = intake(raw, "bounces+NoSuchToken123@agentur.example")
        assert result.outcome == "unmatched"
        message = BounceMessage.get_by_id(result.message_id)
        assert message.reason == "unknown VERP token NoSuchToken123"
        assert message.token == "NoSuchToken123" and message.address == ANNA
        assert services.raw_message(message) == raw
        assert _reload(row).state == "sent"
        assert not AddressBounce.select().exists()


@pytest.mark.parametrize(
    ("name", "outcome"),
    [
        ("junk.bin", "unreadable"),
        ("malformed_multipart.eml", "unreadable"),
        ("human_reply.eml", "unreadable"),
        ("ooo_de.eml", "ignored"),
        ("ooo_en.eml", "ignored"),
        ("dsn_delayed.eml", "ignored"),
    ],
)
def test_what_is_no_bounce_changes_nothing(app, world, mailing, name, outcome):
    with app.app_context():
        raw = sample(name)
        for token in (b"OooGerman001", b"OooEnglish02", b"Delayed0token1", b"BrokenMime77"):
            raw = raw.replace(token, b"Tok99999zzzzzz")
        row = deliver(mailing, world["anna"], ANNA, token="Tok99999zzzzzz")
        result = intake(raw)
        assert result.outcome == outcome
        message = BounceMessage.get_by_id(result.message_id)
        # unreadable messages are kept for an administrator, automatic replies are not
        assert (message.raw is not None) == (outcome == "unreadable")
        assert _reload(row).state == "sent" and not AddressBounce.select().exists()


def test_empty_input_is_kept_not_crashed(app):
    with app.app_context():
        result = intake(b"", None)
        assert result.outcome == "unreadable"
        assert BounceMessage.get_by_id(result.message_id).reason == "empty message"


def test_a_failure_while_applying_keeps_the_message_and_changes_nothing(
    app, world, mailing, monkeypatch
):
    def broken(recipient, bounce, now):
        raise RuntimeError("bug")

    monkeypatch.setattr(services, "_recount", broken)
    with app.app_context():
        row = deliver(mailing, world["anna"], ANNA)
        raw = dsn(row.token, ANNA)
        result = intake(raw)
        assert result.outcome == "unreadable"
        message = BounceMessage.get_by_id(result.message_id)
        assert message.reason == "intake error: RuntimeError"
        assert services.raw_message(message) == raw
        assert _reload(row).state == "sent"  # the half-applied change was rolled back


def test_hard_bounces_go_on_the_blacklist_when_the_setting_says_so(app, world, mailing):
    with app.app_context():
        set_value("blacklist_hard_bounces", True)
        row = deliver(mailing, world["anna"], ANNA)
        intake(dsn(row.token, ANNA))
        entry = BlacklistEntry.get(BlacklistEntry.value == ANNA)
        assert (entry.reason, entry.note) == ("bounce", "5.1.1")
        # a soft bounce of another address puts nothing there
        other = deliver(mailing, world["karl"], "karl@bund.example")
        intake(dsn(other.token, "karl@bund.example", "4.2.2", "Mailbox full"))
        assert BlacklistEntry.select().count() == 1
        # confirming the address removes the bounce's entry with the hard state
        assert services.clear_address(ANNA) is True
        assert not BlacklistEntry.select().exists()
        assert services.hard_bounced([ANNA]) == set()
        assert services.clear_address(ANNA) is False


def test_erasure_forgets_the_bounce_state_of_the_persons_addresses(app, world, mailing):
    with app.app_context():
        row = deliver(mailing, world["anna"], ANNA)
        intake(dsn(row.token, ANNA))
        writer_user = world["user"]
        erase_person(writer_user, world["anna"])
        assert not AddressBounce.select().exists()
