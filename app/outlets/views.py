"""The media outlets screen and an outlet's page with its data, departments, journalists and
history (SPEC C2, C3, C5), and the links of persons and outlets used from both sides. Thin:
read the request, call a service, render."""

from __future__ import annotations

import json

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

from app import nav
from app.audit.models import AuditEntry
from app.clients.models import FULL
from app.clients.scoping import ScopeError, require_client
from app.clients.services import clients_for
from app.contacts.listing import LANGUAGE_NAMES, ORIGIN_LABELS
from app.contacts.models import Person
from app.contacts.services import ContactError
from app.countries import country_choices, country_name
from app.htmx import is_htmx, is_partial, render
from app.outlets import listing, services
from app.outlets.models import OUTLET_TYPES, Outlet, OutletDepartment
from app.security import signed_in

bp = Blueprint("outlets", __name__, url_prefix="/outlets")
nav.register("outlets.index", _l("Media"), order=20, prefix="/outlets")

ACTION_LABELS = {
    "outlet.create": _l("Created"),
    "outlet.update": _l("Changed"),
    "outlet.delete": _l("Deleted"),
    "outlet.department_add": _l("Department added"),
    "outlet.department_rename": _l("Department renamed"),
    "outlet.department_remove": _l("Department removed"),
    "outlet.tag": _l("Topic added"),
    "outlet.untag": _l("Topic removed"),
    "outlet.link": _l("Journalist added"),
    "outlet.link_update": _l("Journalist's position changed"),
    "outlet.unlink": _l("Journalist removed"),
}
FIELD_LABELS = {
    "name": _l("Name"),
    "kind": _l("Type of medium"),
    "circulation": _l("Circulation"),
    "reach": _l("Reach"),
    "region": _l("Region"),
    "language": _l("Language"),
    "website": _l("Website"),
    "email": _l("E-mail"),
    "phone": _l("Phone"),
    "street": _l("Street"),
    "postcode": _l("Postcode"),
    "city": _l("City"),
    "country": _l("Country"),
    "notes": _l("Notes"),
    "position": _l("Position"),
    "department": _l("Department"),
}


def _writable_clients():
    return list(clients_for(current_user, FULL))


# --- the list -----------------------------------------------------------------------------


def _list_context():
    topics = listing.visible_topics(current_user)
    state = listing.ListState.from_args(request.args, {t.id for t in topics})
    result = listing.page_of(current_user, state)
    return {
        "result": result,
        "state": state,
        "topics": topics,
        "outlet_types": OUTLET_TYPES,
        "countries": listing.countries_in_use(current_user),
        "list_url": lambda **changes: url_for("outlets.index", **state.params(**changes)),
        "can_write": bool(clients_for(current_user, FULL).count()),
    }


@bp.route("/")
@signed_in
def index():
    """The outlets of every client the user sees: search as you type, filters, sorting,
    paging; the results table is the htmx partial and the URL carries the whole state."""
    context = _list_context()
    response = make_response(render("outlets/index.html", "outlets/_table.html", **context))
    if is_partial():
        response.headers["HX-Push-Url"] = context["list_url"]()
    return response


# --- one outlet ---------------------------------------------------------------------------


def _form_values() -> dict:
    return {name: request.form.get(name, "") for name in services.EDITABLE_FIELDS}


def _form_context(values=None, errors=None):
    return {
        "values": values or {},
        "errors": errors or {},
        "outlet_types": OUTLET_TYPES,
        "languages": LANGUAGE_NAMES,
        "country_choices": country_choices(),
    }


@bp.route("/new", methods=["GET", "POST"])
@signed_in
def new():
    """A new outlet in a client the user may write to (their default client preselected)."""
    clients = _writable_clients()
    if not clients:
        abort(403)
    values = {"client_id": str(current_user.default_client_id or ""), "kind": "daily"}
    values |= {"language": "de", "country": "DE"}
    errors = {}
    if request.method == "POST":
        values = {"client_id": request.form.get("client_id", "")} | _form_values()
        client = require_client(current_user, values["client_id"], FULL)
        fields = {k: v for k, v in values.items() if k != "client_id"}
        try:
            outlet = services.create_outlet(current_user, client, **fields)
        except ContactError as exc:
            errors = exc.errors
        except ScopeError:
            abort(403)
        else:
            flash(_("%(name)s has been added.", name=outlet.name), "success")
            return redirect(url_for("outlets.detail", outlet_id=outlet.id))
    context = _form_context(values, errors)
    status = 422 if errors else 200
    return render_template("outlets/new.html", clients=clients, **context), status


def _detail_context(outlet, tab: str):
    return {
        "outlet": outlet,
        "tab": tab,
        "writable": outlet.writable_for(current_user),
        "outlet_types": OUTLET_TYPES,
        "origin_labels": ORIGIN_LABELS,
        "country_name": country_name,
        "journalist_count": outlet.person_links.count(),
        "department_count": outlet.departments.count(),
    }


def _data_page(outlet, values=None, errors=None, topic_error="", status=200):
    if values is None:
        values = {name: getattr(outlet, name) for name in services.EDITABLE_FIELDS}
    context = _detail_context(outlet, "data") | _form_context(values, errors)
    context["topics"] = services.topics_of(outlet)
    context["client_topics"] = listing.visible_topics(current_user)
    context["topic_error"] = topic_error
    return render_template("outlets/detail.html", **context), status


@bp.route("/<int:outlet_id>", methods=["GET", "POST"])
@signed_in
def detail(outlet_id: int):
    """An outlet's data with the edit form of every field; 422 with the messages on bad
    input."""
    outlet = Outlet.get_visible_or_404(current_user, outlet_id)
    if request.method == "POST":
        outlet = Outlet.get_writable_or_403(current_user, outlet_id)
        values = _form_values()
        try:
            services.update_outlet(current_user, outlet, **values)
        except ContactError as exc:
            return _data_page(outlet, values, exc.errors, status=422)
        flash(_("Changes saved."), "success")
        return redirect(url_for("outlets.detail", outlet_id=outlet.id))
    return _data_page(outlet)


@bp.route("/<int:outlet_id>/topics", methods=["POST"])
@signed_in
def add_topic(outlet_id: int):
    """Give the outlet a topic of its client (a new name creates the topic)."""
    outlet = Outlet.get_writable_or_403(current_user, outlet_id)
    try:
        topic = services.add_topic(current_user, outlet, request.form.get("topic", ""))
    except ContactError as exc:
        return _data_page(outlet, topic_error=exc.messages[0], status=422)
    flash(_("Topic %(name)s added.", name=topic.name), "success")
    return redirect(url_for("outlets.detail", outlet_id=outlet.id))


@bp.route("/<int:outlet_id>/topics/<int:topic_id>/delete", methods=["POST"])
@signed_in
def remove_topic(outlet_id: int, topic_id: int):
    """Take a topic from the outlet."""
    name = services.remove_topic(current_user, outlet_id, topic_id)
    flash(_("Topic %(name)s removed.", name=name), "success")
    return redirect(url_for("outlets.detail", outlet_id=outlet_id))


@bp.route("/<int:outlet_id>/history")
@signed_in
def history(outlet_id: int):
    """The audit trail of an outlet, newest first (SPEC C5, S7)."""
    outlet = Outlet.get_visible_or_404(current_user, outlet_id)
    entries = [
        (entry, json.loads(entry.changes or "{}"), json.loads(entry.details or "{}"))
        for entry in AuditEntry.select()
        .where((AuditEntry.target_type == "outlet") & (AuditEntry.target_id == outlet.id))
        .order_by(AuditEntry.seq.desc())
        .limit(200)
    ]
    linked = {d.get("person_id") for _, _, d in entries if d.get("person_id")}
    person_names = {
        p.id: p.full_name
        for p in Person.visible_to(current_user).where(
            Person.id.in_(list(linked)) & Person.erased_at.is_null()
        )
    }
    return render_template(
        "outlets/detail.html",
        entries=entries,
        person_names=person_names,
        action_labels=ACTION_LABELS,
        field_labels=FIELD_LABELS,
        **_detail_context(outlet, "history"),
    )


@bp.route("/<int:outlet_id>/delete", methods=["GET", "POST"])
@signed_in
def delete(outlet_id: int):
    """Delete an outlet after a confirmation; its links go, the persons stay."""
    outlet = Outlet.get_writable_or_403(current_user, outlet_id)
    if request.method == "POST":
        services.delete_outlet(current_user, outlet)
        flash(_("%(name)s has been deleted.", name=outlet.name), "success")
        return redirect(url_for("outlets.index"))
    return render_template("outlets/confirm_delete.html", **_detail_context(outlet, "data"))


# --- departments --------------------------------------------------------------------------


def _departments_page(outlet, errors=None, values=None, status=200):
    journalists = services.journalists_of(outlet)
    per_department = {}
    for link in journalists:
        per_department[link.department] = per_department.get(link.department, 0) + 1
    context = _detail_context(outlet, "departments")
    context |= {
        "departments": list(outlet.departments.order_by(OutletDepartment.name)),
        "per_department": per_department,
        "errors": errors or {},
        "values": values or {},
    }
    return render_template("outlets/detail.html", **context), status


@bp.route("/<int:outlet_id>/departments", methods=["GET", "POST"])
@signed_in
def departments(outlet_id: int):
    """The editorial departments; a POST adds one (a name the outlet has already: 422)."""
    outlet = Outlet.get_visible_or_404(current_user, outlet_id)
    if request.method == "POST":
        outlet = Outlet.get_writable_or_403(current_user, outlet_id)
        name = request.form.get("name", "")
        try:
            department = services.add_department(current_user, outlet, name)
        except ContactError as exc:
            return _departments_page(outlet, {"new": exc.messages[0]}, {"new": name}, 422)
        flash(_("Department %(name)s added.", name=department.name), "success")
        return redirect(url_for("outlets.departments", outlet_id=outlet.id))
    return _departments_page(outlet)


@bp.route("/<int:outlet_id>/departments/<int:department_id>", methods=["POST"])
@signed_in
def rename_department(outlet_id: int, department_id: int):
    """Rename a department (its journalists move along)."""
    outlet = Outlet.get_writable_or_403(current_user, outlet_id)
    name = request.form.get("name", "")
    try:
        department = services.rename_department(current_user, outlet, department_id, name)
    except ContactError as exc:
        errors, values = {department_id: exc.messages[0]}, {department_id: name}
        return _departments_page(outlet, errors, values, 422)
    flash(_("Department renamed to %(name)s.", name=department.name), "success")
    return redirect(url_for("outlets.departments", outlet_id=outlet.id))


@bp.route("/<int:outlet_id>/departments/<int:department_id>/delete", methods=["POST"])
@signed_in
def remove_department(outlet_id: int, department_id: int):
    """Remove a department."""
    name = services.remove_department(current_user, outlet_id, department_id)
    flash(_("Department %(name)s removed.", name=name), "success")
    return redirect(url_for("outlets.departments", outlet_id=outlet_id))


# --- journalists and links ----------------------------------------------------------------


def _journalists_page(outlet, errors=None, values=None, status=200):
    context = _detail_context(outlet, "journalists")
    context |= {
        "links": services.journalists_of(outlet),
        "departments": list(outlet.departments.order_by(OutletDepartment.name)),
        "errors": errors or {},
        "values": values or {},
    }
    return render_template("outlets/detail.html", **context), status


@bp.route("/<int:outlet_id>/journalists")
@signed_in
def journalists(outlet_id: int):
    """The persons who work for the outlet, with a form to add one of its client."""
    return _journalists_page(Outlet.get_visible_or_404(current_user, outlet_id))


@bp.route("/<int:outlet_id>/persons")
@signed_in
def pick_person(outlet_id: int):
    """Up to ten persons of the outlet's client matching `q` (the picker of the
    journalists tab, an htmx fragment)."""
    outlet = Outlet.get_writable_or_403(current_user, outlet_id)
    q = (request.args.get("q") or "").strip()[:200]
    persons = services.persons_to_pick(current_user, outlet, q)
    return render_template("outlets/_pick_persons.html", persons=persons, q=q)


@bp.route("/pick/<int:person_id>")
@signed_in
def pick_outlet(person_id: int):
    """Up to ten outlets of the person's client matching `q` (the picker of the person
    page, an htmx fragment)."""
    person = Person.get_writable_or_403(current_user, person_id)
    q = (request.args.get("q") or "").strip()[:200]
    outlets = services.outlets_to_pick(current_user, person, q)
    return render_template(
        "outlets/_pick_outlets.html", outlets=outlets, q=q, outlet_types=OUTLET_TYPES
    )


def _person_section(person_id: int, errors=None, values=None, status=200):
    """The person page's outlets section (htmx), or the person page itself."""
    if not is_htmx():
        for message in (errors or {}).values():
            flash(message, "error")
        return redirect(url_for("contacts.detail", person_id=person_id))
    person = Person.get_visible_or_404(current_user, person_id)
    return render_template(
        "outlets/_person_outlets.html",
        person=person,
        writable=person.writable_for(current_user),
        outlet_types=OUTLET_TYPES,
        outlet_links=services.links_of_person(person),
        outlet_link_errors=errors or {},
        outlet_link_values=values or {},
    ), status


def _chosen(id_field: str, search):
    """The id chosen in a picker; without one, the only match of the typed text, if any."""
    chosen = request.form.get(id_field, "")
    if chosen:
        return chosen
    q = (request.form.get("q") or "").strip()[:200]
    matches = search(q) if q else []
    return matches[0].id if len(matches) == 1 else ""


@bp.route("/links", methods=["POST"])
@signed_in
def link():
    """Link a person and an outlet of the same client, with position and department; sent
    from the person page (`from=person`) or the outlet's journalists tab."""
    from_person = request.form.get("from") == "person"
    position = request.form.get("position", "")
    department = request.form.get("department", "")
    values = {"position": position, "department": department, "q": request.form.get("q", "")}
    if from_person:
        person = Person.get_writable_or_403(
            current_user, services.record_id(request.form.get("person_id"))
        )
        outlet_id = _chosen(
            "outlet_id", lambda q: services.outlets_to_pick(current_user, person, q)
        )
        if not outlet_id:
            errors = {"outlet": _("Please choose an outlet.")}
            return _person_section(person.id, errors, values, 422)
        try:
            services.link_person(current_user, outlet_id, person, position, department)
        except ContactError as exc:
            return _person_section(person.id, exc.errors, values, 422)
        if not is_htmx():
            flash(_("Changes saved."), "success")
        return _person_section(person.id)
    outlet = Outlet.get_writable_or_403(
        current_user, services.record_id(request.form.get("outlet_id"))
    )
    person_id = _chosen("person_id", lambda q: services.persons_to_pick(current_user, outlet, q))
    try:
        if not person_id:
            raise ContactError({"person": _("Please choose a contact.")})
        link, created = services.link_person(current_user, outlet, person_id, position, department)
    except ContactError as exc:
        return _journalists_page(outlet, exc.errors, values, 422)
    name = Person.get_by_id(link.person_id).full_name
    if created:
        flash(_("%(name)s now works for this outlet.", name=name), "success")
    else:
        flash(_("Changes saved."), "success")
    return redirect(url_for("outlets.journalists", outlet_id=outlet.id))


@bp.route("/links/<int:link_id>/delete", methods=["POST"])
@signed_in
def unlink(link_id: int):
    """Remove a person's link to an outlet (both stay)."""
    link = services.unlink(current_user, link_id)
    from_person = request.form.get("from") == "person"
    if not (from_person and is_htmx()):
        flash(_("The contact no longer works for this outlet."), "success")
    if from_person:
        return _person_section(link.person_id)
    return redirect(url_for("outlets.journalists", outlet_id=link.outlet_id))
