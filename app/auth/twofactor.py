"""The second factor (SPEC S4): an authenticator app (TOTP) first, a one-time code by
e-mail as the alternative, and ten single-use recovery codes.

TOTP secrets are stored encrypted; every accepted time step is remembered so a code works
once. E-mailed codes are bound to one sign-in attempt (a LoginChallenge whose token only
that browser holds), expire after ten minutes, allow five tries and three sends per ten
minutes. Codes are stored as keyed hashes.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets

import pyotp
import segno
from flask_babel import force_locale
from flask_babel import gettext as _

from app import crypto
from app.audit.services import record
from app.auth.models import LoginChallenge, RecoveryCode, TotpState
from app.clock import utcnow
from app.extensions import db
from app.mail import queue_mail
from app.settings import services as settings
from app.users.models import User

TOTP_PURPOSE = "totp-secret"
CODE_PURPOSE = "login-code"
RECOVERY_PURPOSE = "recovery-code"
ISSUER = "Depesche"
STEP = 30
CODE_VALID = datetime.timedelta(minutes=10)
CHALLENGE_VALID = datetime.timedelta(minutes=10)
MAX_TRIES = 5
MAX_SENDS = 3
SEND_WINDOW = datetime.timedelta(minutes=10)
RECOVERY_CODES = 10


class SecondFactorError(ValueError):
    """Shown to the user as it is (translated)."""


def required_for(user: User) -> bool:
    """Administrators and licence managers always; everyone when the administrator says so."""
    return bool(
        user.is_administrator or user.is_license_manager or settings.get("require_second_factor")
    )


def needs_setup(user: User) -> bool:
    return required_for(user) and not user.second_factor


# --- authenticator app ---------------------------------------------------------------


def begin_totp(user: User) -> str:
    """A new secret for the user's app, kept (encrypted) in this browser's session until a
    code from the app confirms it; an app in use stays valid until then."""
    from flask import session

    secret = pyotp.random_base32()
    session["totp_pending"] = crypto.encrypt(TOTP_PURPOSE, secret)
    return secret


def pending_totp_secret() -> str | None:
    from flask import session

    token = session.get("totp_pending")
    if not token:
        return None
    try:
        return crypto.decrypt(TOTP_PURPOSE, token, ttl=3600)
    except crypto.InvalidToken:
        return None


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret, interval=STEP).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The QR code as an SVG data URI, rendered here: nothing leaves the server."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2, dark="#1d2530")


def _matching_step(secret: str, code: str, last_step: int | None) -> int | None:
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret, interval=STEP)
    now_step = current_step()
    for step in (now_step - 1, now_step, now_step + 1):
        if hmac.compare_digest(totp.generate_otp(step), code) and (
            last_step is None or step > last_step
        ):
            return step
    return None


def current_step() -> int:
    return int(utcnow().replace(tzinfo=datetime.UTC).timestamp()) // STEP


def confirm_totp(user: User, code: str) -> list[str]:
    """Make the pending secret the user's second factor if the code fits; returns new
    recovery codes (shown once)."""
    from flask import session

    secret = pending_totp_secret()
    if secret is None:
        raise SecondFactorError(_("Please start the set-up again."))
    step = _matching_step(secret, code, None)
    if step is None:
        raise SecondFactorError(_("The code does not match. Check the time on your phone."))
    with db.atomic():
        TotpState.delete().where(TotpState.user == user).execute()
        TotpState.create(user=user, secret=crypto.encrypt(TOTP_PURPOSE, secret), last_step=step)
        User.update(second_factor="totp").where(User.id == user.id).execute()
        user.second_factor = "totp"
        codes = _new_recovery_codes(user)
        record("user.second_factor", user, changes={"second_factor": [None, "totp"]})
    session.pop("totp_pending", None)
    return codes


def verify_totp(user: User, code: str) -> bool:
    """A current code of the user's app that was not used before."""
    state = TotpState.get_or_none(TotpState.user == user)
    if state is None:
        return False
    step = _matching_step(crypto.decrypt(TOTP_PURPOSE, state.secret), code, state.last_step)
    if step is None:
        return False
    # Only one request can move last_step past this step: a replay in parallel loses.
    moved = (
        TotpState.update(last_step=step)
        .where(
            TotpState.id == state.id,
            (TotpState.last_step.is_null()) | (TotpState.last_step < step),
        )
        .execute()
    )
    return moved == 1


# --- e-mailed codes -------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_challenge(user: User) -> str:
    """Open the second step of a sign-in; returns the token the browser keeps."""
    token = secrets.token_urlsafe(32)
    LoginChallenge.create(token_hash=_token_hash(token), user=user)
    return token


def challenge_for(token: str | None) -> LoginChallenge | None:
    if not token:
        return None
    challenge = (
        LoginChallenge.select(LoginChallenge, User)
        .join(User)
        .where(LoginChallenge.token_hash == _token_hash(token), LoginChallenge.done == False)  # noqa: E712
        .first()
    )
    if challenge is None or utcnow() - challenge.created_at > CHALLENGE_VALID:
        return None
    return challenge


def send_code(challenge: LoginChallenge) -> None:
    """E-mail a new six-digit code for this sign-in (at most three in ten minutes)."""
    now = utcnow()
    if challenge.first_send_at is None or now - challenge.first_send_at > SEND_WINDOW:
        challenge.first_send_at, challenge.sends = now, 0
    if challenge.sends >= MAX_SENDS:
        raise SecondFactorError(
            _("Three codes have been sent already. Please wait a few minutes and try again.")
        )
    code = f"{secrets.randbelow(10**6):06d}"
    challenge.code_hash = crypto.keyed_hash(CODE_PURPOSE, f"{challenge.id}:{code}")
    challenge.code_expires_at = now + CODE_VALID
    challenge.sends += 1
    challenge.tries = 0
    challenge.save()
    user = challenge.user
    with force_locale(user.locale or "de"):
        queue_mail(
            user.email,
            _("Your sign-in code for Depesche"),
            _(
                "Your code is %(code)s. It is valid for 10 minutes and only for the sign-in "
                "you just started. If that was not you, change your password.",
                code=code,
            ),
        )


def check_code(challenge: LoginChallenge, code: str) -> bool:
    """The e-mailed code of this challenge: valid once, for ten minutes, five tries."""
    code = (code or "").strip().replace(" ", "")
    if not challenge.code_hash or challenge.tries >= MAX_TRIES:
        return False
    LoginChallenge.update(tries=LoginChallenge.tries + 1).where(
        LoginChallenge.id == challenge.id
    ).execute()
    challenge.tries += 1
    if challenge.code_expires_at is None or utcnow() > challenge.code_expires_at:
        return False
    expected = crypto.keyed_hash(CODE_PURPOSE, f"{challenge.id}:{code}")
    if not hmac.compare_digest(expected, challenge.code_hash):
        return False
    used = (
        LoginChallenge.update(code_hash=None)
        .where(LoginChallenge.id == challenge.id, LoginChallenge.code_hash == expected)
        .execute()
    )
    return used == 1


def finish_challenge(challenge: LoginChallenge) -> None:
    LoginChallenge.update(done=True).where(LoginChallenge.id == challenge.id).execute()


def choose_email_codes(user: User) -> list[str]:
    """Use e-mailed codes as the second factor (an app is removed); returns recovery codes."""
    with db.atomic():
        old = user.second_factor
        TotpState.delete().where(TotpState.user == user).execute()
        User.update(second_factor="email").where(User.id == user.id).execute()
        user.second_factor = "email"
        codes = _new_recovery_codes(user)
        record("user.second_factor", user, changes={"second_factor": [old, "email"]})
    return codes


def disable(user: User) -> None:
    """The user turns the second factor off (not where it is required)."""
    if required_for(user):
        raise SecondFactorError(_("A second factor is required for your account."))
    reset(user)


def reset(user: User) -> None:
    """Remove the second factor and recovery codes (also for the operator: a lost phone)."""
    with db.atomic():
        old = user.second_factor
        TotpState.delete().where(TotpState.user == user).execute()
        RecoveryCode.delete().where(RecoveryCode.user == user).execute()
        User.update(second_factor=None).where(User.id == user.id).execute()
        user.second_factor = None
        record("user.second_factor", user, changes={"second_factor": [old, None]})


# --- recovery codes -------------------------------------------------------------------


def _normal_recovery(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def _new_recovery_codes(user: User) -> list[str]:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = [
        "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))
        for _ in range(RECOVERY_CODES)
    ]
    RecoveryCode.delete().where(RecoveryCode.user == user).execute()
    RecoveryCode.insert_many(
        [
            {"user": user.id, "code_hash": crypto.keyed_hash(RECOVERY_PURPOSE, _normal_recovery(c))}
            for c in codes
        ]
    ).execute()
    return codes


def regenerate_recovery_codes(user: User) -> list[str]:
    with db.atomic():
        codes = _new_recovery_codes(user)
        record("user.recovery_codes", user)
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    normal = _normal_recovery(code)
    if len(normal) != 12:
        return False
    digest = crypto.keyed_hash(RECOVERY_PURPOSE, normal)
    used = (
        RecoveryCode.update(used_at=utcnow())
        .where(
            RecoveryCode.user == user,
            RecoveryCode.code_hash == digest,
            RecoveryCode.used_at.is_null(),
        )
        .execute()
    )
    if used:
        record("user.recovery_code_used", user)
    return used == 1


def remaining_recovery_codes(user: User) -> int:
    return (
        RecoveryCode.select()
        .where(RecoveryCode.user == user, RecoveryCode.used_at.is_null())
        .count()
    )


def verify_second_factor(user: User, code: str, challenge: LoginChallenge | None) -> bool:
    """Any valid proof for this user: app code, e-mailed code of this sign-in, recovery code."""
    if user.second_factor == "totp" and verify_totp(user, code):
        return True
    if user.second_factor == "email" and challenge is not None and check_code(challenge, code):
        return True
    return use_recovery_code(user, code)
