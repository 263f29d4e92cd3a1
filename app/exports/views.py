"""Export screens: a list's members to .xlsx (SPEC L4), the administrator's full data export
at /admin/export (L5), and a person's access report as PDF or JSON (L6)."""

from __future__ import annotations

import io
import json
import tempfile

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import files
from app.admin import sections
from app.clock import utcnow
from app.contacts.models import Person
from app.events.models import Event
from app.exports import report, services
from app.exports.models import JOB_STATES, ExportJob
from app.exports.persons import DEFAULT_COLUMNS, PERSON_COLUMNS
from app.lists.models import DistributionList
from app.security import administrator_only, signed_in

bp = Blueprint("exports", __name__)
sections.register(
    "exports.admin_index",
    _l("Data export"),
    _l("All data of the organisation in one ZIP file: every table as CSV, and the documents."),
    order=50,
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REPORT_FORMATS = ("pdf", "json")


def _register_history_label():
    # the person's History tab names the report's audit entry like its own actions
    from app.contacts.views import ACTION_LABELS

    ACTION_LABELS.setdefault("person.access_report", _l("Access report made"))


_register_history_label()


# --- a list's members (L4) ------------------------------------------------------------


def _person_export(
    name, crumbs, action, counts, write, columns=PERSON_COLUMNS, defaults=DEFAULT_COLUMNS, notes=()
):
    """Choose the columns, then download .xlsx: `write(chosen keys, file)` writes it and
    returns the number of rows; `counts` is (exported, blocked left out); `columns` what
    may be chosen, `defaults` what is ticked at first, `notes` more lines for the count."""
    chosen = request.form.getlist("columns") if request.method == "POST" else defaults
    error = ""
    if request.method == "POST":
        handle = tempfile.TemporaryFile()  # noqa: SIM115 (send_file closes it)
        try:
            rows = write(chosen, handle)
        except services.ExportError as exc:
            handle.close()
            error = str(exc)
        except BaseException:
            handle.close()
            raise
        else:
            handle.seek(0)
            response = send_file(
                handle,
                mimetype=XLSX,
                as_attachment=True,
                download_name=files.clean_name(f"{name}.xlsx"),
                max_age=0,
            )
            response.headers["Cache-Control"] = "private, no-store"
            response.headers["X-Export-Rows"] = str(rows)
            return response
    count, blocked = counts
    return render_template(
        "exports/columns.html",
        name=name,
        crumbs=crumbs,
        action=action,
        columns=columns,
        chosen=set(chosen),
        notes=notes,
        count=count,
        blocked=blocked,
        error=error,
    ), (422 if error else 200)


@bp.route("/exports/lists/<int:list_id>", methods=["GET", "POST"])
@signed_in
def list_export(list_id: int):
    """A list's members. Reading the list is enough: whoever sees the members on screen
    may take them along (docs/decisions.md D38)."""
    lst = DistributionList.get_visible_or_404(current_user, list_id)
    return _person_export(
        lst.name,
        [(_("Lists"), url_for("lists.index")), (lst.name, url_for("lists.detail", list_id=lst.id))],
        url_for("exports.list_export", list_id=lst.id),
        services.member_counts(current_user, lst),
        lambda chosen, handle: services.export_list(current_user, lst, chosen, handle),
    )


@bp.route("/exports/events/<int:event_id>", methods=["GET", "POST"])
@signed_in
def event_export(event_id: int):
    """An event's invitations with the answers (the participant list, L2/L4); reading the
    event is enough, like for lists."""
    event = Event.get_visible_or_404(current_user, event_id)
    return _person_export(
        event.title,
        [
            (_("Events"), url_for("events.index")),
            (event.title, url_for("events.detail", event_id=event.id)),
        ],
        url_for("exports.event_export", event_id=event.id),
        services.invitation_counts(current_user, event),
        lambda chosen, handle: services.export_event(current_user, event, chosen, handle),
    )


@bp.route("/exports/mailings/<int:mailing_id>", methods=["GET", "POST"])
@signed_in
def mailing_export(mailing_id: int):
    """A mailing's recipients with their delivery state (L4, M6); whoever sees the report
    may take it along, like a list's members."""
    from app.mailings.models import Mailing

    mailing = Mailing.get_visible_or_404(current_user, mailing_id)
    count, blocked, gone = services.recipient_counts(current_user, mailing)
    notes = [_("%(n)d without a contact (deleted) left out", n=gone)] if gone else []
    title = mailing.subject or _("Mailing")
    return _person_export(
        title,
        [
            (_("Mailings"), url_for("mailings.index")),
            (title, url_for("mailing_reports.report", mailing_id=mailing.id)),
        ],
        url_for("exports.mailing_export", mailing_id=mailing.id),
        (count, blocked),
        lambda chosen, handle: services.export_mailing(current_user, mailing, chosen, handle),
        columns=services.mailing_columns(mailing),
        defaults=services.MAILING_DEFAULT_COLUMNS,
        notes=notes,
    )


# --- a person's access report (L6) ----------------------------------------------------


def _report_language() -> str:
    locale = str(get_locale() or "en")
    return locale if locale in report.LANGUAGES else "en"


@bp.route("/exports/persons/<int:person_id>/report", methods=["GET", "POST"])
@signed_in
def person_report(person_id: int):
    """Everything stored about a person (GDPR Art. 15) as PDF or JSON, in the chosen
    language. Needs read access to the person's client; erased persons have nothing left
    to report (404)."""
    person = Person.get_visible_or_404(current_user, person_id)
    if person.erased_at:
        abort(404)
    lang = request.values.get("lang") or _report_language()
    kind = request.values.get("format", "pdf")
    if request.method == "GET" or lang not in report.LANGUAGES or kind not in REPORT_FORMATS:
        error = (
            "" if request.method == "GET" else _("Please choose PDF or JSON, German or English.")
        )
        return render_template(
            "exports/person_report_form.html", person=person, lang=lang, error=error
        ), (422 if error else 200)
    return _report_response(person, lang, kind)


def _report_response(person, lang: str, kind: str):
    from app.audit.services import record
    from app.pdf import render_pdf  # WeasyPrint loads its libraries on first use only

    sections_ = report.build(current_user, person)
    now = utcnow()
    meta = {
        "person_id": person.id,
        "generated_at": now,
        "generated_by": current_user.name,
        "language": lang,
    }
    with force_locale(lang):
        word = _("access-report")  # the file name's first part
        stem = f"{word}-{person.id}-{now:%Y%m%d}"
        if kind == "json":
            body = json.dumps(report.as_json(sections_, meta), ensure_ascii=False, indent=2)
            content, mimetype = body.encode(), "application/json"
        else:
            content = render_pdf(
                "exports/person_report.html",
                person=person,
                sections=sections_,
                meta=meta,
                lang=lang,
            )
            mimetype = "application/pdf"
    response = send_file(
        io.BytesIO(content),
        mimetype=mimetype,
        as_attachment=True,
        download_name=files.clean_name(f"{stem}.{kind}"),
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    record(
        "person.access_report",
        person,
        details={"format": kind, "language": lang, "sections": [s.key for s in sections_]},
    )
    return response


# --- the full data export (L5) --------------------------------------------------------


@bp.route("/admin/export/", methods=["GET", "POST"])
@administrator_only
def admin_index():
    """Start a full export; the latest ones with their state and download."""
    if request.method == "POST":
        try:
            job = services.start_full_export(current_user)
        except services.ExportError as exc:
            flash(str(exc), "error")
        else:
            if job.state == "failed":
                flash(_("The export failed: %(error)s", error=job.error), "error")
            else:
                flash(_("The export has been started."), "success")
        return redirect(url_for("exports.admin_index"))
    services.purge()
    jobs = list(ExportJob.select().order_by(ExportJob.id.desc()).limit(10))
    return render_template(
        "exports/admin.html",
        jobs=jobs,
        active=services.active_job(),
        states=JOB_STATES,
        keep_days=services.KEEP_DAYS,
    )


@bp.route("/admin/export/<int:job_id>")
@administrator_only
def job(job_id: int):
    """A job's state: the self-polling partial for htmx (it stops polling once the job is
    finished), the export page otherwise."""
    export = ExportJob.get_or_none(ExportJob.id == job_id)
    if export is None:
        abort(404)
    if request.headers.get("HX-Request") != "true":
        return redirect(url_for("exports.admin_index"))
    return render_template("exports/_job.html", job=export, states=JOB_STATES)


@bp.route("/admin/export/<int:job_id>/download")
@administrator_only
def download(job_id: int):
    """The ZIP of a finished export, for administrators only; the download is audited."""
    export = ExportJob.get_or_none(ExportJob.id == job_id)
    path = services.file_path(export) if export else None
    if path is None:
        abort(404)
    services.record_download(export)
    response = send_file(
        path,
        mimetype="application/zip",
        as_attachment=True,
        download_name=export.file_name,
        max_age=0,
        conditional=True,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
