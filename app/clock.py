"""The application's clock. Every "now" goes through here, so that tests can move time
(lockout periods, code expiry, session timeouts) without sleeping."""

from __future__ import annotations

import datetime

_offset = datetime.timedelta(0)


def utcnow() -> datetime.datetime:
    """Now in UTC as a naive datetime: every timestamp is stored in UTC."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + _offset


def advance(**delta) -> None:
    """Move the clock forward (tests only), e.g. advance(minutes=31)."""
    global _offset
    _offset += datetime.timedelta(**delta)


def reset() -> None:
    global _offset
    _offset = datetime.timedelta(0)


def from_local(value: str) -> datetime.datetime:
    """A moment typed into a datetime-local field, in the user's time zone, as naive UTC;
    ValueError when it is not a date and time."""
    from flask_babel import to_utc

    local = datetime.datetime.fromisoformat((value or "").strip())
    return to_utc(local.replace(tzinfo=None)).replace(tzinfo=None)


def to_local_input(moment: datetime.datetime | None) -> str:
    """A stored UTC moment as the value of a datetime-local field in the user's time zone."""
    from flask_babel import to_user_timezone

    if moment is None:
        return ""
    local = to_user_timezone(moment.replace(tzinfo=datetime.UTC))
    return local.strftime("%Y-%m-%dT%H:%M")
