import secrets

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField

from app.clients.models import Client
from app.clock import utcnow
from app.models import BaseModel

ROLES = ("administrator", "license_manager", "user")
ROLE_LABELS = {
    "administrator": _l("Administrator"),
    "license_manager": _l("Licence manager"),
    "user": _l("User"),
}


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, BaseModel):
    """A named user. Roles are flags because one person may hold several (SPEC A2).

    Sessions are records of their own (app.auth.sessions); each remembers the user's
    `session_token` when it began, so replacing the token ends every session of the user
    at once (password change, deactivation).
    """

    email = CharField(max_length=254, unique=True)
    name = CharField(max_length=200)
    password_hash = CharField(max_length=255)
    is_administrator = BooleanField(default=False)
    is_license_manager = BooleanField(default=False)
    active = BooleanField(default=True)
    must_change_password = BooleanField(default=False)
    locale = CharField(max_length=8, null=True)
    timezone = CharField(max_length=64, default="Europe/Berlin")
    session_token = CharField(max_length=64, unique=True, default=new_session_token)
    created_at = DateTimeField(default=utcnow)
    last_login_at = DateTimeField(null=True)
    password_changed_at = DateTimeField(null=True)
    # Rights set by the administrator (SPEC M9): lists and mailings, and sending them.
    may_manage_lists = BooleanField(default=False)
    may_send = BooleanField(default=False)
    failed_logins = IntegerField(default=0)  # wrong passwords or codes in a row
    locked_until = DateTimeField(null=True)
    second_factor = CharField(max_length=16, null=True)  # "totp", "email" or None
    # Where the user's new records go (SPEC A3); always a client the user may write to.
    default_client = ForeignKeyField(Client, null=True, on_delete="SET NULL", backref="+")

    session_cookie_token = None  # set per request by app.auth.sessions
    current_session = None

    def get_id(self):
        # flask-login keeps this in the cookie: the token of this browser's session record
        # (app.auth.sessions), set when the session starts or is loaded.
        return self.session_cookie_token

    @property
    def is_active(self):
        return self.active

    @property
    def roles(self) -> list[str]:
        names = []
        if self.is_administrator:
            names.append("administrator")
        if self.is_license_manager:
            names.append("license_manager")
        return names or ["user"]

    def update_locale(self, code: str) -> None:
        self.locale = code
        type(self).update(locale=code).where(type(self).id == self.id).execute()

    def __str__(self):
        return self.name
