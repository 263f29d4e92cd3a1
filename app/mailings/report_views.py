"""A mailing's delivery report (SPEC M6): state, counts and rates, the delivery over time,
and the recipients with their state and the relay's answer. Anyone who sees the mailing's
client sees its report; a hidden client's mailing is 404.

While the mailing is scheduled or being sent, the summary asks for itself every two
seconds (htmx) and answers without the trigger once the mailing is finished, so the
polling stops by itself."""

from __future__ import annotations

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask_babel import format_percent
from flask_babel import gettext as _
from flask_login import current_user

from app.htmx import is_partial, render
from app.mailings import reports
from app.mailings.models import RECIPIENT_STATES, STATES, Mailing
from app.mailings.views import may_cancel
from app.paging import clean_params, page_number
from app.security import signed_in

bp = Blueprint("mailing_reports", __name__, url_prefix="/mailings")


def bucket_label(seconds: int) -> str:
    """A chart bucket in words: "minute", "5 minutes", "hour", "6 hours", "day"."""
    if seconds % 86400 == 0:
        days = seconds // 86400
        return _("day") if days == 1 else _("%(n)d days", n=days)
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return _("hour") if hours == 1 else _("%(n)d hours", n=hours)
    minutes = seconds // 60
    return _("minute") if minutes == 1 else _("%(n)d minutes", n=minutes)


def _summary_context(mailing, with_chart=True):
    return {
        "mailing": mailing,
        "summary": reports.summary(mailing),
        "chart": reports.chart(mailing) if with_chart else None,
        "format_percent": lambda value: format_percent(value, "#,##0.0%"),
        "bucket_label": bucket_label,
        "live": mailing.state in reports.LIVE_MAILING_STATES,
        "may_cancel": may_cancel(mailing),
        "states": STATES,
        "recipient_states": RECIPIENT_STATES,
        "tones": reports.STATE_TONES,
    }


@bp.route("/<int:mailing_id>/report")
@signed_in
def report(mailing_id: int):
    """The report page; an htmx request for the recipients (filter, search, paging) gets
    the table alone, with the URL of the whole state pushed."""
    mailing = Mailing.get_visible_or_404(current_user, mailing_id)
    state = request.args.get("state", "")
    state = state if state in RECIPIENT_STATES else ""
    q = (request.args.get("q") or "").strip()[:200]
    result = reports.recipients_page(mailing, state, q, page_number(request.args.get("page")))

    def table_url(**changes):
        params = clean_params({"state": state, "q": q, "page": result.page} | changes, {"page": 1})
        return url_for("mailing_reports.report", mailing_id=mailing.id, **params)

    # the table alone (filter, search, paging) needs no chart
    context = _summary_context(mailing, with_chart=not is_partial()) | {
        "result": result,
        "state": state,
        "q": q,
        "table_url": table_url,
    }
    response = make_response(
        render("mailings/report.html", "mailings/_report_recipients.html", **context)
    )
    if is_partial():
        response.headers["HX-Push-Url"] = table_url()
    return response


@bp.route("/<int:mailing_id>/report/summary")
@signed_in
def summary(mailing_id: int):
    """The self-refreshing summary (htmx); the report page for anything else."""
    mailing = Mailing.get_visible_or_404(current_user, mailing_id)
    if not is_partial():
        return redirect(url_for("mailing_reports.report", mailing_id=mailing.id))
    context = _summary_context(mailing)
    response = make_response(render_template("mailings/_report_summary.html", **context))
    if not context["live"]:
        # the last answer of the polling: the recipient table (not polled, so that a
        # user paging through it keeps their place) loads itself once more
        response.headers["HX-Trigger"] = "report-done"
    return response
