"""Server-side session records (SPEC S5): listed, ended one by one or all at once, with
idle and absolute timeouts from the settings.

The Flask session cookie carries a random token; flask-login's user id *is* that token,
and the loader accepts it only while its record is open, fresh and of the user's current
generation (`User.session_token`)."""

from __future__ import annotations

import datetime
import hashlib
import secrets

from flask import has_request_context, request

from app.auth.models import UserSession
from app.clock import utcnow
from app.extensions import db
from app.settings import services as settings
from app.statements import Statement, instance_of, slot
from app.users.models import User

TOUCH_INTERVAL = datetime.timedelta(seconds=60)  # last_seen_at is written at most this often


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(user: User) -> str:
    """Open a session for the user; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    address, agent = "", ""
    if has_request_context():
        address = request.remote_addr or ""
        agent = (request.user_agent.string or "")[:254]
    UserSession.create(
        token_hash=_hash(token),
        user=user,
        generation=user.session_token,
        source_address=address[:64],
        user_agent=agent,
    )
    return token


def record_for(token: str | None) -> UserSession | None:
    if not token:
        return None
    return UserSession.get_or_none(UserSession.token_hash == _hash(token))


# Every signed-in request reads its session and user: compiled once (app/statements.py, D41)
_OPEN_SESSION = Statement(
    lambda: (
        UserSession.select(UserSession, User)
        .join(User)
        .where((UserSession.token_hash == slot("token")) & UserSession.ended_at.is_null())
    )
)
_SESSION_FIELDS = len(UserSession._meta.sorted_fields)


def load(token: str) -> User | None:
    """The user of an open, fresh session; ends the session if it has timed out. Read from
    the database on every request: an ended session, a deactivated user or a new password
    (a new generation) takes effect with the next request."""
    rows = _OPEN_SESSION.rows(token=_hash(token))
    if not rows:
        return None
    record = instance_of(UserSession, rows[0][:_SESSION_FIELDS])
    user = instance_of(User, rows[0][_SESSION_FIELDS:])
    record.__rel__["user"] = user  # as peewee links a joined row
    now = utcnow()
    idle = datetime.timedelta(minutes=settings.get("session_idle_minutes"))
    longest = datetime.timedelta(hours=settings.get("session_max_hours"))
    if (
        not user.active
        or record.generation != user.session_token
        or now - record.last_seen_at > idle
        or now - record.created_at > longest
    ):
        end(record)
        return None
    if now - record.last_seen_at > TOUCH_INTERVAL:
        UserSession.update(last_seen_at=now).where(UserSession.id == record.id).execute()
    user.current_session = record
    return user


def end(record: UserSession) -> None:
    UserSession.update(ended_at=utcnow()).where(
        UserSession.id == record.id, UserSession.ended_at.is_null()
    ).execute()


def end_all(user: User, except_id: int | None = None) -> int:
    """End every open session of the user (but `except_id`); returns how many."""
    query = UserSession.update(ended_at=utcnow()).where(
        UserSession.user == user, UserSession.ended_at.is_null()
    )
    if except_id is not None:
        query = query.where(UserSession.id != except_id)
    with db.atomic():
        return query.execute()


def open_sessions(user: User) -> list[UserSession]:
    """The user's sessions that still let a browser in."""
    idle = datetime.timedelta(minutes=settings.get("session_idle_minutes"))
    longest = datetime.timedelta(hours=settings.get("session_max_hours"))
    now = utcnow()
    return list(
        UserSession.select()
        .where(
            UserSession.user == user,
            UserSession.ended_at.is_null(),
            UserSession.generation == user.session_token,
            UserSession.last_seen_at > now - idle,
            UserSession.created_at > now - longest,
        )
        .order_by(UserSession.last_seen_at.desc())
    )


def mark_authenticated(record: UserSession) -> None:
    """The user just proved who they are again (for changes that need a recent sign-in)."""
    record.authenticated_at = utcnow()
    UserSession.update(authenticated_at=record.authenticated_at).where(
        UserSession.id == record.id
    ).execute()


def recently_authenticated(record: UserSession | None, minutes: int = 15) -> bool:
    return bool(record) and utcnow() - record.authenticated_at <= datetime.timedelta(
        minutes=minutes
    )
