"""Bounce messages kept for review (SPEC M7), for administrators: what arrived at a return
path but could not be read as a bounce, or named no known recipient. Each can be
downloaded as it arrived (.eml) and deleted once looked at."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.admin import sections
from app.bounces import services
from app.bounces.models import OUTCOMES
from app.paging import page_number, page_of
from app.security import administrator_only

bp = Blueprint("bounces_admin", __name__, url_prefix="/admin/bounces")
sections.register(
    "bounces_admin.index",
    _l("Bounce messages for review"),
    _l("Messages at the bounce address that could not be read or matched to a recipient."),
    order=55,
)
PAGE_SIZE = 100


@bp.route("/")
@administrator_only
def index():
    page = page_of(services.kept_messages(), page_number(request.args.get("page")), PAGE_SIZE)
    return render_template("bounces/admin.html", page=page, outcomes=OUTCOMES)


@bp.route("/<int:message_id>/message.eml")
@administrator_only
def download(message_id: int):
    """The message as it arrived, as a download (never shown inline: it is untrusted)."""
    from app.audit.services import record

    message = services.kept_message(message_id)
    record(
        "bounce_message.download",
        target_type="bounce_message",
        target_id=message.id,
        target_label=message.subject[:100],
    )
    return Response(
        services.raw_message(message),
        mimetype="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="bounce-{message.id}.eml"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.route("/<int:message_id>/delete", methods=["POST"])
@administrator_only
def delete(message_id: int):
    services.delete_kept(message_id)
    flash(_("The message has been deleted."), "success")
    return redirect(url_for("bounces_admin.index"))
