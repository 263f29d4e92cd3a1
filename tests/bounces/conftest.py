"""Data of the bounce tests: the contacts tests' world, a sent mailing, bounce messages."""

import itertools
from datetime import timedelta
from pathlib import Path

import pytest

from app.clock import utcnow
from app.mailings.models import Mailing, MailingRecipient
from tests.contacts.conftest import world  # noqa: F401

DATA = Path(__file__).resolve().parent.parent / "data" / "bounces"
_serial = itertools.count(1)


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


def deliver(mailing, person_id, address, *, state="sent", minutes_ago=60, token=None):
    """A recipient row of a sent mailing, as dispatch leaves it."""
    n = next(_serial)
    token = token or f"Tok{n:05d}abcdef"
    return MailingRecipient.create(
        mailing=mailing,
        person=person_id,
        address=address,
        token=token,
        state=state,
        sent_at=utcnow() - timedelta(minutes=minutes_ago),
        message_id=f"<msg-{n}@nordlicht.example>",
    )


def sent_mailing(client, subject="Pressemitteilung: Werk in Kiel"):
    return Mailing.create(client=client, subject=subject, html="<p>Text</p>", state="sent")


def dsn(token, address, status="5.1.1", text="User unknown", message_id=None, action="failed"):
    """An RFC 3464 bounce of the message to `address` with the return path's `token`."""
    message_id = message_id or f"<dsn-{next(_serial)}@mx.example>"
    smtp = "550" if status.startswith("5") else "452"
    return (
        f"From: Mail Delivery System <MAILER-DAEMON@mx.example>\r\n"
        f"To: bounces+{token}@agentur.example\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: {message_id}\r\n"
        f"MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        f"--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        f"--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; mx.example\r\n\r\n"
        f"Final-Recipient: rfc822; {address}\r\nAction: {action}\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; {smtp} {status} {text}\r\n"
        f"--B--\r\n"
    ).encode()


@pytest.fixture
def mailing(app, world):  # noqa: F811 (the fixture imported above)
    with app.app_context():
        return sent_mailing(world["alpha"])
