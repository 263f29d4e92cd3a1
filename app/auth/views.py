from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_user, logout_user

from app.auth.forms import ChangePasswordForm, LoginForm
from app.auth.passwords import hash_password, needs_rehash, verify_password
from app.clock import utcnow
from app.security import public, safe_next, signed_in
from app.users.services import UserError, find_user, set_password

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Sign in with e-mail address and password. The answer to a failure never says
    whether the account exists."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"))
    if form.validate_on_submit():
        user = find_user(form.email.data)
        ok = verify_password(user.password_hash if user else None, form.password.data)
        if ok and user.active:
            _start_session(user, form.password.data)
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            if user.must_change_password:
                return redirect(url_for("auth.change_password"))
            return redirect(safe_next(form.next.data) or url_for("home.index"))
        flash(_("The e-mail address or the password is wrong."), "error")
    elif request.method == "POST":
        flash(_("Please enter your e-mail address and your password."), "error")
    return render_template("auth/login.html", form=form), 200 if request.method == "GET" else 422


def _start_session(user, password: str) -> None:
    locale = session.get("locale")
    session.clear()  # a fresh session at sign-in: nothing from before carries over
    login_user(user)
    if user.last_login_at:  # shown on the start screen, so that misuse stands out
        session["previous_login_at"] = user.last_login_at.isoformat()
    fields = {"last_login_at": utcnow()}
    if needs_rehash(user.password_hash):
        fields["password_hash"] = hash_password(password)
    if user.locale is None and locale:
        fields["locale"] = locale
    user.update(**fields).where(user.__class__.id == user.id).execute()
    for name, value in fields.items():
        setattr(user, name, value)
    refresh()  # from now on the signed-in user's language applies


@bp.route("/logout", methods=["POST"])
@public
def logout():
    """Sign out (POST only, with the CSRF token, so no link elsewhere can do it)."""
    if current_user.is_authenticated:
        logout_user()
    session.clear()
    flash(_("You have been signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def change_password():
    """Replace one's password; required before anything else after a one-time password."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current_password.data):
            form.current_password.errors.append(_("The current password is wrong."))
        elif form.new_password.data == form.current_password.data:
            form.new_password.errors.append(_("The new password must differ from the current one."))
        else:
            user = current_user._get_current_object()
            try:
                set_password(user, form.new_password.data)
            except UserError as exc:
                form.new_password.errors.extend(exc.messages)
            else:
                login_user(user)  # the token changed: this session goes on, all others end
                flash(_("Your password has been changed."), "success")
                return redirect(url_for("home.index"))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/change_password.html", form=form), status
