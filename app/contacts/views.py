"""The contacts screen (SPEC C4), a person's page with data and history (C1, C5), blocking
(C9), bulk actions and inline edit. Thin: read the request, call a service, render."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from app import nav
from app.audit.models import AuditEntry
from app.clients.models import FULL
from app.clients.scoping import ScopeError, require_client
from app.clients.services import clients_for
from app.contacts import listing
from app.contacts.models import SALUTATIONS, Person
from app.contacts.services import (
    EDITABLE_FIELDS,
    INLINE_FIELDS,
    ContactError,
    block_persons,
    create_person,
    delete_persons,
    persons_for_change,
    primary_email,
    primary_phone,
    tag_persons,
    unblock_persons,
    untag_persons,
    update_person,
)
from app.htmx import is_partial, render
from app.outlets.models import OUTLET_TYPES
from app.security import signed_in

bp = Blueprint("contacts", __name__, url_prefix="/contacts")
nav.register("contacts.index", _l("Contacts"), order=10, prefix="/contacts")

BULK_ACTIONS = ("tag", "untag", "block", "unblock", "delete")
ACTION_LABELS = {
    "person.create": _l("Created"),
    "person.update": _l("Changed"),
    "person.block": _l("Blocked"),
    "person.unblock": _l("Unblocked"),
    "person.tag": _l("Topic added"),
    "person.untag": _l("Topic removed"),
    "person.delete": _l("Deleted"),
}
ORIGIN_LABELS = {
    "manual": _l("entered by hand"),
    "import": _l("import"),
    "pressbase": _l("press database"),
    "imap": _l("e-mail (IMAP)"),
    "api": _l("API"),
}
FIELD_LABELS = {
    "gender": _l("Salutation"),
    "title": _l("Title"),
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "position": _l("Position"),
    "department": _l("Department"),
    "language": _l("Language"),
    "street": _l("Street"),
    "postcode": _l("Postcode"),
    "city": _l("City"),
    "country": _l("Country"),
    "notes": _l("Notes"),
    "email": _l("E-mail (primary)"),
    "phone": _l("Phone (primary)"),
    "blocked": _l("Blocked"),
    "blocked_reason": _l("Reason for blocking"),
}


def _list_context(state=None):
    topics = listing.visible_topics(current_user)
    if state is None:
        state = listing.ListState.from_args(request.args, {t.id for t in topics})
    page = listing.page_of(current_user, state)
    return {
        "result": page,
        "state": state,
        "topics": topics,
        "outlet_types": OUTLET_TYPES,
        "countries": listing.COUNTRIES,
        "languages": listing.LANGUAGE_NAMES,
        "list_url": lambda **changes: url_for("contacts.index", **state.params(**changes)),
        "can_write": bool(clients_for(current_user, FULL).count()),
    }


@bp.route("/")
@signed_in
def index():
    """The contacts of every client the user sees: search as you type, filters, sorting,
    paging; the results table is the htmx partial and the URL carries the whole state."""
    context = _list_context()
    response = make_response(render("contacts/index.html", "contacts/_table.html", **context))
    if is_partial():
        # the address bar gets the clean state, not every empty field of the filter form
        response.headers["HX-Push-Url"] = context["list_url"]()
    return response


def _back_url() -> str:
    """The list URL a bulk form came from, rebuilt from known parameters only."""
    args = MultiDict(parse_qsl(request.form.get("back", "")))
    state = listing.ListState.from_args(
        args, {int(t) for t in args.getlist("topic") if t.isdigit()}
    )
    return url_for("contacts.index", **state.params())


def _selected_ids() -> list[str]:
    if request.form.get("select_all"):
        return request.form.getlist("page_ids")
    return request.form.getlist("ids")


@bp.route("/bulk", methods=["POST"])
@signed_in
def bulk():
    """Tag, untag, block, unblock or delete the selected persons; deleting asks first."""
    action = request.form.get("action", "")
    ids = _selected_ids()
    back = _back_url()
    if action not in BULK_ACTIONS:
        flash(_("Please choose an action."), "error")
        return redirect(back)
    if not ids:
        flash(_("Please select at least one contact."), "error")
        return redirect(back)
    if action == "delete" and request.form.get("confirmed") != "yes":
        persons = persons_for_change(current_user, ids)
        return render_template("contacts/confirm_delete.html", persons=persons, back=back)
    try:
        if action == "tag":
            done = tag_persons(current_user, ids, request.form.get("topic", ""))
            flash(_("Topic given to %(n)d contacts.", n=done), "success")
        elif action == "untag":
            done = untag_persons(current_user, ids, request.form.get("topic", ""))
            flash(_("Topic taken from %(n)d contacts.", n=done), "success")
        elif action == "block":
            done = block_persons(current_user, ids, request.form.get("reason", ""))
            flash(_("%(n)d contacts blocked.", n=done), "success")
        elif action == "unblock":
            done = unblock_persons(current_user, ids)
            flash(_("%(n)d contacts unblocked.", n=done), "success")
        else:
            done = delete_persons(current_user, ids)
            flash(_("%(n)d contacts deleted.", n=done), "success")
    except ContactError as exc:
        for message in exc.messages:
            flash(message, "error")
    return redirect(back)


def _person_form_context(person=None, values=None, errors=None):
    return {
        "person": person,
        "values": values or {},
        "errors": errors or {},
        "salutations": SALUTATIONS,
        "countries": listing.COUNTRIES,
        "languages": listing.LANGUAGE_NAMES,
    }


def _form_values(names) -> dict:
    return {name: request.form.get(name, "") for name in names if name in request.form}


@bp.route("/new", methods=["GET", "POST"])
@signed_in
def new():
    """A new person in a client the user may write to (their default client preselected)."""
    clients = list(clients_for(current_user, FULL))
    if not clients:
        abort(403)
    values, errors = {"client_id": str(current_user.default_client_id or "")}, {}
    if request.method == "POST":
        values = {"client_id": request.form.get("client_id", ""), "email": "", "phone": ""}
        values |= _form_values((*EDITABLE_FIELDS, "email", "phone"))
        client = require_client(current_user, values["client_id"], FULL)
        fields = {k: v for k, v in values.items() if k in EDITABLE_FIELDS}
        try:
            person = create_person(
                current_user, client, emails=[values["email"]], phone=values["phone"], **fields
            )
        except ContactError as exc:
            errors = exc.errors
        except ScopeError:
            abort(403)
        else:
            flash(_("%(name)s has been added.", name=person.full_name), "success")
            return redirect(url_for("contacts.detail", person_id=person.id))
    context = _person_form_context(values=values, errors=errors)
    status = 422 if errors else 200
    return render_template("contacts/new.html", clients=clients, **context), status


def _detail_context(person):
    from app.contacts.models import Topic
    from app.outlets.models import Outlet

    # outlets and topics with their links in one query each (no query per link)
    outlet_links = person.outlet_links.select_extend(Outlet).join(Outlet).order_by(Outlet.name)
    topic_links = person.topic_links.select_extend(Topic).join(Topic).order_by(Topic.name)
    return {
        "person": person,
        "emails": list(person.emails.order_by(-person.emails.model.is_primary)),
        "phones": list(person.phones),
        "outlets": [link.outlet for link in outlet_links],
        "topics": [link.topic for link in topic_links],
        "writable": person.writable_for(current_user),
        "outlet_types": OUTLET_TYPES,
        "origin_labels": ORIGIN_LABELS,
    }


@bp.route("/<int:person_id>", methods=["GET", "POST"])
@signed_in
def detail(person_id: int):
    """A person's data with the edit form of the common fields; 422 with the messages on
    bad input."""
    person = Person.get_visible_or_404(current_user, person_id)
    errors, values = {}, {}
    if request.method == "POST":
        person = Person.get_writable_or_403(current_user, person_id)
        values = _form_values((*EDITABLE_FIELDS, "email", "phone"))
        try:
            update_person(current_user, person, **values)
        except ContactError as exc:
            errors = exc.errors
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for("contacts.detail", person_id=person.id))
    if not values:
        values = {name: getattr(person, name) for name in EDITABLE_FIELDS}
        values |= {"email": primary_email(person), "phone": primary_phone(person)}
    context = _detail_context(person) | _person_form_context(person, values, errors)
    return render_template("contacts/detail.html", tab="data", **context), 422 if errors else 200


@bp.route("/<int:person_id>/history")
@signed_in
def history(person_id: int):
    """The audit trail of a person, newest first (SPEC C5, S7)."""
    person = Person.get_visible_or_404(current_user, person_id)
    entries = [
        (entry, json.loads(entry.changes or "{}"), json.loads(entry.details or "{}"))
        for entry in AuditEntry.select()
        .where((AuditEntry.target_type == "person") & (AuditEntry.target_id == person.id))
        .order_by(AuditEntry.seq.desc())
        .limit(200)
    ]
    return render_template(
        "contacts/detail.html",
        tab="history",
        entries=entries,
        action_labels=ACTION_LABELS,
        field_labels=FIELD_LABELS,
        **_detail_context(person),
    )


@bp.route("/<int:person_id>/block", methods=["POST"])
@signed_in
def block(person_id: int):
    """Block a person (restriction of processing, SPEC C9)."""
    Person.get_writable_or_403(current_user, person_id)
    block_persons(current_user, [person_id], request.form.get("reason", ""))
    flash(_("The contact is blocked: no mailings, no exports."), "success")
    return redirect(url_for("contacts.detail", person_id=person_id))


@bp.route("/<int:person_id>/unblock", methods=["POST"])
@signed_in
def unblock(person_id: int):
    """Lift the block of a person."""
    Person.get_writable_or_403(current_user, person_id)
    unblock_persons(current_user, [person_id])
    flash(_("The contact is no longer blocked."), "success")
    return redirect(url_for("contacts.detail", person_id=person_id))


def _row(person_id: int, template: str, status: int = 200, **context):
    person = (
        Person.visible_to(current_user, *listing.LIST_FIELDS)
        .where(Person.id == person_id)
        .get_or_none()
    )
    if person is None:
        abort(404)
    row = listing.rows_for(current_user, [person])[0]
    return render_template(template, row=row, **context), status


@bp.route("/<int:person_id>/row", methods=["GET", "POST"])
@signed_in
def row(person_id: int):
    """A row of the contacts table; a POST saves its inline edit (position, city, primary
    e-mail, phone) and answers the row, or the edit row with the message (422)."""
    if request.method == "POST":
        person = Person.get_writable_or_403(current_user, person_id)
        values = _form_values(INLINE_FIELDS)
        try:
            update_person(current_user, person, **values)
        except ContactError as exc:
            return _row(person_id, "contacts/_row_edit.html", 422, values=values, errors=exc.errors)
    return _row(person_id, "contacts/_row.html")


@bp.route("/<int:person_id>/row/edit")
@signed_in
def row_edit(person_id: int):
    """The inline edit row of the common fields."""
    Person.get_writable_or_403(current_user, person_id)
    return _row(person_id, "contacts/_row_edit.html", values=None, errors={})
