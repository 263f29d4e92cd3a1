"""Lockout after repeated failures (SPEC S2) and the log of failed attempts.

Wrong passwords and wrong second-factor codes both count. A locked account gets the same
answer as a wrong password; only someone who knows the password learns that it is locked.
"""

from __future__ import annotations

import datetime

from flask import has_request_context, request

from app.audit.services import record
from app.auth.models import LoginAttempt
from app.clock import utcnow
from app.extensions import db
from app.settings import services as settings
from app.users.models import User


def is_locked(user: User) -> bool:
    return bool(user.locked_until and user.locked_until > utcnow())


def log_attempt(user: User | None, email: str, outcome: str) -> None:
    address, agent = "", ""
    if has_request_context():
        address = request.remote_addr or ""
        agent = (request.user_agent.string or "")[:254]
    LoginAttempt.create(
        user=user,
        email=(email or "")[:254],
        outcome=outcome,
        source_address=address[:64],
        user_agent=agent,
    )


def register_failure(user: User | None, email: str, outcome: str) -> None:
    """Log a failed attempt; count it against an existing account and lock at the limit."""
    with db.atomic():
        log_attempt(user, email, outcome)
        if user is None:
            return
        User.update(failed_logins=User.failed_logins + 1).where(User.id == user.id).execute()
        user.failed_logins = User.get_by_id(user.id).failed_logins
        if user.failed_logins >= settings.get("lockout_attempts") and not is_locked(user):
            user.locked_until = utcnow() + datetime.timedelta(
                minutes=settings.get("lockout_minutes")
            )
            User.update(locked_until=user.locked_until).where(User.id == user.id).execute()
            record(
                "user.locked",
                user,
                details={"until": user.locked_until.isoformat(), "failures": user.failed_logins},
            )


def register_success(user: User) -> None:
    """A complete sign-in: the count of failures starts again."""
    if user.failed_logins or user.locked_until:
        User.update(failed_logins=0, locked_until=None).where(User.id == user.id).execute()
        user.failed_logins, user.locked_until = 0, None


def unlock(user: User) -> None:
    """Lift a lock (administrators); audited."""
    with db.atomic():
        User.update(failed_logins=0, locked_until=None).where(User.id == user.id).execute()
        record("user.unlocked", user)
        user.failed_logins, user.locked_until = 0, None
