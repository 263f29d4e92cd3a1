"""Clients (SPEC A3): the administrator's screens (clients, rights per client) and each
user's choice of a default client."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from app.admin import sections
from app.clients import services
from app.clients.forms import ClientForm, ConfirmForm, DefaultClientForm, rights_form
from app.clients.models import FULL, READ, RIGHT_LABELS, Client
from app.clients.scoping import require_client
from app.security import administrator_only, signed_in
from app.users.models import User

bp = Blueprint("clients", __name__)
sections.register(
    "clients.index",
    _l("Clients"),
    _l("Business areas, partners and affiliated companies, and who may see their records."),
    order=20,
)


# The start screen shows it (templates/home/index.html).
bp.add_app_template_global(services.default_client_of, "default_client_of")


def _status(form) -> int:
    return 422 if request.method == "POST" else 200


def _client_or_404(client_id: int) -> Client:
    # The administrator's screens show every client, whatever the administrator's own right.
    client = Client.get_or_none(Client.id == client_id)
    if client is None:
        abort(404)
    return client


@bp.route("/admin/clients/")
@administrator_only
def index():
    """Every client with its state and how many users may see its records."""
    clients = list(Client.select().order_by(Client.active.desc(), Client.name))
    return render_template(
        "clients/index.html", clients=clients, counts=services.users_with_access()
    )


@bp.route("/admin/clients/new", methods=["GET", "POST"])
@administrator_only
def create():
    """Create a client; rights on it are granted afterwards on its rights page."""
    form = ClientForm()
    if form.validate_on_submit():
        try:
            client = services.create_client(form.name.data, form.description.data)
        except services.ClientError as exc:
            form.name.errors = [*form.name.errors, *exc.messages]
        else:
            flash(
                _("Client %(name)s created. Now decide who may see it.", name=client.name),
                "success",
            )
            return redirect(url_for("clients.rights", client_id=client.id))
    return render_template("clients/form.html", form=form, client=None), _status(form)


@bp.route("/admin/clients/<int:client_id>/edit", methods=["GET", "POST"])
@administrator_only
def edit(client_id):
    """Rename a client or change its description; deactivate or reactivate it."""
    client = _client_or_404(client_id)
    form = ClientForm(obj=client)
    if form.validate_on_submit():
        try:
            services.update_client(client, form.name.data, form.description.data)
        except services.ClientError as exc:
            form.name.errors = [*form.name.errors, *exc.messages]
        else:
            flash(_("Client %(name)s saved.", name=client.name), "success")
            return redirect(url_for("clients.index"))
    return (
        render_template("clients/form.html", form=form, client=client, confirm=ConfirmForm()),
        _status(form),
    )


def _set_active(client_id: int, active: bool):
    client = _client_or_404(client_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    services.set_client_active(client, active)
    if active:
        flash(_("Client %(name)s is active again.", name=client.name), "success")
    else:
        flash(_("Client %(name)s deactivated.", name=client.name), "success")
    return redirect(url_for("clients.edit", client_id=client.id))


@bp.route("/admin/clients/<int:client_id>/deactivate", methods=["POST"])
@administrator_only
def deactivate(client_id):
    """Deactivate a client: its records stay, read only; nobody can add or change any."""
    return _set_active(client_id, False)


@bp.route("/admin/clients/<int:client_id>/reactivate", methods=["POST"])
@administrator_only
def reactivate(client_id):
    """Make a deactivated client active again."""
    return _set_active(client_id, True)


@bp.route("/admin/clients/<int:client_id>/rights", methods=["GET", "POST"])
@administrator_only
def rights(client_id):
    """Every user's right on one client (full, read only, hidden), saved in one go."""
    client = _client_or_404(client_id)
    users = list(User.select().order_by(User.active.desc(), User.name, User.email))
    form = rights_form(users, services.rights_on(client))
    if form.validate_on_submit():
        changed = services.set_rights(
            client, {user: form[f"user_{user.id}"].data for user in users}
        )
        flash(
            _("Rights on %(name)s saved (%(n)d changed).", name=client.name, n=changed),
            "success",
        )
        return redirect(url_for("clients.rights", client_id=client.id))
    if request.method == "POST":
        flash(_("The rights could not be saved; see the marked rows."), "error")
    rows = [(user, form[f"user_{user.id}"]) for user in users]
    return (
        render_template("clients/rights.html", client=client, form=form, rows=rows),
        _status(form),
    )


@bp.route("/account/default-client", methods=["GET", "POST"])
@signed_in
def default_client():
    """Choose the client that new records go to; lists the clients one may write to, and
    the clients one can see with one's right on each."""
    user = current_user._get_current_object()
    writable = list(services.clients_for(user, FULL))
    form = DefaultClientForm()
    form.client.choices = [SelectChoice("", _("No default client"))] + [
        SelectChoice(str(c.id), c.name) for c in writable
    ]
    if request.method == "GET":
        current = services.default_client_of(user)
        form.client.data = str(current.id) if current else ""
    elif form.validate_on_submit():
        chosen = next((c for c in writable if str(c.id) == form.client.data), None)
        services.set_default_client(user, chosen)
        flash(_("Your default client has been saved."), "success")
        return redirect(url_for("clients.default_client"))
    elif not form.csrf_token.errors and form.client.data:
        # Not a choice: the client is hidden or unknown (404) or only readable (403).
        require_client(user, form.client.data, FULL)
    visible = list(services.clients_for(user, READ))
    rights = services.rights_of(user)
    return (
        render_template(
            "clients/default_client.html",
            form=form,
            visible=visible,
            rights=rights,
            labels=RIGHT_LABELS,
            writable_ids={c.id for c in writable},
        ),
        _status(form),
    )
