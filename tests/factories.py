"""Test data built through the same services the application uses."""

from __future__ import annotations

import itertools

from app.users.services import create_user

_counter = itertools.count(1)
PASSWORD = "Korrekt-Pferd-42!"


def user(role="user", password=PASSWORD, name=None, email=None, totp=None, **fields):
    """Create a user with a known password; returns (user, password).

    Roles that require a second factor (administrator, licence manager) get an
    authenticator app with the secret `TOTP_SECRET` unless `totp=False`."""
    n = next(_counter)
    roles = (role,) if isinstance(role, str) else tuple(role)
    created, _ = create_user(
        email or f"user{n}@test-agentur.example",
        name or f"Test User {n}",
        roles=roles,
        password=password,
    )
    for key, value in fields.items():
        setattr(created, key, value)
    if fields:
        created.save()
    if totp or (totp is None and set(roles) & {"administrator", "license_manager"}):
        give_totp(created)
    return created, password


TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def give_totp(user, secret=TOTP_SECRET):
    """Give the user an authenticator app with a known secret."""
    from app import crypto
    from app.auth.models import TotpState
    from app.auth.twofactor import TOTP_PURPOSE

    TotpState.create(user=user, secret=crypto.encrypt(TOTP_PURPOSE, secret))
    user.second_factor = "totp"
    user.save()


def totp_code(secret=TOTP_SECRET, offset_steps=0):
    """The app's code for now (by the application clock), or a neighbouring step."""
    import pyotp

    from app.auth.twofactor import current_step

    return pyotp.TOTP(secret).generate_otp(current_step() + offset_steps)


def new_client(name=None, description=""):
    """Create a client (Mandant) through the service; returns it."""
    from app.clients.services import create_client

    return create_client(name or f"Test Client {next(_counter)}", description)


def grant(user, client, right):
    """Give `user` the right full, read or hidden on `client`."""
    from app.clients.services import set_right

    set_right(user, client, right)
