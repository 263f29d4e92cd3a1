"""The "correct undeliverable addresses" screen (SPEC M7): hard-bounced addresses that are
still a person's primary address, with the mailing that bounced; the address is corrected
in the row (htmx) and the mailing sent again to the corrected address in one click."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app.bounces import services
from app.contacts.models import Person
from app.contacts.services import ContactError, primary_email
from app.paging import page_number, page_of
from app.security import requires, signed_in

bp = Blueprint("bounces", __name__, url_prefix="/mailings/bounces")
PAGE_SIZE = 50


@bp.route("/")
@signed_in
def index():
    page = page_of(
        services.undeliverable(current_user), page_number(request.args.get("page")), PAGE_SIZE
    )
    return render_template(
        "bounces/index.html",
        page=page,
        writable=_writable_persons([row.person_id for row in page.items]),
    )


def _writable_persons(person_ids) -> set[int]:
    if not person_ids:
        return set()
    query = Person.writable_by(current_user, Person.id).where(Person.id.in_(person_ids))
    return {pid for (pid,) in query.tuples()}


def _row(row, status=200, **context):
    context.setdefault("errors", {})
    context.setdefault("value", row.address)
    return (
        render_template(
            "bounces/_row.html",
            row=row,
            writable=_writable_persons([row.person_id]),
            **context,
        ),
        status,
    )


@bp.route("/<int:recipient_id>/correct", methods=["POST"])
@signed_in
def correct(recipient_id: int):
    """Correct the person's primary address (or confirm the bounced one works again)."""
    value = request.form.get("email", "")
    try:
        row, changed = services.correct_address(current_user, recipient_id, value)
    except ContactError as exc:
        row = services.bounced_delivery(current_user, recipient_id)
        return _row(row, 422, errors=exc.errors, value=value[:254])
    return _row(row, corrected=primary_email(Person.get_by_id(row.person_id)), changed=changed)


@bp.route("/<int:recipient_id>/resend", methods=["POST"])
@requires("dispatch")
def resend(recipient_id: int):
    """Send the bounced mailing again to the person's current primary address."""
    from app.mailings import dispatch
    from app.mailings.services import MailingError

    row = services.bounced_delivery(current_user, recipient_id)
    Person.get_writable_or_403(current_user, row.person_id)
    try:
        again = dispatch.resend(current_user, row.mailing_id, row.person_id)
    except MailingError as exc:
        message = "; ".join(exc.messages) or _("The mailing could not be sent again.")
        corrected = primary_email(Person.get_by_id(row.person_id))
        return _row(row, 422, resend_error=message, corrected=corrected, changed=True)
    return _row(row, resent_to=again.address)
