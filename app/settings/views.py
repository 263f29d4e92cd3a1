"""The security settings screen: the run-time settings of app.settings.services as one
form; every change is audited by the service."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.admin import sections
from app.security import administrator_only
from app.settings.forms import settings_form_class
from app.settings.services import DEFINITIONS, SettingError, get, save_settings

bp = Blueprint("settings", __name__, url_prefix="/admin/settings")
sections.register(
    "settings.index",
    _l("Security settings"),
    _l(
        "Password rules, lockout, session lengths, second factor, licensed named users, "
        "the organisation's country."
    ),
    order=40,
)


@bp.route("/", methods=["GET", "POST"])
@administrator_only
def index():
    """Show the settings with their current values; save the ones that changed."""
    form_class = settings_form_class()
    form = form_class(data={key: get(key) for key in DEFINITIONS})
    if form.validate_on_submit():
        values = {key: getattr(form, key).data for key in DEFINITIONS}
        try:
            changed = save_settings(values)
        except SettingError as exc:
            key = exc.args[0]
            message = exc.args[1] if len(exc.args) > 1 else _("This value is not allowed.")
            getattr(form, key).errors = [*getattr(form, key).errors, message]
        else:
            if changed:
                flash(_("The settings have been saved."), "success")
            else:
                flash(_("Nothing was changed."), "info")
            return redirect(url_for("settings.index"))
    status = 422 if request.method == "POST" else 200
    return render_template("settings/index.html", form=form, definitions=DEFINITIONS), status
