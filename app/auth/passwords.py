"""Password hashing and the password policy: one place for every way a password is set."""

from __future__ import annotations

import functools
import re
import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

MIN_LENGTH = 8
MAX_LENGTH = 128
SPECIALS = set(string.punctuation + " §€°´")


@functools.cache
def _dummy_hash() -> str:
    """Verified against when no account matches, so an unknown address costs the same time."""
    return _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash (unknown account) spend the same work and say no."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def policy_errors(password: str, min_length: int = MIN_LENGTH) -> list:
    """What is wrong with a new password, as translatable messages (empty: acceptable)."""
    errors = []
    if len(password) < min_length:
        errors.append(_l("The password must have at least %(n)d characters.", n=min_length))
    if len(password) > MAX_LENGTH:
        errors.append(_l("The password may have at most %(n)d characters.", n=MAX_LENGTH))
    if not re.search(r"\d", password):
        errors.append(_l("The password must contain at least one digit."))
    if not any(ch in SPECIALS or not ch.isalnum() for ch in password):
        errors.append(_l("The password must contain at least one special character."))
    return errors


def generate_one_time_password() -> str:
    """A random password that satisfies the policy, for first sign-in and resets."""
    alphabet = string.ascii_letters + string.digits
    while True:
        core = "".join(secrets.choice(alphabet) for _ in range(14))
        candidate = f"{core[:7]}-{core[7:]}{secrets.choice('23456789')}"
        if not policy_errors(candidate):
            return candidate
