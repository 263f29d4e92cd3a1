from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user

from app.security import public, safe_next

bp = Blueprint("users", __name__, url_prefix="/account")


@bp.route("/language", methods=["POST"])
@public
def language():
    """Switch the interface language: stored on the user, or in the session before sign-in."""
    code = request.form.get("language", "")
    if code not in current_app.config["LANGUAGES"]:
        flash(_("This language is not available."), "error")
    else:
        session["locale"] = code
        if current_user.is_authenticated:
            current_user.update_locale(code)
        refresh()
    return redirect(safe_next(request.form.get("next")) or url_for("home.index"))
