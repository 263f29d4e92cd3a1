from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l

from app import nav
from app.admin.sections import sections
from app.security import administrator_only

bp = Blueprint("admin", __name__, url_prefix="/admin")
nav.register(
    "admin.index",
    _l("Administration"),
    order=90,
    allowed=lambda user: user.is_administrator,
    prefix="/admin",
)


@bp.route("/")
@administrator_only
def index():
    """The administration area: its sections, each with what it is for."""
    return render_template("admin/index.html", sections=sections())
