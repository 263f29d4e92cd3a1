"""Dispatch volume (SPEC M10): recipients and bytes of the messages the relay accepted,
this calendar month (in the organisation's time zone) and in total — shown on the start
screen and in the pre-send check. Invoices for mailings are made from these figures."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import current_app
from peewee import fn

from app.clock import utcnow
from app.mailings.models import MailingRecipient


@dataclass(frozen=True)
class Volume:
    recipients: int
    bytes: int


def _between(start=None, end=None) -> Volume:
    query = MailingRecipient.select(
        fn.COUNT(MailingRecipient.id), fn.COALESCE(fn.SUM(MailingRecipient.size), 0)
    ).where(MailingRecipient.sent_at.is_null(False))
    if start is not None:
        query = query.where(MailingRecipient.sent_at >= start)
    if end is not None:
        query = query.where(MailingRecipient.sent_at < end)
    count, size = query.tuples().get()
    return Volume(int(count or 0), int(size or 0))


def month_start(now=None) -> datetime.datetime:
    """The first moment of the current month in the organisation's zone, as naive UTC."""
    zone = ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])
    local = (now or utcnow()).replace(tzinfo=datetime.UTC).astimezone(zone)
    first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return first.astimezone(datetime.UTC).replace(tzinfo=None)


def this_month() -> Volume:
    return _between(start=month_start())


def all_time() -> Volume:
    return _between()
