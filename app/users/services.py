"""Creating users and setting their passwords: the only code that writes credentials."""

from __future__ import annotations

from flask_babel import gettext as _

from app.audit.services import record, record_create
from app.auth.passwords import (
    generate_one_time_password,
    hash_password,
    policy_errors,
)
from app.clock import utcnow
from app.emails import InvalidEmail, normalise_email
from app.extensions import db
from app.users.models import ROLES, User, new_session_token


class UserError(ValueError):
    """A user cannot be created or changed; the message is shown to the person asking."""

    def __init__(self, messages):
        self.messages = [str(m) for m in (messages if isinstance(messages, list) else [messages])]
        super().__init__("; ".join(self.messages))


def _checked_password(password: str | None) -> tuple[str, str | None]:
    """The password to set and, if none was given, the one-time password made for it.
    Every password set anywhere passes the same policy here."""
    if password is None:
        one_time = generate_one_time_password()
        return one_time, one_time
    errors = policy_errors(password)
    if errors:
        raise UserError(errors)
    return password, None


def create_user(
    email: str, name: str, roles=("user",), password: str | None = None, origin: str = "manual"
) -> tuple[User, str | None]:
    """Create a user. Without a password a one-time password is generated, returned once,
    and must be replaced at the first sign-in."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise UserError(_("Unknown role: %(role)s", role=sorted(unknown)[0]))
    try:
        address = normalise_email(email)
    except InvalidEmail:
        raise UserError(_("The e-mail address %(email)s is not valid.", email=email)) from None
    name = (name or "").strip()
    if not name:
        raise UserError(_("A name is required."))
    password, one_time = _checked_password(password)
    with db.atomic():
        if User.select().where(User.email == address).exists():
            raise UserError(
                _("A user with the e-mail address %(email)s exists already.", email=address)
            )
        user = User.create(
            email=address,
            name=name,
            password_hash=hash_password(password),
            is_administrator="administrator" in roles,
            is_license_manager="license_manager" in roles,
            must_change_password=one_time is not None,
            password_changed_at=utcnow(),
        )
        record_create(user, origin=origin)
    return user, one_time


def set_password(user: User, password: str | None = None) -> str | None:
    """Give the user a new password (checked against the policy) or, without one, a
    one-time password that must be changed at the next sign-in. Ends all other sessions
    by replacing the session token. Returns the one-time password, if one was made."""
    password, one_time = _checked_password(password)
    with db.atomic():
        user.password_hash = hash_password(password)
        user.must_change_password = one_time is not None
        user.password_changed_at = utcnow()
        user.session_token = new_session_token()
        user.save()
        record("user.password_set", user, details={"one_time": one_time is not None})
    return one_time


def find_user(email: str) -> User | None:
    """The user with this address (any spelling of it), or None."""
    try:
        address = normalise_email(email)
    except InvalidEmail:
        return None
    return User.get_or_none(User.email == address)
