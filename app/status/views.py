from flask import Blueprint, jsonify

from app.security import public
from app.status.services import health

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
