"""Sender accounts and sender domains (SPEC M1): the administrator's screens. Administrators
only; sender accounts belong to the whole organisation (D39)."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.admin import sections
from app.security import administrator_only
from app.senders import records, services
from app.senders.forms import ConfirmForm, SenderForm
from app.senders.models import DkimKey, SenderAccount, SenderDomain, SenderUser

bp = Blueprint("sender_admin", __name__, url_prefix="/admin/senders")
sections.register(
    "sender_admin.index",
    _l("Sender accounts"),
    _l("The addresses mailings are sent from, who may use them, and their DNS records."),
    order=25,
)


def _status() -> int:
    return 422 if request.method == "POST" else 200


def _sender_or_404(sender_id: int) -> SenderAccount:
    sender = SenderAccount.get_or_none(SenderAccount.id == sender_id)
    if sender is None:
        abort(404)
    return sender


def _domain_or_404(domain_id: int) -> SenderDomain:
    domain = SenderDomain.get_or_none(SenderDomain.id == domain_id)
    if domain is None:
        abort(404)
    return domain


def _confirmed() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


@bp.route("/")
@administrator_only
def index():
    """Every sender account with its domain's DNS state and the number of its users."""
    senders = list(
        SenderAccount.select(SenderAccount, SenderDomain)
        .join(SenderDomain)
        .order_by(SenderAccount.active.desc(), SenderAccount.display_name, SenderAccount.address)
    )
    counts = {}
    for link in SenderUser.select(SenderUser.sender):
        counts[link.sender_id] = counts.get(link.sender_id, 0) + 1
    domains = list(SenderDomain.select().order_by(SenderDomain.name))
    return render_template("senders/index.html", senders=senders, counts=counts, domains=domains)


@bp.route("/new", methods=["GET", "POST"])
@administrator_only
def create():
    """Create a sender account; a new domain gets its DKIM key at once."""
    form = SenderForm()
    errors = []
    if form.validate_on_submit():
        try:
            sender = services.create_sender(
                form.display_name.data, form.address.data, form.reply_to.data
            )
        except services.SenderError as exc:
            errors = exc.messages
        else:
            flash(
                _("Sender %(sender)s created. Now choose who may use it.", sender=str(sender)),
                "success",
            )
            return redirect(url_for("sender_admin.users", sender_id=sender.id))
    return render_template("senders/form.html", form=form, sender=None, errors=errors), _status()


@bp.route("/<int:sender_id>", methods=["GET", "POST"])
@administrator_only
def edit(sender_id):
    """Change a sender's name or addresses; deactivate or reactivate it."""
    sender = _sender_or_404(sender_id)
    form = SenderForm(obj=sender)
    errors = []
    if form.validate_on_submit():
        try:
            services.update_sender(
                sender, form.display_name.data, form.address.data, form.reply_to.data
            )
        except services.SenderError as exc:
            errors = exc.messages
        else:
            flash(_("Sender %(sender)s saved.", sender=str(sender)), "success")
            return redirect(url_for("sender_admin.index"))
    return (
        render_template(
            "senders/form.html", form=form, sender=sender, errors=errors, confirm=ConfirmForm()
        ),
        _status(),
    )


def _set_active(sender_id: int, active: bool):
    sender = _sender_or_404(sender_id)
    _confirmed()
    services.set_sender_active(sender, active)
    if active:
        flash(_("Sender %(sender)s is active again.", sender=str(sender)), "success")
    else:
        flash(_("Sender %(sender)s deactivated.", sender=str(sender)), "success")
    return redirect(url_for("sender_admin.edit", sender_id=sender.id))


@bp.route("/<int:sender_id>/deactivate", methods=["POST"])
@administrator_only
def deactivate(sender_id):
    """Deactivate a sender: nobody can choose it for a new mailing; past mailings keep it."""
    return _set_active(sender_id, False)


@bp.route("/<int:sender_id>/reactivate", methods=["POST"])
@administrator_only
def reactivate(sender_id):
    """Make a deactivated sender available again."""
    return _set_active(sender_id, True)


@bp.route("/<int:sender_id>/users", methods=["GET", "POST"])
@administrator_only
def users(sender_id):
    """Who may send from this sender: a checkbox per active user, saved in one go."""
    sender = _sender_or_404(sender_id)
    form = ConfirmForm()
    errors = []
    chosen = services.user_ids_of(sender)
    if form.validate_on_submit():
        try:
            chosen = {int(v) for v in request.form.getlist("users")}
            added, removed = services.assign_users(sender, chosen)
        except ValueError as exc:  # SenderError too
            errors = getattr(exc, "messages", None) or [_("Please choose users from the list.")]
        else:
            flash(
                _(
                    "Users of %(sender)s saved (%(added)d added, %(removed)d removed).",
                    sender=str(sender),
                    added=added,
                    removed=removed,
                ),
                "success",
            )
            return redirect(url_for("sender_admin.index"))
    return (
        render_template(
            "senders/users.html",
            sender=sender,
            form=form,
            errors=errors,
            users=services.assignable_users(),
            chosen=chosen,
        ),
        _status(),
    )


@bp.route("/domains/<int:domain_id>")
@administrator_only
def domain(domain_id):
    """A sender domain: the DNS records to publish, and what the last check found."""
    domain = _domain_or_404(domain_id)
    keys = list(
        DkimKey.select()
        .where(DkimKey.domain == domain)
        .order_by(DkimKey.retired_at.is_null(False), DkimKey.created_at.desc())
    )
    active = services.active_key(domain)
    mechanisms = records.our_mechanisms()
    published_spf = domain.spf_found.split("\n")[0] if domain.spf_found else None
    return render_template(
        "senders/domain.html",
        domain=domain,
        active=active,
        dkim=records.dkim_record(active.selector, domain.name, active.public_key),
        retired=[
            (key, records.dkim_record(key.selector, domain.name, key.public_key))
            for key in keys
            if key.retired_at is not None
        ],
        spf=records.Record(domain.name, records.spf_suggestion(published_spf, mechanisms)),
        spf_configured=bool(mechanisms),
        spf_several=len(domain.spf_found.split("\n")) > 1,
        dmarc=records.dmarc_record(domain.name),
        senders=list(domain.senders.order_by(SenderAccount.address)),
        confirm=ConfirmForm(),
        lifetime=current_app.config["DNS_LIFETIME"],
    )


@bp.route("/domains/<int:domain_id>/check", methods=["POST"])
@administrator_only
def check(domain_id):
    """Look up the domain's records now (a few seconds at most) and show the result."""
    domain = _domain_or_404(domain_id)
    _confirmed()
    services.refresh_dns(domain)
    if domain.check_error:
        flash(_("Some records could not be checked; see below."), "error")
    else:
        flash(_("The DNS records of %(domain)s were checked.", domain=domain.name), "success")
    return redirect(url_for("sender_admin.domain", domain_id=domain.id))


@bp.route("/domains/<int:domain_id>/rotate", methods=["POST"])
@administrator_only
def rotate(domain_id):
    """Make a new DKIM key under a new selector; the old one stays until removed."""
    domain = _domain_or_404(domain_id)
    _confirmed()
    key = services.rotate_key(domain)
    flash(
        _(
            "New key with selector %(selector)s: publish its record now. Mail is signed with it "
            "from now on.",
            selector=key.selector,
        ),
        "success",
    )
    return redirect(url_for("sender_admin.domain", domain_id=domain.id))


@bp.route("/domains/<int:domain_id>/keys/<int:key_id>/remove", methods=["POST"])
@administrator_only
def remove_key(domain_id, key_id):
    """Delete a retired key (its DNS record can then be removed too)."""
    domain = _domain_or_404(domain_id)
    key = DkimKey.get_or_none((DkimKey.id == key_id) & (DkimKey.domain == domain))
    if key is None:
        abort(404)
    _confirmed()
    try:
        services.remove_key(domain, key)
    except services.SenderError as exc:
        flash(exc.messages[0], "error")
    else:
        flash(
            _("Key %(selector)s removed; its DNS record can go too.", selector=key.selector),
            "success",
        )
    return redirect(url_for("sender_admin.domain", domain_id=domain.id))
