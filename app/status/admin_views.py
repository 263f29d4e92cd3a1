"""The system status page for administrators (SPEC O4, O6): the health checks of /healthz
and what the backups last did at each site, with the 26-hour alarm."""

from datetime import UTC, datetime

from flask import Blueprint, current_app, render_template
from flask_babel import lazy_gettext as _l

from app.admin import sections
from app.security import administrator_only
from app.status.backups import ALARM_HOURS, site_states
from app.status.services import health

bp = Blueprint("status_admin", __name__, url_prefix="/admin/status")
sections.register(
    "status_admin.index",
    _l("System status"),
    _l("Database, queue, worker, free disk space, and the last backup at each site."),
    order=15,
)


@bp.route("/")
@administrator_only
def index():
    now = datetime.now(UTC)
    states = site_states(current_app.config["DATA_DIR"])
    return render_template(
        "status/admin.html",
        checks=health(),
        sites=states,
        alarms=[s for s in states if s.alarm(now)],
        alarm_hours=ALARM_HOURS,
    )
