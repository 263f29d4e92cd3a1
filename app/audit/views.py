"""The audit trail screen (SPEC S7): read-only, for administrators. There is deliberately
no route that changes or deletes an entry."""

import datetime
from urllib.parse import urlencode

from flask import Blueprint, make_response, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import to_utc
from wtforms.fields.choices import SelectChoice

from app.admin import sections
from app.audit import trail
from app.audit.forms import AuditFilterForm
from app.htmx import is_partial, render
from app.security import administrator_only
from app.users.models import User

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
sections.register(
    "audit.index",
    _l("Audit trail"),
    _l("Who created, changed or deleted what, and when; filterable, not changeable."),
    order=30,
)

FILTER_ARGS = ("action", "actor", "target_type", "q", "date_from", "date_to")


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


def _choices(form: AuditFilterForm) -> None:
    users = User.select(User.id, User.name).order_by(User.name).tuples()
    form.action.choices = [SelectChoice("", _("All actions"))] + [
        SelectChoice(action) for action in trail.distinct_actions()
    ]
    form.actor.choices = [
        SelectChoice("", _("All users")),
        SelectChoice("system", _("System (command line)")),
    ] + [SelectChoice(str(user_id), name) for user_id, name in users]
    form.target_type.choices = [SelectChoice("", _("All record types"))] + [
        SelectChoice(target_type) for target_type in trail.distinct_target_types()
    ]


def _filters(form: AuditFilterForm) -> trail.Filters:
    """The filters of the form; a date that did not validate is left out."""
    filters = trail.Filters(
        action=form.action.data or "",
        actor=form.actor.data or "",
        target_type=form.target_type.data or "",
        text=(form.q.data or "").strip() if not form.q.errors else "",
    )
    # Days are the reader's days: midnight in their time zone, stored times are UTC.
    if form.date_from.data and not form.date_from.errors:
        filters.start = to_utc(datetime.datetime.combine(form.date_from.data, datetime.time()))
    if form.date_to.data and not form.date_to.errors:
        day_after = form.date_to.data + datetime.timedelta(days=1)
        filters.end = to_utc(datetime.datetime.combine(day_after, datetime.time()))
    return filters


def _page_url(**cursor) -> str:
    """This screen with the current filters (empty ones left out) and a page cursor."""
    args = {k: request.args[k] for k in FILTER_ARGS if request.args.get(k)}
    args.update({k: v for k, v in cursor.items() if v is not None})
    base = url_for("audit.index")
    return f"{base}?{urlencode(args)}" if args else base


@bp.route("/")
@administrator_only
def index():
    """Entries newest first, 50 a page, filtered by action, user, record type, text and
    date range; the URL holds the whole state. An htmx request gets the table only."""
    form = AuditFilterForm(request.args)
    _choices(form)
    valid = form.validate()
    result = trail.page(_filters(form), before=_int_arg("before"), after=_int_arg("after"))
    response = make_response(
        render(
            "audit/index.html",
            "audit/_table.html",
            form=form,
            result=result,
            changes_of=trail.changes_of,
            details_of=trail.details_of,
            page_url=_page_url,
            errors=[e for f in form for e in f.errors],
        )
    )
    if is_partial():
        # the address bar shows the state without the empty fields of the form
        response.headers["HX-Push-Url"] = _page_url(
            before=request.args.get("before"), after=request.args.get("after")
        )
    response.status_code = 200 if valid else 422
    return response
