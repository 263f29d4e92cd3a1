"""Reading bounce messages (SPEC M7): real-looking samples of each form, classified."""

from pathlib import Path

import pytest

from app.bounces.parse import classify, message_key, parse

DATA = Path(__file__).resolve().parent.parent / "data" / "bounces"

# file → (kind, token, failed address, enhanced status, SMTP code)
SAMPLES = {
    "dsn_hard_511.eml": ("hard", "k3Jd9xQ2mTz7Lw4p", "anna.mueller@sz.example", "5.1.1", 550),
    "dsn_soft_422.eml": ("soft", "Soft422tokenAbc", "redaktion@wochenblatt.example", "4.2.2", 452),
    "dsn_policy_571.eml": (
        "soft",
        "Policy571token",
        "chefredaktion@tageszeitung.example",
        "5.7.1",
        554,
    ),
    "dsn_delayed.eml": ("ignore", "Delayed0token1", "", "", None),
    "qmail.eml": ("hard", "QmailTok9876", "karl.strauss@bund.example", "5.1.1", None),
    "exchange.eml": ("hard", "ExchTok4455aa", "max.mustermann@contoso.example", "5.1.1", 550),
    "gmail_old.eml": ("hard", "GmailOld12345", "lisa.redaktion@gmail.example", "", None),
    "gmail_new.eml": ("hard", "GmailNew67890", "tom.bauer@gmail.example", "5.1.1", 550),
    "postfix_plain.eml": ("soft", "PfxPlain1234", "info@lokalblatt.example", "5.2.2", 552),
    "exim.eml": ("hard", "EximTok555xy", "nicht.mehr.da@verlag.example", "", 550),
    "ooo_de.eml": ("ignore", "OooGerman001", "", "", None),
    "ooo_en.eml": ("ignore", "OooEnglish02", "", "", None),
    "human_reply.eml": ("unknown", "HumanReply99", "", "", None),
    "malformed_multipart.eml": ("unknown", "BrokenMime77", "", "", None),
    "junk.bin": ("unknown", "", "", "", None),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_samples_are_read_and_classified(name):
    kind, token, address, status, smtp = SAMPLES[name]
    result = parse((DATA / name).read_bytes())
    assert (result.kind, result.token, result.recipient, result.status, result.smtp_code) == (
        kind,
        token,
        address,
        status,
        smtp,
    ), result
    if result.is_bounce:
        assert result.diagnostic


def test_every_sample_file_is_in_the_table():
    assert {p.name for p in DATA.iterdir()} == set(SAMPLES)


def test_forms_and_reasons():
    assert parse((DATA / "qmail.eml").read_bytes()).form == "qmail"
    assert parse((DATA / "exchange.eml").read_bytes()).form == "exchange"
    assert parse((DATA / "gmail_old.eml").read_bytes()).form == "gmail"
    assert parse((DATA / "postfix_plain.eml").read_bytes()).form == "postfix"
    assert parse((DATA / "exim.eml").read_bytes()).form == "exim"
    assert parse((DATA / "dsn_hard_511.eml").read_bytes()).form == "dsn"
    assert parse((DATA / "dsn_delayed.eml").read_bytes()).reason == "delayed"
    assert parse((DATA / "ooo_de.eml").read_bytes()).reason.startswith("auto-reply")
    assert parse((DATA / "human_reply.eml").read_bytes()).reason == "not a bounce message"
    assert parse((DATA / "junk.bin").read_bytes()).reason == "no message headers"


def test_the_envelope_recipient_wins_over_the_headers():
    raw = (DATA / "dsn_hard_511.eml").read_bytes()
    assert parse(raw, "bounces+FromTheMta77@agentur.example").token == "FromTheMta77"
    # an envelope recipient without a token: the headers still give it
    assert parse(raw, "postmaster@agentur.example").token == "k3Jd9xQ2mTz7Lw4p"


def test_the_token_comes_from_the_returned_headers_when_nothing_else_has_it():
    # dsn_soft_422 arrived at a collecting mailbox: only its text/rfc822-headers part has it
    result = parse((DATA / "dsn_soft_422.eml").read_bytes())
    assert result.token == "Soft422tokenAbc"
    assert result.original_message_id == "<soft-original-1@nordlicht.example>"


def test_the_original_message_id_is_found():
    result = parse((DATA / "dsn_hard_511.eml").read_bytes())
    assert result.original_message_id == "<174107951812.3344.1111@nordlicht.example>"
    assert result.message_id == "<20250304091201.4XyZ1w2Lq3z9v@mail.agentur.example>"
    # the bounce's own Message-ID is never taken for the original's
    assert parse((DATA / "gmail_old.eml").read_bytes()).original_message_id == ""


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"   \r\n\r\n",
        b"\x00\x01\x02\xff" * 500,
        b"From: x\r\nContent-Type: multipart/report; boundary=\r\n\r\n--\r\n--\r\n",
        b"Content-Type: message/delivery-status\r\n\r\nFinal-Recipient: ;;;\r\nAction:\r\n",
        b"Subject: =?utf-8?B?!!!?=\r\nFrom: <<<@@@>>>\r\nTo: bounces+Tok123456@x.example\r\n\r\n",
        "Subject: Unzustellbar\nFrom: postmaster@x.example\n\n\u00fc\u00e4".encode("latin-1"),
    ],
)
def test_bad_input_never_raises(raw):
    result = parse(raw)
    assert result.kind in ("hard", "soft", "ignore", "unknown")


def test_empty_input():
    result = parse(b"", "bounces+Envelope99@agentur.example")
    assert (result.kind, result.reason, result.token) == ("unknown", "empty message", "Envelope99")


@pytest.mark.parametrize(
    ("status", "smtp", "text", "expected"),
    [
        ("5.1.1", 550, "User unknown", "hard"),
        ("5.1.10", 550, "Recipient address has null MX", "hard"),
        ("5.2.1", 550, "Mailbox disabled", "hard"),
        ("5.2.2", 552, "Mailbox full", "soft"),
        ("5.4.4", 550, "Unable to route", "hard"),
        ("5.7.1", 554, "Blocked using zen.spamhaus.org", "soft"),
        ("5.7.1", 550, "Recipient address rejected: user unknown", "hard"),
        ("4.2.2", 452, "Mailbox full", "soft"),
        ("4.4.1", None, "Connection timed out", "soft"),
        ("5.0.0", 550, "Requested action not taken", "hard"),
        ("", 550, "Sorry, no mailbox here by that name", "hard"),
        ("", 552, "Requested mail action aborted: exceeded storage allocation", "soft"),
        ("", None, "The recipient's mailbox is full", "soft"),
        ("", None, "Das Postfach ist voll", "soft"),
        ("", None, "Empfänger unbekannt", "hard"),
        ("", None, "The address does not exist", "hard"),
        ("", 421, "Too many connections", "soft"),
        ("", None, "Something went wrong", ""),
    ],
)
def test_classification_by_code_and_words(status, smtp, text, expected):
    assert classify(status, smtp, text) == expected


def test_message_key_is_the_message_id_else_a_digest():
    assert message_key(b"abc", "<x@y>") == "mid:<x@y>"
    assert message_key(b"abc").startswith("sha256:")
    assert message_key(b"abc") != message_key(b"abd")
