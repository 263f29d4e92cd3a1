"""The unsubscribe link of every mailing message (SPEC M8; RFC 8058): public, without
sign-in. A GET shows what the link does and a button; a POST unsubscribes — the button's,
or a mail program's one-click POST with `List-Unsubscribe=One-Click`, which carries no
session and so no CSRF token (the signed link is the proof). A forged or unknown link
changes nothing and says so."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from app.extensions import csrf, limiter
from app.mailings import dispatch
from app.security import public

bp = Blueprint("unsubscribe", __name__, url_prefix="/u")
LIMIT = "30 per minute; 300 per hour"


@bp.route("/<token>/<signature>", methods=["GET", "POST"])
@public
@csrf.exempt
@limiter.limit(LIMIT)
def unsubscribe(token: str, signature: str):
    recipient = dispatch.recipient_for_link(token, signature)
    if recipient is None:
        return render_template("unsubscribe/invalid.html"), 404
    if request.method == "GET":
        return render_template("unsubscribe/confirm.html", recipient=recipient)
    dispatch.unsubscribe(recipient)
    return render_template("unsubscribe/done.html", recipient=recipient)
