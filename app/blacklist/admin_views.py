"""The blacklist screen (SPEC M8), for administrators: search, add one entry, paste many,
import a file (.xlsx or .csv), remove, and export as .xlsx or CSV."""

from __future__ import annotations

import csv
import io
import tempfile

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from app import files
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
    return _index()


def _index(imported=None, import_error="", status=200):
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
        imported=imported,
        import_error=import_error,
        max_mb=services.IMPORT_MAX_BYTES // (1024 * 1024),
    ), status


@bp.url_value_preprocessor
def _limit_upload(endpoint, values):
    """An upload over the limit is refused by its announced length, before the CSRF check
    reads the form (413)."""
    if endpoint == "blacklist_admin.import_file" and request.method == "POST":
        request.max_content_length = services.IMPORT_MAX_BYTES + 64 * 1024


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc):
    return _index(import_error=_too_large_message(), status=413)


def _too_large_message():
    return _("The file is larger than %(mb)d MB.", mb=services.IMPORT_MAX_BYTES // (1024 * 1024))


@bp.route("/import", methods=["GET", "POST"])
@administrator_only
def import_file():
    """Addresses and domains from an .xlsx or .csv file (checked and read like the contact
    import's files); the page shows what was added, what was there already, and the lines
    that are neither an address nor a domain."""
    from app.transfer.reading import ImportFileError

    if request.method == "GET":
        return redirect(url_for("blacklist_admin.index"))
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _index(import_error=_("Please choose a file."), status=422)
    if not upload.filename.lower().endswith((".xlsx", ".csv", ".txt")):
        return _index(import_error=_("Please choose an .xlsx or .csv file."), status=422)
    name = files.clean_name(upload.filename)
    with tempfile.NamedTemporaryFile(prefix="blacklist-", suffix=".upload") as handle:
        size = 0
        while chunk := upload.stream.read(1024 * 1024):
            size += len(chunk)
            if size > services.IMPORT_MAX_BYTES:
                return _index(import_error=_too_large_message(), status=413)
            handle.write(chunk)
        handle.flush()
        try:
            result = services.import_file(current_user, handle.name, name)
        except ImportFileError as exc:
            return _index(import_error=str(exc), status=422)
    result["file"] = name
    return _index(imported=result, status=422 if result["invalid"] and not result["added"] else 200)


@bp.route("/export.xlsx")
@administrator_only
def export_xlsx():
    """Every entry as an Excel workbook (text cells, formula-safe); audited."""
    from app.audit.services import record

    handle = tempfile.TemporaryFile()  # noqa: SIM115 (send_file closes it)
    try:
        count = services.export_xlsx(handle)
        record("blacklist.export", details={"entries": count, "format": "xlsx"})
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    response = send_file(
        handle,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"blacklist-{utcnow():%Y-%m-%d}.xlsx",
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


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
