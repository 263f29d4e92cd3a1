"""Event screens (SPEC L2): upcoming and past events, an event with its invitations whose
answers are changed inline, invitations from a search or a list, the participant list."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import nav
from app.clients.models import FULL
from app.clients.scoping import ScopeError, require_client
from app.clients.services import clients_for
from app.clock import to_local_input
from app.events import services
from app.events.models import EVENT_KINDS, RSVP_STATES, Event
from app.htmx import is_partial
from app.lists.models import DistributionList
from app.security import signed_in

bp = Blueprint("events", __name__, url_prefix="/events")
nav.register("events.index", _l("Events"), order=25, prefix="/events")

FIELDS = ("title", "kind", "starts_at", "ends_at", "place", "description")


@bp.route("/")
@signed_in
def index():
    when = "past" if request.args.get("when") == "past" else "upcoming"
    events = list(services.upcoming_first(current_user, when).limit(500))
    return render_template(
        "events/index.html",
        events=events,
        when=when,
        kinds=EVENT_KINDS,
        can_write=bool(clients_for(current_user, FULL).count()),
    )


def _form(event=None, values=None, errors=None, status=200):
    return (
        render_template(
            "events/form.html",
            event=event,
            values=values or {},
            errors=errors or {},
            clients=list(clients_for(current_user, FULL)),
            kinds=EVENT_KINDS,
        ),
        status,
    )


def _values() -> dict:
    return {name: request.form.get(name, "") for name in FIELDS}


@bp.route("/new", methods=["GET", "POST"])
@signed_in
def new():
    if not clients_for(current_user, FULL).count():
        abort(403)
    if request.method == "GET":
        return _form(
            values={
                "client_id": str(current_user.default_client_id or ""),
                "kind": "press_conference",
            }
        )
    values = _values() | {"client_id": request.form.get("client_id", "")}
    client = require_client(current_user, values["client_id"], FULL)
    try:
        event = services.create_event(current_user, client, values)
    except services.EventError as exc:
        return _form(values=values, errors=exc.errors, status=422)
    except ScopeError:
        abort(403)
    flash(_("The event has been created. Now invite the press."), "success")
    return redirect(url_for("events.detail", event_id=event.id))


@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
@signed_in
def edit(event_id: int):
    event = Event.get_writable_or_403(current_user, event_id)
    if request.method == "POST":
        values = _values()
        try:
            services.update_event(current_user, event.id, values)
        except services.EventError as exc:
            return _form(event, values, exc.errors, 422)
        flash(_("Changes saved."), "success")
        return redirect(url_for("events.detail", event_id=event.id))
    values = {name: getattr(event, name) for name in FIELDS}
    values |= {
        "starts_at": to_local_input(event.starts_at),
        "ends_at": to_local_input(event.ends_at),
    }
    return _form(event, values)


@bp.route("/<int:event_id>/delete", methods=["GET", "POST"])
@signed_in
def delete(event_id: int):
    event = Event.get_writable_or_403(current_user, event_id)
    if request.method == "POST":
        services.delete_event(current_user, event.id)
        flash(_("The event has been deleted."), "success")
        return redirect(url_for("events.index"))
    return render_template(
        "events/confirm_delete.html", event=event, count=event.invitations.count()
    )


def _detail(event, template="events/detail.html", **extra):
    writable = event.writable_for(current_user)
    lists = []
    if writable:
        lists = list(
            DistributionList.visible_to(current_user)
            .where(DistributionList.client == event.client_id)
            .order_by(DistributionList.name)
        )
    return render_template(
        template,
        event=event,
        invitations=list(services.participants(current_user, event)),
        counts=services.state_counts(current_user, event),
        states=RSVP_STATES,
        kinds=EVENT_KINDS,
        writable=writable,
        lists=lists,
        **extra,
    )


@bp.route("/<int:event_id>")
@signed_in
def detail(event_id: int):
    """The event, the answers so far and the invitations, each answer changed inline."""
    return _detail(Event.get_visible_or_404(current_user, event_id))


@bp.route("/<int:event_id>/participants")
@signed_in
def participants(event_id: int):
    """The participant list to print: those who accepted or came, then the rest."""
    return _detail(Event.get_visible_or_404(current_user, event_id), "events/participants.html")


@bp.route("/<int:event_id>/candidates")
@signed_in
def candidates(event_id: int):
    """The invitation picker: persons of the event's client matching the typed text."""
    event = Event.get_writable_or_403(current_user, event_id)
    found = services.candidates(current_user, event, request.args.get("q", ""))
    return render_template(
        "events/_candidates.html", event=event, found=found, q=request.args.get("q", "")
    )


@bp.route("/<int:event_id>/invite", methods=["POST"])
@signed_in
def invite(event_id: int):
    """Invite the persons picked (`ids`) or a whole list (`list_id`)."""
    try:
        if request.form.get("list_id"):
            list_id = request.form["list_id"]
            if not list_id.isdigit():
                abort(404)
            result = services.invite_list(current_user, event_id, int(list_id))
        else:
            ids = request.form.getlist("ids")
            if not ids:
                raise services.EventError({"invite": _("Please pick at least one contact.")})
            result = services.invite(current_user, event_id, ids)
    except services.EventError as exc:
        for message in exc.messages:
            flash(message, "error")
    else:
        flash(_("%(invited)d invited, %(already)d invited already.", **result), "success")
        if result["blocked"]:
            flash(_("%(n)d blocked contacts were not invited.", n=result["blocked"]), "error")
    return redirect(url_for("events.detail", event_id=event_id))


@bp.route("/<int:event_id>/invitations/<int:invitation_id>", methods=["POST"])
@signed_in
def answer(event_id: int, invitation_id: int):
    """Change an answer: htmx gets the row back, a plain form a redirect."""
    try:
        invitation = services.set_state(
            current_user,
            event_id,
            invitation_id,
            request.form.get("state", ""),
            request.form.get("note"),
        )
    except services.EventError as exc:
        if is_partial():
            return exc.messages[0], 422
        flash(exc.messages[0], "error")
        return redirect(url_for("events.detail", event_id=event_id))
    if is_partial():
        invitation = (
            services.participants(current_user, invitation.event)
            .where(services.Invitation.id == invitation.id)
            .get()
        )
        return render_template(
            "events/_invitation.html",
            event=invitation.event,
            inv=invitation,
            states=RSVP_STATES,
            writable=True,
        )
    return redirect(url_for("events.detail", event_id=event_id))


@bp.route("/<int:event_id>/invitations/<int:invitation_id>/delete", methods=["POST"])
@signed_in
def uninvite(event_id: int, invitation_id: int):
    services.uninvite(current_user, event_id, invitation_id)
    flash(_("The invitation has been withdrawn."), "success")
    return redirect(url_for("events.detail", event_id=event_id))
