"""Distribution list screens (SPEC L1): all lists, a list with its members, new/edit/delete
(the list right), members added from the contacts screen, a person's page or pasted
addresses, and removed."""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from peewee import fn
from werkzeug.datastructures import MultiDict

from app import nav
from app.blacklist.services import blacklisted
from app.clients.models import FULL
from app.clients.scoping import ScopeError, require_client
from app.clients.services import clients_for
from app.contacts import listing
from app.contacts.models import Person
from app.lists import services
from app.lists.models import LIST_KINDS, DistributionList, ListMember
from app.paging import page_number, page_of
from app.security import requires, signed_in

bp = Blueprint("lists", __name__, url_prefix="/lists")
nav.register("lists.index", _l("Lists"), order=20, prefix="/lists")

PAGE_SIZE = 50


@bp.route("/")
@signed_in
def index():
    """Every list the user sees, with the number of fixed members."""
    lists = list(
        DistributionList.visible_to(current_user).order_by(
            fn.LOWER(DistributionList.name), DistributionList.id
        )
    )
    counts = dict(
        ListMember.select(ListMember.distribution_list, fn.COUNT(ListMember.id))
        .where(ListMember.distribution_list.in_([lst.id for lst in lists]))
        .group_by(ListMember.distribution_list)
        .tuples()
    )
    return render_template(
        "lists/index.html",
        lists=lists,
        counts=counts,
        kinds=LIST_KINDS,
        may_manage=current_user.may_manage_lists,
    )


def _form(lst=None, values=None, errors=None, status=200):
    clients = list(clients_for(current_user, FULL))
    return (
        render_template(
            "lists/form.html",
            lst=lst,
            values=values or {},
            errors=errors or {},
            clients=clients,
            kinds=LIST_KINDS,
        ),
        status,
    )


@bp.route("/new", methods=["GET", "POST"])
@requires("lists")
def new():
    """A new list; from the contacts screen ("Save as list") the screen's filters arrive as
    `search` and make it a saved search (checked again here: only known filters count)."""
    if not clients_for(current_user, FULL).count():
        abort(403)
    if request.method == "GET":
        search = services.saved_search(MultiDict(parse_qsl(request.args.get("search", ""))))
        values = {
            "client_id": str(current_user.default_client_id or ""),
            "kind": "dynamic" if search else "static",
            "search": search,
        }
        return _form(values=values)
    values = {
        key: request.form.get(key, "")
        for key in ("client_id", "name", "description", "kind", "search")
    }
    client = require_client(current_user, values["client_id"], FULL)
    try:
        lst = services.create_list(
            current_user,
            client,
            name=values["name"],
            description=values["description"],
            kind=values["kind"],
            search=values["search"],
        )
    except services.ListError as exc:
        return _form(values=values, errors=exc.errors, status=422)
    except ScopeError:
        abort(403)
    flash(_("The list %(name)s has been created.", name=lst.name), "success")
    return redirect(url_for("lists.detail", list_id=lst.id))


@bp.route("/<int:list_id>")
@signed_in
def detail(list_id: int):
    """A list's members, paged; blocked members marked (they receive nothing)."""
    lst = DistributionList.get_visible_or_404(current_user, list_id)
    query = services.members(current_user, lst).order_by(
        Person.last_name, Person.first_name, Person.id
    )
    page = page_of(query, page_number(request.args.get("page")), PAGE_SIZE)
    rows = listing.rows_for(current_user, page.items)
    barred = blacklisted(row.email for row in rows)
    blocked = services.members(current_user, lst).where(Person.blocked == True).count()  # noqa: E712
    state = services.search_state(current_user, lst.search) if lst.kind == "dynamic" else None
    return render_template(
        "lists/detail.html",
        lst=lst,
        page=page,
        rows=rows,
        blocked=blocked,
        barred=barred,
        state=state,
        writable=lst.writable_for(current_user),
        may_manage=current_user.may_manage_lists,
        kinds=LIST_KINDS,
    )


@bp.route("/<int:list_id>/edit", methods=["GET", "POST"])
@requires("lists")
def edit(list_id: int):
    lst = DistributionList.get_writable_or_403(current_user, list_id)
    if request.method == "POST":
        values = {key: request.form.get(key, "") for key in ("name", "description")}
        try:
            services.update_list(current_user, lst.id, **values)
        except services.ListError as exc:
            return _form(lst, values, exc.errors, 422)
        flash(_("Changes saved."), "success")
        return redirect(url_for("lists.detail", list_id=lst.id))
    return _form(lst, {"name": lst.name, "description": lst.description})


@bp.route("/<int:list_id>/delete", methods=["GET", "POST"])
@requires("lists")
def delete(list_id: int):
    lst = DistributionList.get_writable_or_403(current_user, list_id)
    if request.method == "POST":
        services.delete_list(current_user, lst.id)
        flash(_("The list %(name)s has been deleted.", name=lst.name), "success")
        return redirect(url_for("lists.index"))
    return render_template("lists/confirm_delete.html", lst=lst, count=lst.members.count())


def _back(default):
    target = request.form.get("back", "")
    return target if target.startswith("/") and not target.startswith("//") else default


@bp.route("/<int:list_id>/members", methods=["POST"])
@signed_in
def members(list_id: int):
    """Add (`add`: person ids, or `addresses`: pasted e-mail addresses) or remove
    (`remove`: person ids) members of a static list."""
    back = _back(url_for("lists.detail", list_id=list_id))
    try:
        if "addresses" in request.form:
            result = services.add_by_addresses(
                current_user, list_id, request.form.get("addresses", "")
            )
            flash(
                _(
                    "%(added)d added, %(already)d already on the list.",
                    added=result["added"],
                    already=result["already"],
                ),
                "success",
            )
            if result["unknown"]:
                flash(
                    _(
                        "No contact of this client has these addresses: %(list)s",
                        list=", ".join(result["unknown"][:50]),
                    ),
                    "error",
                )
            if result["invalid"]:
                flash(
                    _(
                        "Not valid e-mail addresses: %(list)s",
                        list=", ".join(result["invalid"][:50]),
                    ),
                    "error",
                )
        elif request.form.get("action") == "remove":
            done = services.remove_members(current_user, list_id, request.form.getlist("ids"))
            flash(_("%(n)d removed from the list.", n=done), "success")
        else:
            done = services.add_members(current_user, list_id, request.form.getlist("ids"))
            flash(_("%(n)d added to the list.", n=done), "success")
    except services.ListError as exc:
        for message in exc.messages:
            flash(message, "error")
    return redirect(back)


@bp.route("/person/<int:person_id>", methods=["POST"])
@signed_in
def add_person(person_id: int):
    """Put a person on a list from the person's page."""
    list_id = request.form.get("list_id", "")
    if not list_id.isdigit():
        flash(_("Please choose a list."), "error")
        return redirect(url_for("contacts.detail", person_id=person_id))
    Person.get_visible_or_404(current_user, person_id)
    try:
        done = services.add_members(current_user, int(list_id), [person_id])
    except services.ListError as exc:
        for message in exc.messages:
            flash(message, "error")
    else:
        flash(_("Added to the list.") if done else _("Already on the list."), "success")
    return redirect(url_for("contacts.detail", person_id=person_id))


@bp.route("/<int:list_id>/person/<int:person_id>/remove", methods=["POST"])
@signed_in
def remove_person(list_id: int, person_id: int):
    """Take a person off a list from the person's page."""
    Person.get_visible_or_404(current_user, person_id)
    services.remove_members(current_user, list_id, [person_id])
    flash(_("Removed from the list."), "success")
    return redirect(url_for("contacts.detail", person_id=person_id))
