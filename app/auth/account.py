"""One's own security: second factor, recovery codes and open sessions (SPEC S4, S5)."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import sessions, twofactor
from app.auth.forms import ConfirmCodeForm, ReauthenticateForm
from app.auth.models import UserSession
from app.auth.passwords import verify_password
from app.security import safe_next, signed_in

bp = Blueprint("account", __name__, url_prefix="/account")

RECENT_MINUTES = 15


def recent_sign_in_required(view):
    """Changes to the second factor need a sign-in younger than 15 minutes."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not sessions.recently_authenticated(current_user.current_session, RECENT_MINUTES):
            return redirect(url_for("account.reauthenticate", next=request.path))
        return view(*args, **kwargs)

    return wrapper


def _show_codes(codes: list[str]):
    session["fresh_recovery_codes"] = codes
    return redirect(url_for("account.recovery_codes"))


@bp.route("/security")
@signed_in
def security():
    """Second factor and open sessions of the signed-in user."""
    user = current_user._get_current_object()
    return render_template(
        "account/security.html",
        user=user,
        required=twofactor.required_for(user),
        remaining_codes=twofactor.remaining_recovery_codes(user),
        sessions=sessions.open_sessions(user),
        current_id=user.current_session.id if user.current_session else None,
    )


@bp.route("/reauthenticate", methods=["GET", "POST"])
@signed_in
def reauthenticate():
    """Enter the password (and a code) again before a sensitive change."""
    user = current_user._get_current_object()
    form = ReauthenticateForm()
    if form.validate_on_submit():
        ok = verify_password(user.password_hash, form.password.data)
        if ok and user.second_factor == "totp":
            ok = twofactor.verify_totp(user, form.code.data) or twofactor.use_recovery_code(
                user, form.code.data
            )
        elif ok and user.second_factor == "email":
            ok = twofactor.use_recovery_code(user, form.code.data) or _email_code_ok(form.code.data)
        if ok:
            sessions.mark_authenticated(user.current_session)
            return redirect(safe_next(request.args.get("next")) or url_for("account.security"))
        flash(_("That did not match. Please try again."), "error")
    elif request.method == "GET" and user.second_factor == "email":
        _send_reauth_code(user)
    status = 422 if request.method == "POST" else 200
    return render_template("account/reauthenticate.html", form=form, user=user), status


def _send_reauth_code(user):
    token = twofactor.start_challenge(user)
    session["reauth_challenge"] = token
    try:
        twofactor.send_code(twofactor.challenge_for(token))
    except twofactor.SecondFactorError as exc:
        flash(str(exc), "error")


def _email_code_ok(code: str) -> bool:
    challenge = twofactor.challenge_for(session.get("reauth_challenge"))
    if challenge is None or challenge.user_id != current_user.id:
        return False
    if twofactor.check_code(challenge, code):
        twofactor.finish_challenge(challenge)
        session.pop("reauth_challenge", None)
        return True
    return False


@bp.route("/second-factor/app", methods=["GET", "POST"])
@signed_in
@recent_sign_in_required
def setup_totp():
    """Set up an authenticator app: scan the QR code, confirm with a code."""
    user = current_user._get_current_object()
    form = ConfirmCodeForm()
    secret = twofactor.pending_totp_secret()
    if request.method == "GET" or secret is None:
        secret = twofactor.begin_totp(user)
    if form.validate_on_submit():
        try:
            codes = twofactor.confirm_totp(user, form.code.data)
        except twofactor.SecondFactorError as exc:
            form.code.errors.append(str(exc))
        else:
            flash(_("Your authenticator app is set up."), "success")
            return _show_codes(codes)
    uri = twofactor.provisioning_uri(user, secret)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "account/setup_totp.html",
        form=form,
        qr=twofactor.qr_data_uri(uri),
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    ), status


@bp.route("/second-factor/email", methods=["POST"])
@signed_in
@recent_sign_in_required
def use_email_codes():
    """Use codes sent by e-mail instead of an app."""
    codes = twofactor.choose_email_codes(current_user._get_current_object())
    flash(_("From now on you receive a code by e-mail when you sign in."), "success")
    return _show_codes(codes)


@bp.route("/second-factor/disable", methods=["POST"])
@signed_in
@recent_sign_in_required
def disable_second_factor():
    """Turn the second factor off, where the account does not require one."""
    try:
        twofactor.disable(current_user._get_current_object())
    except twofactor.SecondFactorError as exc:
        flash(str(exc), "error")
    else:
        flash(_("The second factor is turned off."), "info")
    return redirect(url_for("account.security"))


@bp.route("/recovery-codes", methods=["GET", "POST"])
@signed_in
def recovery_codes():
    """New recovery codes (POST, needs a recent sign-in) are shown exactly once (GET)."""
    if request.method == "POST":
        if not sessions.recently_authenticated(current_user.current_session, RECENT_MINUTES):
            return redirect(url_for("account.reauthenticate", next=url_for("account.security")))
        if not current_user.second_factor:
            abort(404)
        return _show_codes(twofactor.regenerate_recovery_codes(current_user._get_current_object()))
    codes = session.pop("fresh_recovery_codes", None)
    if not codes:
        return redirect(url_for("account.security"))
    return render_template("account/recovery_codes.html", codes=codes)


@bp.route("/sessions/<int:session_id>/end", methods=["POST"])
@signed_in
def end_session(session_id: int):
    """Sign out one of one's other browsers."""
    record = UserSession.get_or_none(
        UserSession.id == session_id, UserSession.user == current_user.id
    )
    if record is None:
        abort(404)
    sessions.end(record)
    flash(_("The session has been ended."), "info")
    return redirect(url_for("account.security"))


@bp.route("/sessions/end-others", methods=["POST"])
@signed_in
def end_other_sessions():
    """Sign out everywhere but here."""
    current = current_user.current_session
    count = sessions.end_all(current_user._get_current_object(), except_id=current.id)
    flash(_("%(n)d other sessions have been ended.", n=count), "info")
    return redirect(url_for("account.security"))
