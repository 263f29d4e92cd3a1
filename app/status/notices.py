"""Operator notices (SPEC A8): posted and withdrawn on the command line, shown to users.
The banner asks for the current notices on every page, so they are kept for a few
seconds per process instead of read from the database each time."""

from __future__ import annotations

import datetime
import threading
import time

from app.clock import utcnow
from app.extensions import db
from app.status.models import NOTICE_LEVELS, Notice

TEXT_MAX = 2000
CACHE_SECONDS = 15
_cache: dict = {"at": 0.0, "notices": []}
_lock = threading.Lock()


def current() -> list[Notice]:
    """The notices in force now, outages first, newest first (cached per process)."""
    with _lock:
        if time.monotonic() - _cache["at"] < CACHE_SECONDS:
            return _cache["notices"]
    now = utcnow()
    order = {"outage": 0, "warning": 1, "info": 2}
    notices = sorted(
        Notice.select().where(
            (Notice.starts_at <= now) & (Notice.ends_at.is_null() | (Notice.ends_at > now))
        ),
        key=lambda n: (order.get(n.level, 3), -n.created_at.timestamp()),
    )
    with _lock:
        _cache.update(at=time.monotonic(), notices=notices)
    return notices


def forget() -> None:
    """Drop the cached notices (after a change in this process, and in tests)."""
    with _lock:
        _cache.update(at=0.0, notices=[])


def post(text: str, level: str = "info", hours: float | None = None) -> Notice:
    from app.audit.services import record

    text = (text or "").strip()
    if not text:
        raise ValueError("the notice has no text")
    if len(text) > TEXT_MAX:
        raise ValueError(f"at most {TEXT_MAX} characters")
    if level not in NOTICE_LEVELS:
        raise ValueError(f"level must be one of {', '.join(NOTICE_LEVELS)}")
    now = utcnow()
    ends = now + datetime.timedelta(hours=hours) if hours else None
    with db.atomic():
        notice = Notice.create(text=text, level=level, starts_at=now, ends_at=ends, created_at=now)
        record(
            "notice.post",
            target_type="notice",
            target_id=notice.id,
            details={"level": level, "ends_at": ends},
        )
    forget()
    return notice


def withdraw(notice_id: int | None = None) -> int:
    """End one notice now, or all current ones; returns how many ended."""
    from app.audit.services import record

    now = utcnow()
    query = Notice.update(ends_at=now).where(Notice.ends_at.is_null() | (Notice.ends_at > now))
    if notice_id is not None:
        query = query.where(Notice.id == notice_id)
    with db.atomic():
        done = query.execute()
        if done:
            record(
                "notice.withdraw",
                target_type="notice",
                target_id=notice_id,
                details={"count": done},
            )
    forget()
    return done
