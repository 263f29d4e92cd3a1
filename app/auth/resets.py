"""Forgotten passwords (SPEC S3): a one-time password by e-mail, valid 30 minutes and once.

The old password keeps working until the one-time password is used, so asking for resets
cannot lock anyone out. Using it makes it the current password (to be replaced at once),
and ends every other session of the user."""

from __future__ import annotations

import datetime

from flask_babel import force_locale
from flask_babel import gettext as _

from app.audit.services import record
from app.auth.models import PasswordReset
from app.auth.passwords import generate_one_time_password, hash_password, verify_password
from app.clock import utcnow
from app.extensions import db
from app.mail import queue_mail
from app.users.models import User, new_session_token
from app.users.services import find_user

VALID = datetime.timedelta(minutes=30)
MAX_OPEN = 3  # unused, unexpired resets per account; more requests send nothing


def _open(user: User):
    return PasswordReset.select().where(
        PasswordReset.user == user,
        PasswordReset.used_at.is_null(),
        PasswordReset.expires_at > utcnow(),
    )


def request_reset(email: str) -> None:
    """Send a one-time password if the address belongs to an active account. Does the same
    work otherwise, so that neither the answer nor its timing tells."""
    user = find_user(email)
    one_time = generate_one_time_password()
    digest = hash_password(one_time)  # paid for every request, known address or not
    if user is None or not user.active or _open(user).count() >= MAX_OPEN:
        return
    with db.atomic():
        PasswordReset.create(user=user, password_hash=digest, expires_at=utcnow() + VALID)
        record("user.password_reset_requested", user)
    with force_locale(user.locale or "de"):
        queue_mail(
            user.email,
            _("Your one-time password for Depesche"),
            _(
                "Somebody (hopefully you) asked for a new password for %(email)s.\n\n"
                "One-time password: %(password)s\n\n"
                "It is valid for 30 minutes and only once. Sign in with it; you will then "
                "choose a new password. Your current password stays valid until then. "
                "If you did not ask for this, you can ignore this e-mail.",
                email=user.email,
                password=one_time,
            ),
        )


def matching(user: User, password: str) -> PasswordReset | None:
    for reset in _open(user).order_by(PasswordReset.created_at.desc()):
        if verify_password(reset.password_hash, password):
            return reset
    return None


def use(user: User, reset: PasswordReset) -> None:
    with db.atomic():
        used = (
            PasswordReset.update(used_at=utcnow())
            .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_null())
            .execute()
        )
        if not used:
            return
        User.update(
            password_hash=reset.password_hash,
            must_change_password=True,
            session_token=new_session_token(),  # every other session ends
            password_changed_at=utcnow(),
        ).where(User.id == user.id).execute()
        PasswordReset.update(used_at=utcnow()).where(
            PasswordReset.user == user, PasswordReset.used_at.is_null()
        ).execute()
        record("user.password_reset_used", user)
