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

from app import files, nav
from app.audit.models import AuditEntry
from app.blacklist.services import blacklisted
from app.clients.models import FULL
from app.clients.scoping import ScopeError, require_client
from app.clients.services import clients_for
from app.contacts import channels, duplicates, letters, listing
from app.contacts import history as contact_history
from app.contacts.erasure import erase_person
from app.contacts.models import DIRECTIONS, HISTORY_KINDS, SALUTATIONS, Person, Topic
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
from app.events.models import RSVP_STATES
from app.events.services import events_of_person
from app.htmx import is_partial, render
from app.lists.services import ListError, add_members, lists_of_person, static_lists_for
from app.outlets.models import OUTLET_TYPES
from app.outlets.services import links_of_person
from app.security import signed_in

bp = Blueprint("contacts", __name__, url_prefix="/contacts")
nav.register("contacts.index", _l("Contacts"), order=10, prefix="/contacts")

BULK_ACTIONS = ("tag", "untag", "list", "block", "unblock", "delete")
ACTION_LABELS = {
    "person.create": _l("Created"),
    "person.update": _l("Changed"),
    "person.block": _l("Blocked"),
    "person.unblock": _l("Unblocked"),
    "person.tag": _l("Topic added"),
    "person.untag": _l("Topic removed"),
    "person.delete": _l("Deleted"),
    "person.history_add": _l("Added to the history"),
    "person.history_delete": _l("Removed from the history"),
    "person.merge": _l("Merged with a duplicate"),
    "person.merged": _l("Merged into another contact"),
    "person.not_duplicate": _l("Marked as not a duplicate"),
    "person.erase": _l("Erased"),
    "person.outlet_link": _l("Now works for"),
    "person.outlet_link_update": _l("Position at the outlet changed"),
    "person.outlet_unlink": _l("No longer works for"),
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
    "emails": _l("E-mail addresses"),
    "phones": _l("Phone numbers"),
}


@bp.before_request
def _erased_persons_are_read_only():
    """An erased person (C9) is a tombstone: no change reaches it, whatever the form."""
    person_id = (request.view_args or {}).get("person_id")
    erased = Person.select().where(Person.id == person_id, Person.erased_at.is_null(False))
    if request.method == "POST" and person_id is not None and erased.exists():
        abort(404)


def _list_context(state=None):
    topics = listing.visible_topics(current_user)
    lists = listing.visible_static_lists(current_user)
    if state is None:
        state = listing.ListState.from_args(
            request.args, {t.id for t in topics}, {lst.id for lst in lists}
        )
    page = listing.page_of(current_user, state)
    return {
        "result": page,
        "state": state,
        "topics": topics,
        "filter_lists": lists,
        "outlet_types": OUTLET_TYPES,
        "countries": listing.COUNTRIES,
        "languages": listing.LANGUAGE_NAMES,
        "list_url": lambda **changes: url_for("contacts.index", **state.params(**changes)),
        "can_write": bool(page.writable),
        # the lists the bulk action can add to: static lists of clients the user writes to
        "static_lists": [lst for lst in lists if lst.client_id in page.writable],
        "may_manage_lists": current_user.may_manage_lists,
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
        args,
        {int(t) for t in args.getlist("topic") if t.isdigit()},
        {int(x) for x in args.getlist("list") if x.isdigit()},
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
        elif action == "list":
            list_id = request.form.get("list_id", "")
            if not list_id.isdigit():
                raise ContactError({"list": _("Please choose a list.")})
            done = add_members(current_user, int(list_id), ids)
            flash(_("%(n)d contacts added to the list.", n=done), "success")
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
    except (ContactError, ListError) as exc:
        for message in exc.messages:
            flash(message, "error")
    return redirect(back)


def _duplicate_warning(client_id, values, person=None) -> list:
    """Persons the typed data may duplicate (C7), unless the user confirmed "save anyway"."""
    if request.form.get("confirm_duplicate") == "yes":
        return []
    from app.emails import InvalidEmail, normalise_email

    try:
        emails = [normalise_email(values["email"])] if values.get("email") else []
    except InvalidEmail:
        emails = []
    outlets = [link.outlet_id for link in person.outlet_links] if person else []
    return duplicates.warnings_for(
        current_user,
        client_id,
        emails=emails,
        first_name=values.get("first_name", person.first_name if person else ""),
        last_name=values.get("last_name", person.last_name if person else ""),
        outlet_ids=outlets,
        exclude_id=person.id if person else None,
    )


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
    similar = []
    if request.method == "POST":
        values = {"client_id": request.form.get("client_id", ""), "email": "", "phone": ""}
        values |= _form_values((*EDITABLE_FIELDS, "email", "phone"))
        client = require_client(current_user, values["client_id"], FULL)
        fields = {k: v for k, v in values.items() if k in EDITABLE_FIELDS}
        similar = _duplicate_warning(client.id, values)
        try:
            if not similar:
                person = create_person(
                    current_user, client, emails=[values["email"]], phone=values["phone"], **fields
                )
        except ContactError as exc:
            errors = exc.errors
        except ScopeError:
            abort(403)
        else:
            if not similar:
                flash(_("%(name)s has been added.", name=person.full_name), "success")
                return redirect(url_for("contacts.detail", person_id=person.id))
    context = _person_form_context(values=values, errors=errors)
    context["similar"] = similar if request.method == "POST" else []
    status = 422 if errors or context["similar"] else 200
    return render_template("contacts/new.html", clients=clients, **context), status


def _detail_context(person):
    # topics with their links in one query (no query per link); the outlets come with
    # links_of_person
    outlet_links = links_of_person(person)  # with their outlets, one query
    topic_links = person.topic_links.select_extend(Topic).join(Topic).order_by(Topic.name)
    emails = list(person.emails.order_by(-person.emails.model.is_primary))
    return {
        "person": person,
        "emails": emails,
        "barred": blacklisted(e.address for e in emails),
        "phones": list(person.phones),
        "topics": [link.topic for link in topic_links],
        "writable": person.writable_for(current_user),
        "outlet_types": OUTLET_TYPES,
        "origin_labels": listing.ORIGIN_LABELS,
        "phone_kinds": channels.PHONE_KINDS,
        "rsvp_states": RSVP_STATES,
        "client_topics": [
            name
            for (name,) in Topic.visible_to(current_user, Topic.name)
            .where(Topic.client == person.client_id)
            .order_by(Topic.name)
            .limit(500)
            .tuples()
        ],
        "letters": letters.for_person(person, outlet_links),
        "person_lists": lists_of_person(current_user, person),  # static lists it is on
        "person_events": events_of_person(current_user, person),
        "addable_lists": static_lists_for(current_user, person.client_id, exclude=person),
        "outlet_links": outlet_links,  # templates/outlets/_person_outlets.html
    }


@bp.route("/<int:person_id>", methods=["GET", "POST"])
@signed_in
def detail(person_id: int):
    """A person's data with the edit form of the common fields; 422 with the messages on
    bad input."""
    person = Person.get_visible_or_404(current_user, person_id)
    errors, values, similar = {}, {}, []
    if request.method == "POST":
        person = Person.get_writable_or_403(current_user, person_id)
        values = _form_values((*EDITABLE_FIELDS, "email", "phone"))
        similar = _duplicate_warning(person.client_id, values, person)
        try:
            if not similar:
                update_person(current_user, person, **values)
        except ContactError as exc:
            errors = exc.errors
        else:
            if not similar:
                flash(_("Changes saved."), "success")
                return redirect(url_for("contacts.detail", person_id=person.id))
    if not values:
        values = {name: getattr(person, name) for name in EDITABLE_FIELDS}
        values |= {"email": primary_email(person), "phone": primary_phone(person)}
    if person.erased_at:
        return render_template("contacts/erased.html", person=person)
    context = _detail_context(person) | _person_form_context(person, values, errors)
    status = 422 if errors or similar else 200
    return render_template("contacts/detail.html", tab="data", similar=similar, **context), status


def _history_page(person, errors=None, values=None):
    """The history tab: notes, calls and documents, then the record's audit trail (with
    that of persons merged into it), each newest first (SPEC C5, S7)."""
    ids = [person.id, *duplicates.merged_ids(person.id)]
    entries = [
        (entry, json.loads(entry.changes or "{}"), json.loads(entry.details or "{}"))
        for entry in AuditEntry.select()
        .where((AuditEntry.target_type == "person") & AuditEntry.target_id.in_(ids))
        .order_by(AuditEntry.seq.desc())
        .limit(200)
    ]
    status = 422 if errors else 200
    return render_template(
        "contacts/detail.html",
        tab="history",
        entries=entries,
        items=contact_history.entries_for(person),
        kinds=HISTORY_KINDS,
        user_kinds=contact_history.USER_KINDS,
        directions=DIRECTIONS,
        errors=errors or {},
        values=values or {"kind": "note"},
        action_labels=ACTION_LABELS,
        field_labels=FIELD_LABELS,
        max_mb=contact_history.DOCUMENT_MAX_BYTES // 2**20,
        **_detail_context(person),
    ), status


@bp.route("/<int:person_id>/history", methods=["GET", "POST"])
@signed_in
def history(person_id: int):
    """The contact history; a POST adds a note, a call or a document (multipart)."""
    person = Person.get_visible_or_404(current_user, person_id)
    if person.erased_at:
        return render_template("contacts/erased.html", person=person)
    if request.method == "POST":
        values = _form_values(("kind", "subject", "body", "occurred_at", "direction"))
        try:
            contact_history.add_entry(
                current_user, person_id, upload=request.files.get("file"), **values
            )
        except ContactError as exc:
            return _history_page(person, exc.errors, values)
        flash(_("Added to the history."), "success")
        return redirect(url_for("contacts.history", person_id=person_id))
    return _history_page(person)


@bp.route("/<int:person_id>/history/<int:entry_id>/delete", methods=["POST"])
@signed_in
def history_delete(person_id: int, entry_id: int):
    contact_history.delete_entry(current_user, person_id, entry_id)
    flash(_("Removed from the history."), "success")
    return redirect(url_for("contacts.history", person_id=person_id))


@bp.route("/<int:person_id>/history/<int:entry_id>/file")
@signed_in
def history_file(person_id: int, entry_id: int):
    """A document of the history: PDFs and pictures shown, anything else downloaded."""
    entry = contact_history.entry_of(current_user, person_id, entry_id)
    if not entry.file_sha256:
        abort(404)
    return files.send(entry.file_sha256, entry.file_name, entry.file_type)


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


@bp.route("/<int:person_id>/channels/<channel>", methods=["POST"])
@signed_in
def channel_add(person_id: int, channel: str):
    """Add an e-mail address or a phone number to a person."""
    if channel not in channels.CHANNELS:
        abort(404)
    try:
        channels.add(
            current_user,
            person_id,
            channel,
            request.form.get("value", ""),
            request.form.get("kind", "office"),
        )
    except ContactError as exc:
        for message in exc.messages:
            flash(message, "error")
    else:
        flash(_("Changes saved."), "success")
    return redirect(url_for("contacts.detail", person_id=person_id))


@bp.route("/<int:person_id>/channels/<channel>/<int:entry_id>/<action>", methods=["POST"])
@signed_in
def channel_change(person_id: int, channel: str, entry_id: int, action: str):
    """Make an address or number the primary one, or remove it."""
    if channel not in channels.CHANNELS or action not in ("primary", "remove"):
        abort(404)
    if action == "primary":
        channels.make_primary(current_user, person_id, channel, entry_id)
    else:
        channels.remove(current_user, person_id, channel, entry_id)
    flash(_("Changes saved."), "success")
    return redirect(url_for("contacts.detail", person_id=person_id))


@bp.route("/<int:person_id>/erase", methods=["GET", "POST"])
@signed_in
def erase(person_id: int):
    """Erase a person for good (GDPR, SPEC C9): a confirmation page, then the erasure."""
    person = Person.get_writable_or_403(current_user, person_id)
    if person.erased_at:
        return render_template("contacts/erased.html", person=person)
    if request.method == "POST":
        if request.form.get("confirm", "").strip() != person.last_name:
            flash(_("Please type the last name to confirm the erasure."), "error")
            return render_template("contacts/confirm_erase.html", person=person), 422
        erase_person(current_user, person_id)
        flash(_("The contact has been erased."), "success")
        return redirect(url_for("contacts.index"))
    return render_template("contacts/confirm_erase.html", person=person)


@bp.route("/duplicates")
@signed_in
def duplicates_index():
    """Candidate pairs of duplicates among the contacts the user sees (SPEC C7)."""
    pairs = duplicates.candidate_pairs(current_user)
    writable = {
        p.id
        for p in Person.writable_by(current_user, Person.id).where(
            Person.id.in_([x.id for pair in pairs for x in (pair.first, pair.second)])
        )
    }
    return render_template(
        "contacts/duplicates.html",
        pairs=pairs,
        writable=writable,
        reasons=duplicates.REASONS,
        limit=duplicates.PAIRS_MAX,
    )


@bp.route("/duplicates/dismiss", methods=["POST"])
@signed_in
def duplicates_dismiss():
    """Mark a pair as two different people."""
    duplicates.dismiss(current_user, request.form.get("first"), request.form.get("second"))
    flash(_("The pair will not be offered again."), "success")
    return redirect(url_for("contacts.duplicates_index"))


@bp.route("/merge", methods=["GET", "POST"])
@signed_in
def merge():
    """Compare two persons field by field and merge the second into the first."""
    keep_id, other_id = request.values.get("keep", ""), request.values.get("other", "")
    if not (keep_id.isdigit() and other_id.isdigit()):
        abort(404)
    keep = Person.get_writable_or_403(current_user, int(keep_id))
    other = Person.get_writable_or_403(current_user, int(other_id))
    errors = {}
    if request.method == "POST":
        take = [name for name in request.form.getlist("take") if name in MERGE_FIELDS]
        try:
            kept = duplicates.merge_persons(current_user, keep.id, other.id, take)
        except ContactError as exc:
            errors = exc.errors
        else:
            flash(_("The contacts have been merged."), "success")
            return redirect(url_for("contacts.detail", person_id=kept.id))
    rows = [
        (name, FIELD_LABELS[name], _merge_value(keep, name), _merge_value(other, name))
        for name in MERGE_FIELDS
    ]
    return render_template(
        "contacts/merge.html", keep=keep, other=other, rows=rows, errors=errors
    ), 422 if errors else 200


MERGE_FIELDS = (*EDITABLE_FIELDS, "email")


def _merge_value(person, name):
    if name == "email":
        return primary_email(person)
    if name == "gender":
        return SALUTATIONS.get(person.gender, "")
    return getattr(person, name)


@bp.route("/<int:person_id>/topics/<action>", methods=["POST"])
@signed_in
def topic_change(person_id: int, action: str):
    """Give a person a topic (created in its client when new) or take one away."""
    if action not in ("add", "remove"):
        abort(404)
    change = tag_persons if action == "add" else untag_persons
    try:
        change(current_user, [person_id], request.form.get("topic", ""))
    except ContactError as exc:
        for message in exc.messages:
            flash(message, "error")
    else:
        flash(_("Changes saved."), "success")
    return redirect(url_for("contacts.detail", person_id=person_id))
