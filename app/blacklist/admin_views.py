"""The blacklist screen (SPEC M8), for administrators: search, add one entry, paste many,
remove, and export as CSV."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.admin import sections
from app.blacklist import services
from app.blacklist.models import REASONS, BlacklistEntry
from app.clock import utcnow
from app.paging import page_number, page_of
from app.security import administrator_only

bp = Blueprint("blacklist_admin", __name__, url_prefix="/admin/blacklist")
sections.register(
    "blacklist_admin.index",
    _l("Blacklist"),
    _l("Addresses and domains that no mailing goes to: unsubscribes, bounces, by hand."),
    order=50,
)
PAGE_SIZE = 100
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@bp.route("/")
@administrator_only
def index():
    q = (request.args.get("q") or "").strip().lower()[:254]
    query = BlacklistEntry.select().order_by(BlacklistEntry.value)
    if q:
        query = query.where(BlacklistEntry.value.contains(q))
    page = page_of(query, page_number(request.args.get("page")), PAGE_SIZE)
    return render_template(
        "blacklist/index.html",
        page=page,
        q=q,
        reasons=REASONS,
        total=BlacklistEntry.select().count(),
    )


@bp.route("/add", methods=["POST"])
@administrator_only
def add():
    """One entry (`value`, `note`) or many pasted ones (`values`)."""
    try:
        if "values" in request.form:
            result = services.add_many(current_user, request.form.get("values", ""))
            flash(
                _(
                    "%(added)d added, %(present)d already on the blacklist.",
                    added=result["added"],
                    present=result["present"],
                ),
                "success",
            )
            if result["invalid"]:
                flash(
                    _(
                        "Neither an address nor a domain: %(list)s",
                        list=", ".join(result["invalid"][:50]),
                    ),
                    "error",
                )
        else:
            entry = services.add(
                current_user, request.form.get("value", ""), "manual", request.form.get("note", "")
            )
            if entry is None:
                flash(_("This is on the blacklist already."), "error")
            else:
                flash(_("%(value)s is on the blacklist now.", value=entry.value), "success")
    except services.BlacklistError as exc:
        flash(exc.message, "error")
    return redirect(url_for("blacklist_admin.index"))


@bp.route("/<int:entry_id>/remove", methods=["POST"])
@administrator_only
def remove(entry_id: int):
    entry = services.remove(current_user, entry_id)
    if entry is None:
        flash(_("This entry does not exist (any more)."), "error")
    else:
        flash(_("%(value)s is no longer on the blacklist.", value=entry.value), "success")
    return redirect(url_for("blacklist_admin.index"))


def _cell(value: str) -> str:
    """A CSV cell a spreadsheet shows as text, never as a formula (the same rule as the
    Excel exports)."""
    return "'" + value if value.startswith(FORMULA_START) else value


@bp.route("/export.csv")
@administrator_only
def export():
    """Every entry as CSV (UTF-8 with BOM, so that spreadsheets read the umlauts)."""
    from app.audit.services import record

    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(["value", "kind", "reason", "note", "created_at"])
    count = 0
    for entry in BlacklistEntry.select().order_by(BlacklistEntry.value).iterator():
        writer.writerow(
            [
                _cell(entry.value),
                entry.kind,
                entry.reason,
                _cell(entry.note),
                entry.created_at.isoformat(timespec="seconds"),
            ]
        )
        count += 1
    record("blacklist.export", details={"entries": count})
    name = f"blacklist-{utcnow():%Y-%m-%d}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
