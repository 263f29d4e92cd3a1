"""Signing in (password, then the second factor), forgotten passwords, signing out, and
changing one's password (SPEC S1–S5)."""

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_datetime, refresh
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.audit.services import record
from app.auth import lockout, resets, sessions, twofactor
from app.auth.forms import ChangePasswordForm, CodeForm, ForgotForm, LoginForm
from app.auth.passwords import hash_password, is_expired, needs_rehash, verify_password
from app.clock import utcnow
from app.extensions import db, limiter
from app.security import public, safe_next, signed_in
from app.users.models import User
from app.users.services import UserError, find_user, set_password

bp = Blueprint("auth", __name__)


def _auth_limit():
    return current_app.config["AUTH_RATE_LIMIT"]


def _form_status():
    return 422 if request.method == "POST" else 200


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_auth_limit, methods=["POST"])
def login():
    """Sign in with e-mail address and password. A failure never says whether the account
    exists; that an account is locked is said only to someone who knows its password."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"))
    if form.validate_on_submit():
        user = find_user(form.email.data)
        password = form.password.data
        ok = verify_password(user.password_hash if user else None, password)
        reset = None
        if user and not ok:
            reset = resets.matching(user, password)
        if user is None or not user.active:
            lockout.log_attempt(user, form.email.data, "unknown_account")
        elif lockout.is_locked(user):
            lockout.log_attempt(user, form.email.data, "locked")
            if ok or reset:
                flash(
                    _(
                        "This account is locked after too many failed attempts until %(time)s.",
                        time=format_datetime(user.locked_until, "short"),
                    ),
                    "error",
                )
                return render_template("auth/login.html", form=form), 422
        elif ok or reset:
            if ok and needs_rehash(user.password_hash):
                User.update(password_hash=hash_password(password)).where(
                    User.id == user.id
                ).execute()
            if reset:
                resets.use(user, reset)
                user = User.get_by_id(user.id)
            return _password_accepted(user, form.next.data)
        else:
            with db.atomic():
                lockout.register_failure(user, form.email.data, "wrong_password")
                record("user.login_failed", user, details={"reason": "wrong_password"})
        flash(_("The e-mail address or the password is wrong."), "error")
    elif request.method == "POST":
        flash(_("Please enter your e-mail address and your password."), "error")
    return render_template("auth/login.html", form=form), _form_status()


def _password_accepted(user: User, next_url: str | None):
    """The first factor is right: ask for the second, or complete the sign-in."""
    if not user.second_factor:
        return _complete_sign_in(user, next_url)
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    token = twofactor.start_challenge(user)
    session["pending_login"] = {"challenge": token, "next": safe_next(next_url)}
    if user.second_factor == "email":
        twofactor.send_code(twofactor.challenge_for(token))  # a new challenge has sends left
    return redirect(url_for("auth.verify"))


def _complete_sign_in(user: User, next_url: str | None):
    locale = session.get("locale")
    session.clear()  # a fresh session at sign-in: nothing from before carries over
    with db.atomic():
        user.session_cookie_token = sessions.start(user)
        login_user(user)
        lockout.register_success(user)
        if user.last_login_at:  # shown on the start screen, so that misuse stands out
            session["previous_login_at"] = user.last_login_at.isoformat()
        fields = {"last_login_at": utcnow()}
        if user.locale is None and locale:
            fields["locale"] = locale
        if is_expired(user):
            fields["must_change_password"] = True
        User.update(**fields).where(User.id == user.id).execute()
        for name, value in fields.items():
            setattr(user, name, value)
        record("user.login", user)
    refresh()  # from now on the signed-in user's language applies
    flash(_("Welcome, %(name)s.", name=user.name), "success")
    if user.must_change_password:
        return redirect(url_for("auth.change_password"))
    if twofactor.needs_setup(user):
        return redirect(url_for("account.security"))
    return redirect(safe_next(next_url) or url_for("home.index"))


def _pending():
    pending = session.get("pending_login") or {}
    return pending, twofactor.challenge_for(pending.get("challenge"))


@bp.route("/login/verify", methods=["GET", "POST"])
@public
@limiter.limit(_auth_limit, methods=["POST"])
def verify():
    """The second step of a sign-in: a code from the app or e-mail, or a recovery code."""
    pending, challenge = _pending()
    if challenge is None:
        session.pop("pending_login", None)
        flash(_("Please sign in again."), "info")
        return redirect(url_for("auth.login"))
    user = challenge.user
    form = CodeForm()
    if form.validate_on_submit():
        if lockout.is_locked(user):
            session.pop("pending_login", None)
            flash(_("This account is locked after too many failed attempts."), "error")
            return redirect(url_for("auth.login"))
        if twofactor.verify_second_factor(user, form.code.data, challenge):
            twofactor.finish_challenge(challenge)
            return _complete_sign_in(user, pending.get("next"))
        with db.atomic():
            lockout.register_failure(user, user.email, "wrong_code")
            record("user.login_failed", user, details={"reason": "wrong_code"})
        form.code.errors.append(_("The code is not valid."))
    return render_template("auth/verify.html", form=form, method=user.second_factor), (
        _form_status()
    )


@bp.route("/login/verify/resend", methods=["POST"])
@public
@limiter.limit(_auth_limit)
def resend_code():
    """Send a new e-mailed code for the sign-in in progress."""
    _, challenge = _pending()
    if challenge is None or challenge.user.second_factor != "email":
        return redirect(url_for("auth.login"))
    try:
        twofactor.send_code(challenge)
    except twofactor.SecondFactorError as exc:
        flash(str(exc), "error")
    else:
        flash(_("A new code is on its way."), "info")
    return redirect(url_for("auth.verify"))


@bp.route("/login/forgot", methods=["GET", "POST"])
@public
@limiter.limit(_auth_limit, methods=["POST"])
def forgot():
    """Ask for a one-time password by e-mail; the answer is the same for every address."""
    form = ForgotForm()
    if form.validate_on_submit():
        resets.request_reset(form.email.data)
        flash(
            _(
                "If an account exists for this address, an e-mail with a one-time password "
                "is on its way. It is valid for 30 minutes."
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form), _form_status()


@bp.route("/logout", methods=["POST"])
@public
def logout():
    """Sign out (POST only, with the CSRF token, so no link elsewhere can do it)."""
    if current_user.is_authenticated:
        record_ = current_user.current_session
        if record_ is not None:
            sessions.end(record_)
        logout_user()
    session.clear()
    flash(_("You have been signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def change_password():
    """Replace one's password; required first after a one-time or an expired password.
    Every other session of the user ends."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if not verify_password(user.password_hash, form.current_password.data):
            form.current_password.errors.append(_("The current password is wrong."))
        elif form.new_password.data == form.current_password.data:
            form.new_password.errors.append(_("The new password must differ from the current one."))
        else:
            try:
                set_password(user, form.new_password.data)
            except UserError as exc:
                form.new_password.errors.extend(exc.messages)
            else:
                # the user's generation changed: every session ended; this one starts anew
                user.session_cookie_token = sessions.start(user)
                login_user(user)
                sessions.mark_authenticated(sessions.record_for(user.session_cookie_token))
                flash(_("Your password has been changed."), "success")
                return redirect(url_for("home.index"))
    return render_template("auth/change_password.html", form=form), _form_status()
