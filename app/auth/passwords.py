"""Password hashing and the password policy (SPEC S1): one place for every way a password
is set, in the browser or on the command line."""

from __future__ import annotations

import datetime
import functools
import re
import secrets
import string
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

MIN_LENGTH = 8
MAX_LENGTH = 128
HISTORY = 5  # a new password may not equal any of the last five
COMMON_PASSWORDS = Path(__file__).resolve().parent / "data" / "common-passwords.txt"
PRODUCT_WORDS = ("depesche",)


@functools.cache
def _dummy_hash() -> str:
    """Verified against when no account matches, so an unknown address costs the same time."""
    return _hasher.hash(secrets.token_urlsafe(16))


@functools.cache
def common_passwords() -> frozenset[str]:
    return frozenset(COMMON_PASSWORDS.read_text(encoding="utf-8").split())


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


def _core(password: str) -> str:
    """The password without the digits and signs people wrap around a word ("Sommer2024!")."""
    return re.sub(r"^[\W\d_]+|[\W\d_]+$", "", password.lower())


def is_common(password: str) -> bool:
    words = common_passwords()
    lowered = password.lower()
    return lowered in words or (len(_core(password)) >= 3 and _core(password) in words)


def context_words(user=None, extra=()) -> set[str]:
    """Words a password must not contain: the product, the clients, the user's own names."""
    from app.clients.models import Client

    words = set(PRODUCT_WORDS)
    for (name,) in Client.select(Client.name).tuples():
        words.update(re.findall(r"\w{4,}", name.lower()))
    if user is not None:
        words.update(re.findall(r"\w{4,}", (user.name or "").lower()))
        words.update(re.findall(r"\w{4,}", (user.email or "").split("@")[0].lower()))
    for word in extra:
        words.update(re.findall(r"\w{4,}", (word or "").lower()))
    return {w for w in words if len(w) >= 4}


def policy_errors(password: str, user=None, min_length: int | None = None, extra_context=()):
    """What is wrong with a new password, as translatable messages (empty: acceptable)."""
    if min_length is None:
        min_length = _setting("password_min_length", MIN_LENGTH)
    errors = []
    if len(password) < min_length:
        errors.append(_l("The password must have at least %(n)d characters.", n=min_length))
    if len(password) > MAX_LENGTH:
        errors.append(_l("The password may have at most %(n)d characters.", n=MAX_LENGTH))
    if not re.search(r"\d", password):
        errors.append(_l("The password must contain at least one digit."))
    if not any(not ch.isalnum() for ch in password):
        errors.append(_l("The password must contain at least one special character."))
    if is_common(password):
        errors.append(_l("This password is among the most common ones; please choose another."))
    else:
        lowered = password.lower()
        found = sorted(w for w in context_words(user, extra_context) if w in lowered)
        if found:
            errors.append(_l("The password must not contain the word “%(word)s”.", word=found[0]))
    if user is not None and user.id is not None and _reuses_recent(user, password):
        errors.append(_l("The password must differ from your last %(n)d passwords.", n=HISTORY))
    return errors


def _reuses_recent(user, password: str) -> bool:
    from app.auth.models import PasswordHistory

    if verify_password(user.password_hash, password):
        return True
    recent = (
        PasswordHistory.select(PasswordHistory.password_hash)
        .where(PasswordHistory.user == user)
        .order_by(PasswordHistory.created_at.desc(), PasswordHistory.id.desc())
        .limit(HISTORY - 1)
    )
    return any(verify_password(row.password_hash, password) for row in recent)


def remember(user, old_hash: str | None) -> None:
    """Keep the replaced hash so the next changes can refuse it; only the last few stay."""
    from app.auth.models import PasswordHistory

    if not old_hash:
        return
    PasswordHistory.create(user=user, password_hash=old_hash)
    keep = (
        PasswordHistory.select(PasswordHistory.id)
        .where(PasswordHistory.user == user)
        .order_by(PasswordHistory.created_at.desc(), PasswordHistory.id.desc())
        .limit(HISTORY)
    )
    PasswordHistory.delete().where(
        PasswordHistory.user == user, PasswordHistory.id.not_in(keep)
    ).execute()


def is_expired(user) -> bool:
    """The administrator's change interval has passed since the password was set."""
    from app.clock import utcnow

    days = _setting("password_max_age_days", 0)
    if not days or user.password_changed_at is None:
        return False
    return utcnow() - user.password_changed_at > datetime.timedelta(days=days)


def _setting(key: str, default):
    from app.settings.services import get

    return get(key)


def generate_one_time_password() -> str:
    """A random password that satisfies the policy, for first sign-in and resets."""
    alphabet = string.ascii_letters + string.digits
    while True:
        core = "".join(secrets.choice(alphabet) for _ in range(14))
        candidate = f"{core[:7]}-{core[7:]}{secrets.choice('23456789')}"
        if not policy_errors(candidate, min_length=MIN_LENGTH):
            return candidate
