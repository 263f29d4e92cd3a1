"""System mail through a real SMTP server."""

import pytest

from app import crypto
from app.mail import MailError, queue_mail, send_mail


def test_queued_mail_arrives_and_travels_encrypted(app_ctx, outbox):
    queue_mail("anna@agentur.example", "Ihr Zugang", "Einmalpasswort: Abc-123!")
    assert len(outbox) == 1
    message = outbox[0]
    assert message["To"] == "anna@agentur.example"
    assert message["Subject"] == "Ihr Zugang"
    assert message["Message-ID"] and message["Date"]
    assert "Einmalpasswort: Abc-123!" in message.get_content()


def test_queue_payload_is_not_readable_and_not_forgeable(app_ctx):
    token = crypto.encrypt("mail-queue", '{"secret": "Abc-123!"}')
    assert "Abc-123" not in token
    with pytest.raises(crypto.InvalidToken):
        crypto.decrypt("other-purpose", token)


def test_unreachable_relay_is_a_mail_error(app_ctx):
    app_ctx.config["SMTP_URL"] = "smtp://127.0.0.1:1"
    with pytest.raises(MailError):
        send_mail("anna@agentur.example", "x", "y")
