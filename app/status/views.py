from datetime import UTC, datetime

from flask import Blueprint, current_app, jsonify, render_template

from app.security import public, signed_in
from app.status import notices
from app.status.backups import site_states
from app.status.services import check_mail_relay, health

bp = Blueprint("status", __name__)


@bp.route("/healthz")
@public
def healthz():
    """Machine-readable health: 200 when database, queue and data directory are fine."""
    result = health()
    response = jsonify(result)
    response.status_code = 200 if result["status"] == "ok" else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/status")
@signed_in
def page():
    """The state of the service for every user (SPEC A8): web, worker, database, mail
    relay, last backup, and the operator's notices."""
    now = datetime.now(UTC)
    checks = health()
    sites = site_states(current_app.config["DATA_DIR"])
    return render_template(
        "status/page.html",
        checks=checks,
        relay=check_mail_relay(),
        sites=sites,
        backup_ok=not any(s.alarm(now) for s in sites),
        last_backup=max((s.last_success for s in sites if s.last_success), default=None),
        notices=notices.current(),
    )
