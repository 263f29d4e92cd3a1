"""Creating users and setting their passwords: the only code that writes credentials.
Below them, the administration of users: invitations, changes, deactivation, the cap of
licensed named users (SPEC A1, A2, M9)."""

from __future__ import annotations

from flask import has_request_context, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from peewee import PostgresqlDatabase

from app.audit.services import (
    changes_between,
    current_actor,
    record,
    record_create,
    snapshot,
)
from app.auth.passwords import (
    generate_one_time_password,
    hash_password,
    policy_errors,
    remember,
)
from app.clock import utcnow
from app.emails import InvalidEmail, normalise_email
from app.extensions import db
from app.mail import queue_mail
from app.settings.services import get as get_setting
from app.users.models import ROLES, User, new_session_token

# Columns besides the credentials and roles that create_user may set (no mass assignment).
CREATE_FIELDS = {"may_manage_lists", "may_send", "active", "locale", "timezone"}


class UserError(ValueError):
    """A user cannot be created or changed; the message is shown to the person asking."""

    def __init__(self, messages):
        self.messages = [str(m) for m in (messages if isinstance(messages, list) else [messages])]
        super().__init__("; ".join(self.messages))


def _checked_password(
    password: str | None, user: User | None = None, extra_context=()
) -> tuple[str, str | None]:
    """The password to set and, if none was given, the one-time password made for it.
    Every password set anywhere passes the same policy here."""
    if password is None:
        one_time = generate_one_time_password()
        return one_time, one_time
    errors = policy_errors(password, user=user, extra_context=extra_context)
    if errors:
        raise UserError(errors)
    return password, None


def create_user(
    email: str,
    name: str,
    roles=("user",),
    password: str | None = None,
    origin: str = "manual",
    fields: dict | None = None,
) -> tuple[User, str | None]:
    """Create a user. Without a password a one-time password is generated, returned once,
    and must be replaced at the first sign-in. `fields` sets further columns named in
    CREATE_FIELDS (rights, language, active) in the same row and the same audit entry."""
    fields = dict(fields or {})
    if set(fields) - CREATE_FIELDS:
        raise ValueError(f"create_user cannot set {sorted(set(fields) - CREATE_FIELDS)}")
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
    password, one_time = _checked_password(password, extra_context=(name, address.split("@")[0]))
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
            **fields,
        )
        record_create(user, origin=origin)
    return user, one_time


def set_password(user: User, password: str | None = None) -> str | None:
    """Give the user a new password (checked against the policy) or, without one, a
    one-time password that must be changed at the next sign-in. Ends all other sessions
    by replacing the session token. Returns the one-time password, if one was made."""
    password, one_time = _checked_password(password, user=user)
    with db.atomic():
        remember(user, user.password_hash)
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


# --- Administration of users (SPEC A1, A2, M9) ----------------------------------------------

# What an administrator may change on a user; anything else is refused (no mass assignment).
EDITABLE_FIELDS = (
    "name",
    "email",
    "is_administrator",
    "is_license_manager",
    "may_manage_lists",
    "may_send",
    "active",
)
INVITATION_LANGUAGES = ("de", "en")
# Key of the PostgreSQL advisory lock that serialises changes to who is active or an
# administrator (any constant; "DPUS" in ASCII).
USER_ADMINISTRATION_LOCK = 0x44505553


def named_users_licensed() -> int:
    """How many users may be active at once (a setting until the subscription module)."""
    return get_setting("named_users")


def active_user_count() -> int:
    return User.select().where(User.active == True).count()  # noqa: E712 (peewee)


def _serialise_user_administration() -> None:
    """The licence and last-administrator checks count rows that a concurrent transaction
    could change between the check and the commit. On PostgreSQL an advisory lock held to
    the end of the transaction serialises them; SQLite's transactions take the write lock
    when they begin (BEGIN IMMEDIATE), which does the same."""
    if isinstance(db.obj, PostgresqlDatabase):
        db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (USER_ADMINISTRATION_LOCK,))


def _licence_full_message():
    cap = named_users_licensed()
    return ngettext(
        "The licence allows %(num)d active named user, and it is in use.",
        "All %(num)d licensed named users are active.",
        cap,
    )


def _check_licence_has_room(when_inviting: bool = False) -> None:
    if active_user_count() >= named_users_licensed():
        hint = (
            _("Create the user as inactive, or deactivate another user first.")
            if when_inviting
            else _("Deactivate another user first, or raise the number of named users.")
        )
        raise UserError(f"{_licence_full_message()} {hint}")


def _check_an_administrator_remains(user: User, administrator: bool, active: bool) -> None:
    """Refuse a change that would leave the installation without an active administrator."""
    if not (user.is_administrator and user.active) or (administrator and active):
        return
    others = (
        User.select()
        .where(User.is_administrator == True, User.active == True, User.id != user.id)  # noqa: E712
        .exists()
    )
    if others:
        return
    if current_actor().id == user.id:
        raise UserError(
            _(
                "You are the last active administrator: you cannot deactivate yourself or give "
                "up the administrator role. Make another user an administrator first."
            )
        )
    raise UserError(
        _(
            "%(name)s is the last active administrator. Make another user an administrator first.",
            name=user.name,
        )
    )


def _sign_in_url() -> str:
    return url_for("auth.login", _external=True) if has_request_context() else ""


def _administrator_name(by: str | None) -> str:
    if by:
        return by
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.name
    return _("Your administrator")


def send_invitation(user: User, one_time: str, language: str, by: str | None = None) -> None:
    """The invitation with the one-time password, in the language chosen for the invitee."""
    with force_locale(language if language in INVITATION_LANGUAGES else "de"):
        admin = _administrator_name(by)
        queue_mail(
            user.email,
            _("Your access to Depesche"),
            _(
                "Hello %(name)s,\n\n"
                "%(admin)s has created an account for you in Depesche, the press-relations "
                "workbench of your organisation.\n\n"
                "Sign in at: %(url)s\n"
                "E-mail address: %(email)s\n"
                "One-time password: %(password)s\n\n"
                "Right after signing in you will choose your own password; the one-time "
                "password works only until then.\n\n"
                "If you did not expect this message, please tell %(admin)s.",
                name=user.name,
                admin=admin,
                url=_sign_in_url(),
                email=user.email,
                password=one_time,
            ),
        )


def invite_user(
    email: str,
    name: str,
    roles=("user",),
    may_manage_lists: bool = False,
    may_send: bool = False,
    language: str = "de",
    active: bool = True,
    by: str | None = None,
) -> User:
    """Create a user with a one-time password and e-mail the invitation (SPEC A1).

    The invitation goes out only for an active user: a user beyond the licensed number can
    be created inactive only, and gets the invitation when reactivated. The language of the
    invitation becomes the user's interface language."""
    if language not in INVITATION_LANGUAGES:
        raise UserError(_("This language is not available."))
    with db.atomic():
        _serialise_user_administration()
        if active:
            _check_licence_has_room(when_inviting=True)
        user, one_time = create_user(
            email,
            name,
            roles=roles,
            origin="invitation",
            fields={
                "may_manage_lists": bool(may_manage_lists),
                "may_send": bool(may_send),
                "active": bool(active),
                "locale": language,
            },
        )
    # Queued only once the user exists for certain: a rolled-back invitation sends nothing.
    if active:
        send_invitation(user, one_time, language, by=by)
    return user


def _change(user: User, fields: dict) -> tuple[User, bool]:
    """Apply checked changes in one transaction with one audit entry. Returns the user and
    whether a never-signed-in user was (re)activated and needs a fresh invitation."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"update_user cannot change {sorted(unknown)}")
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
        if not fields["name"]:
            raise UserError(_("A name is required."))
    if "email" in fields:
        try:
            fields["email"] = normalise_email(fields["email"])
        except InvalidEmail:
            raise UserError(
                _("The e-mail address %(email)s is not valid.", email=fields["email"])
            ) from None
    with db.atomic():
        _serialise_user_administration()
        current = User.get_by_id(user.id)  # the row as it is now, not as the form saw it
        fields = {k: v for k, v in fields.items() if getattr(current, k) != v}
        if not fields:
            return current, False
        if "email" in fields and (
            User.select().where(User.email == fields["email"], User.id != current.id).exists()
        ):
            raise UserError(
                _("A user with the e-mail address %(email)s exists already.", email=fields["email"])
            )
        becomes_active = fields.get("active", current.active)
        _check_an_administrator_remains(
            current, fields.get("is_administrator", current.is_administrator), becomes_active
        )
        if becomes_active and not current.active:
            _check_licence_has_room()
        before = snapshot(current)
        for name, value in fields.items():
            setattr(current, name, value)
        if not becomes_active:
            current.session_token = new_session_token()  # ends every session of the user
        current.save()
        if "active" in fields:
            action = "user.reactivate" if becomes_active else "user.deactivate"
        else:
            action = "user.update"
        record(action, current, changes=changes_between(before, snapshot(current)))
        # Someone who never got to use the invitation (created inactive) gets it now.
        invite = (
            "active" in fields
            and becomes_active
            and current.last_login_at is None
            and current.must_change_password
        )
        one_time = set_password(current) if invite else None
    for name in fields:
        setattr(user, name, getattr(current, name))
    user.session_token = current.session_token
    if one_time:
        send_invitation(current, one_time, current.locale or "de")
    return current, invite


def update_user(user: User, **fields) -> User:
    """Change name, e-mail address, roles, rights or the active flag of a user. Refuses to
    exceed the licence or to leave no active administrator; deactivation ends every session
    of the user. Audited in the same transaction."""
    return _change(user, fields)[0]


def deactivate_user(user: User) -> User:
    """Deactivate a user and end all their sessions; their data and history stay."""
    return _change(user, {"active": False})[0]


def reactivate_user(user: User) -> bool:
    """Reactivate a user if the licence has room. A user who has never signed in gets a new
    invitation (with a fresh one-time password); returns whether one was sent."""
    return _change(user, {"active": True})[1]


def send_new_one_time_password(user: User, by: str | None = None) -> None:
    """Reset by an administrator: the current password stops working, a one-time password
    goes to the user by e-mail, and every session of the user ends."""
    if not user.active:
        raise UserError(
            _("%(name)s is inactive and cannot sign in; reactivate the user first.", name=user.name)
        )
    one_time = set_password(user)
    with force_locale(user.locale or "de"):
        queue_mail(
            user.email,
            _("Your new one-time password for Depesche"),
            _(
                "Hello %(name)s,\n\n"
                "%(admin)s has given you a new one-time password for Depesche. Your previous "
                "password no longer works.\n\n"
                "Sign in at: %(url)s\n"
                "E-mail address: %(email)s\n"
                "One-time password: %(password)s\n\n"
                "Right after signing in you will choose your own password.",
                name=user.name,
                admin=_administrator_name(by),
                url=_sign_in_url(),
                email=user.email,
                password=one_time,
            ),
        )
