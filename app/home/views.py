from datetime import datetime

from flask import Blueprint, render_template, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import nav
from app.security import signed_in

bp = Blueprint("home", __name__)
nav.register("home.index", _l("Start"), order=0)


@bp.route("/")
@signed_in
def index():
    """The start screen: who is signed in, with which roles, and when they last were, and
    the organisation's mailing volume (M10)."""
    from app.mailings import volume

    previous = session.get("previous_login_at")
    return render_template(
        "home/index.html",
        user=current_user,
        month=volume.this_month(),
        total=volume.all_time(),
        previous_login=datetime.fromisoformat(previous) if previous else None,
    )
