"""Sent mailings for the report tests, made directly as the dispatch would leave them: a
`Mailing` past the draft and one `MailingRecipient` row per recipient."""

from __future__ import annotations

import datetime
import uuid

from app.mailings.models import Mailing, MailingRecipient

START = datetime.datetime(2025, 3, 4, 9, 0)


def mailing(client, subject="Neue Energiestrategie", state="sent", **fields):
    values = {
        "started_at": START,
        "finished_at": START + datetime.timedelta(minutes=20) if state == "sent" else None,
        "html": "<p>Text</p>",
    } | fields
    return Mailing.create(client=client, subject=subject, state=state, **values)


def recipient(mailing_, address, state="sent", person=None, minute=None, **fields):
    """A recipient row; `minute`: sent that many minutes after START."""
    values = {
        "mailing": mailing_,
        "person": person,
        "address": address,
        "token": uuid.uuid4().hex,
        "state": state,
        "attempts": 1 if state != "queued" else 0,
    }
    if minute is not None:
        values |= {
            "sent_at": START + datetime.timedelta(minutes=minute),
            "smtp_code": 250,
            "smtp_response": "2.0.0 Ok: queued as ABC123",
        }
    return MailingRecipient.create(**(values | fields))
