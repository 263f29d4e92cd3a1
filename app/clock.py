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
