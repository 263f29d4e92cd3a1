import secrets

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from peewee import BooleanField, CharField, DateTimeField

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

    flask-login identifies a session by `session_token`, not by the id: replacing the token
    ends every session of the user at once (password change, lockout, deactivation).
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

    def get_id(self):
        return self.session_token

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
