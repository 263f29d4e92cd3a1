"""Records of the sign-in machinery: attempts, sessions, password history, second factor."""

from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
)

from app.clock import utcnow
from app.models import BaseModel
from app.users.models import User


class LoginAttempt(BaseModel):
    """A failed sign-in (wrong password or code, locked account, unknown address)."""

    created_at = DateTimeField(default=utcnow, index=True)
    user = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="login_attempts")
    email = CharField(max_length=254, default="")
    outcome = CharField(max_length=32)
    source_address = CharField(max_length=64, default="")
    user_agent = CharField(max_length=254, default="")


class UserSession(BaseModel):
    """A signed-in browser. The cookie holds a random token; only its hash is stored.

    `generation` is the user's session_token when the session began: replacing that token
    (password change, deactivation) ends every session at once.
    """

    token_hash = CharField(max_length=64, unique=True)
    user = ForeignKeyField(User, on_delete="CASCADE", backref="sessions")
    generation = CharField(max_length=64)
    created_at = DateTimeField(default=utcnow)
    last_seen_at = DateTimeField(default=utcnow)
    authenticated_at = DateTimeField(default=utcnow)  # last password (+ code) entry
    ended_at = DateTimeField(null=True, index=True)
    source_address = CharField(max_length=64, default="")
    user_agent = CharField(max_length=254, default="")


class PasswordHistory(BaseModel):
    user = ForeignKeyField(User, on_delete="CASCADE", backref="password_history")
    password_hash = CharField(max_length=255)
    created_at = DateTimeField(default=utcnow)


class RecoveryCode(BaseModel):
    user = ForeignKeyField(User, on_delete="CASCADE", backref="recovery_codes")
    code_hash = CharField(max_length=64)
    used_at = DateTimeField(null=True)


class LoginChallenge(BaseModel):
    """The second step of one sign-in: bound to the browser that entered the password."""

    token_hash = CharField(max_length=64, unique=True)
    user = ForeignKeyField(User, on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    code_hash = CharField(max_length=64, null=True)  # the e-mailed code, if one was sent
    code_expires_at = DateTimeField(null=True)
    tries = IntegerField(default=0)
    sends = IntegerField(default=0)
    first_send_at = DateTimeField(null=True)
    done = BooleanField(default=False)


class TotpState(BaseModel):
    """A user's authenticator app: the encrypted secret and the last time step accepted."""

    user = ForeignKeyField(User, on_delete="CASCADE", unique=True, backref="totp")
    secret = CharField(max_length=512)  # Fernet token
    last_step = BigIntegerField(null=True)
    created_at = DateTimeField(default=utcnow)


class PasswordReset(BaseModel):
    """A one-time password sent by e-mail (SPEC S3): valid 30 minutes and once. The old
    password stays valid meanwhile, so nobody can lock a user out by asking for resets."""

    user = ForeignKeyField(User, on_delete="CASCADE", backref="password_resets")
    password_hash = CharField(max_length=255)
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)
