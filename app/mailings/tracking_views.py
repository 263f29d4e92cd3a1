"""The public endpoints of open and click tracking (app/mailings/tracking.py): reached from
recipients' mail programs, without signing in; plain GETs that change nothing but a
recipient's counters, so no CSRF token; limited per source address like the other public
endpoints. A forged or altered link is 404 and counts nothing."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, make_response, redirect, request

from app.extensions import limiter
from app.mailings import tracking
from app.security import public

bp = Blueprint("tracking", __name__, url_prefix="/t")

# generous: a webmail provider's image proxy fetches the pixels of many recipients from
# one address
DEFAULT_LIMIT = "600 per minute; 20000 per hour"


def _limit() -> str:
    return current_app.config.get("TRACKING_RATE_LIMIT") or DEFAULT_LIMIT


@bp.route("/o/<value>.gif")
@public
@limiter.limit(_limit)
def opened(value: str):
    """The pixel: counts an open, answers a 1×1 transparent GIF."""
    token = tracking.verified_open(value)
    if token is None:
        abort(404)
    tracking.record_open(token)
    response = make_response(tracking.PIXEL)
    response.mimetype = "image/gif"
    response.headers["Cache-Control"] = "no-store, private"
    # loaded by webmail pages of other origins: a same-origin policy would block it
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@bp.route("/c/<value>")
@public
@limiter.limit(_limit)
def clicked(value: str):
    """A tracked link: counts a click and redirects to the URL signed into the link."""
    url = request.args.get("u", "")
    token = tracking.verified_click(value, url)
    if token is None:
        abort(404)
    tracking.record_click(token)
    response = redirect(url, code=302)
    response.headers["Cache-Control"] = "no-store, private"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
