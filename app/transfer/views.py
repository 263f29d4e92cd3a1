"""The import wizard (SPEC L3): upload → sheet → columns, duplicates and list → preview →
run (a progress bar that polls itself while the task runs) → report, downloadable as .xlsx.
Everything needs full access to the job's client; a hidden client's job is 404."""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from app.clients.models import FULL
from app.clients.services import clients_for
from app.htmx import is_partial
from app.security import signed_in
from app.transfer import mapping as maps
from app.transfer import reading, services
from app.transfer.models import ON_DUPLICATE, STATES, ImportIssue, ImportJob
from app.transfer.reading import ImportFileError

bp = Blueprint("transfer", __name__, url_prefix="/imports")

ISSUES_SHOWN = 200


@bp.url_value_preprocessor
def _limit_upload(endpoint, values):
    """Runs before the CSRF check reads the form: an upload over the limit is refused by
    its announced length, before a byte of it is read (413)."""
    if endpoint == "transfer.index" and request.method == "POST":
        request.max_content_length = reading.MAX_UPLOAD + 64 * 1024  # the form around it


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc):
    return _index(error=services.too_large_message(), status=413)


def _index(error="", status=200):
    jobs = list(ImportJob.visible_to(current_user).order_by(ImportJob.created_at.desc()).limit(50))
    return (
        render_template(
            "transfer/index.html",
            jobs=jobs,
            clients=list(clients_for(current_user, FULL)),
            states=STATES,
            error=error,
            max_mb=reading.MAX_UPLOAD // (1024 * 1024),
        ),
        status,
    )


@bp.route("/", methods=["GET", "POST"])
@signed_in
def index():
    """The imports the user sees and the upload form; a POST stores and checks the file."""
    if request.method == "GET":
        return _index()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _index(error=_("Please choose a file."), status=422)
    if not upload.filename.lower().endswith((".xlsx", ".csv", ".txt")):
        return _index(error=_("Please choose an .xlsx or .csv file."), status=422)
    try:
        job = services.create_job(
            current_user, request.form.get("client_id"), upload.stream, upload.filename
        )
    except ImportFileError as exc:
        return _index(error=str(exc), status=422)
    if job.kind == "xlsx" and len(services.sheets(job)) > 1:
        return redirect(url_for("transfer.sheet", job_id=job.id))
    return redirect(url_for("transfer.columns", job_id=job.id))


def _new_job(job_id) -> ImportJob:
    job = ImportJob.get_writable_or_403(current_user, job_id)
    if job.state != "new":
        abort(redirect(url_for("transfer.job", job_id=job.id)))
    return job


@bp.route("/<int:job_id>/sheet", methods=["GET", "POST"])
@signed_in
def sheet(job_id):
    job = _new_job(job_id)
    error = ""
    if request.method == "POST":
        try:
            services.choose_sheet(current_user, job.id, request.form.get("sheet", ""))
            return redirect(url_for("transfer.columns", job_id=job.id))
        except ImportFileError as exc:
            error = str(exc)
    status = 422 if error else 200
    return render_template(
        "transfer/sheet.html", job=job, sheets=services.sheets(job), error=error
    ), status


@bp.route("/<int:job_id>/columns", methods=["GET", "POST"])
@signed_in
def columns(job_id):
    """Map each column to a field, choose the duplicate rule and a list."""
    job = _new_job(job_id)
    errors = {}
    if request.method == "POST":
        wanted = {
            key[len("col-") :]: value
            for key, value in request.form.items()
            if key.startswith("col-")
        }
        try:
            services.save_mapping(
                current_user,
                job.id,
                wanted,
                request.form.get("on_duplicate", ""),
                request.form.get("list_id") or None,
            )
            return redirect(url_for("transfer.preview", job_id=job.id))
        except services.MappingError as exc:
            errors = exc.errors
            job.mapping = services.json.dumps({k: v for k, v in wanted.items() if v in maps.FIELDS})
            job.on_duplicate = request.form.get("on_duplicate", job.on_duplicate)
    info = services._info(job)
    samples = reading.first_rows(
        services.files.path_for(job.file_sha256), info, job.sheet, job.header_row + 3
    )[job.header_row :]
    return render_template(
        "transfer/columns.html",
        job=job,
        headers=services.columns(job),
        mapping=services.job_mapping(job),
        samples=samples,
        fields=maps.FIELDS,
        policies=ON_DUPLICATE,
        lists=list(services.importable_lists(current_user, job)),
        errors=errors,
    ), (422 if errors else 200)


@bp.route("/<int:job_id>/preview")
@signed_in
def preview(job_id):
    job = _new_job(job_id)
    mapping = services.job_mapping(job)
    return render_template(
        "transfer/preview.html",
        job=job,
        rows=services.preview(current_user, job),
        headers=services.columns(job),
        mapping=mapping,
        fields=maps.FIELDS,
        policies=ON_DUPLICATE,
    )


@bp.route("/<int:job_id>/start", methods=["POST"])
@signed_in
def start(job_id):
    job = _new_job(job_id)
    try:
        services.start(current_user, job.id, str(get_locale()))
    except services.MappingError:
        return redirect(url_for("transfer.columns", job_id=job.id))
    return redirect(url_for("transfer.job", job_id=job.id))


def _job_context(job):
    issues = list(job.issues.order_by(ImportIssue.row, ImportIssue.id).limit(ISSUES_SHOWN))
    return {
        "job": job,
        "states": STATES,
        "issues": issues,
        "more_issues": job.skipped + job.rejected > len(issues) and not job.purged_at,
        "keep_days": services.KEEP_DAYS,
    }


@bp.route("/<int:job_id>")
@signed_in
def job(job_id):
    """A job: where it stands, and its report when done."""
    job = ImportJob.get_writable_or_403(current_user, job_id)
    if job.state == "new":
        return redirect(url_for("transfer.columns", job_id=job.id))
    return render_template("transfer/job.html", **_job_context(job))


@bp.route("/<int:job_id>/progress")
@signed_in
def progress(job_id):
    """The progress partial: it polls itself every second while the job waits or runs;
    the answer after the end has no trigger, so polling stops (and shows the report)."""
    job = ImportJob.get_writable_or_403(current_user, job_id)
    if not is_partial():
        return redirect(url_for("transfer.job", job_id=job.id))
    return render_template("transfer/_progress.html", **_job_context(job))


@bp.route("/<int:job_id>/report.xlsx")
@signed_in
def report(job_id):
    job = ImportJob.get_writable_or_403(current_user, job_id)
    if job.state not in ("done", "failed"):
        abort(404)
    if job.purged_at:
        flash(
            _("The report was deleted %(days)d days after the import.", days=services.KEEP_DAYS),
            "error",
        )
        return redirect(url_for("transfer.job", job_id=job.id))
    buffer = io.BytesIO()
    services.write_report(job, buffer)
    buffer.seek(0)
    response = send_file(
        buffer,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"{job.file_name.rsplit('.', 1)[0]}.report.xlsx",
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
