"""Mailing screens (SPEC M2, M3): the mailings of the clients the user sees, and the
composer of a draft — subject, rich text, text part, recipients, attachments, a preview per
recipient and a test message to oneself; the draft saves itself while typing."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from app import nav
from app.clients.models import FULL
from app.clients.scoping import ScopeError, require_client
from app.clients.services import clients_for
from app.contacts.models import Person
from app.htmx import is_partial
from app.lists.models import DistributionList
from app.lists.recipients import REASONS
from app.mail import MailError, deliver
from app.mailings import dispatch, presend, services
from app.mailings.content import PLACEHOLDERS, personalise, sanitise, values_for
from app.mailings.message import MessageTemplate
from app.mailings.models import PRIORITIES, STATES, Mailing
from app.security import requires, signed_in
from app.senders.services import senders_for

bp = Blueprint("mailings", __name__, url_prefix="/mailings")
nav.register("mailings.index", _l("Mailings"), order=15, prefix="/mailings")


@bp.route("/")
@signed_in
def index():
    mailings = list(Mailing.visible_to(current_user).order_by(Mailing.updated_at.desc()).limit(500))
    return render_template(
        "mailings/index.html",
        mailings=mailings,
        states=STATES,
        can_write=bool(clients_for(current_user, FULL).count()),
    )


@bp.route("/new", methods=["GET", "POST"])
@signed_in
def new():
    clients = list(clients_for(current_user, FULL))
    if not clients:
        abort(403)
    values = {"client_id": str(current_user.default_client_id or ""), "subject": ""}
    errors = {}
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in ("client_id", "subject")}
        client = require_client(current_user, values["client_id"], FULL)
        try:
            mailing = services.create_mailing(current_user, client, values["subject"])
        except services.MailingError as exc:
            errors = exc.errors
        except ScopeError:
            abort(403)
        else:
            return redirect(url_for("mailings.compose", mailing_id=mailing.id))
    return render_template(
        "mailings/new.html", clients=clients, values=values, errors=errors
    ), 422 if errors else 200


def _composer(mailing, errors=None, warnings=None, status=200):
    recipients = services.recipients_of(current_user, mailing)
    sources = list(mailing.sources)
    taken = {s.distribution_list_id for s in sources}
    lists = [
        lst
        for lst in DistributionList.visible_to(current_user)
        .where(DistributionList.client == mailing.client_id)
        .order_by(DistributionList.name)
        if lst.id not in taken
    ]
    return (
        render_template(
            "mailings/compose.html",
            mailing=mailing,
            errors=errors or {},
            warnings=warnings or [],
            sources=sources,
            lists=lists,
            recipients=recipients,
            reasons=REASONS,
            priorities=PRIORITIES,
            placeholders=PLACEHOLDERS,
            attachments=list(mailing.attachments),
            senders=senders_for(current_user),
            attachments_size=services.attachments_size(mailing),
            writable=mailing.state == "draft" and mailing.writable_for(current_user),
            states=STATES,
            may_cancel=may_cancel(mailing),
        ),
        status,
    )


@bp.route("/<int:mailing_id>", methods=["GET", "POST"])
@signed_in
def compose(mailing_id: int):
    """The composer. A POST saves the draft: htmx (autosave while typing) gets the small
    "saved" line back, a plain form the page."""
    mailing = Mailing.get_visible_or_404(current_user, mailing_id)
    if request.method == "GET":
        return _composer(mailing)
    form = request.form
    try:
        result = services.save_draft(
            current_user,
            mailing_id,
            subject=form.get("subject", ""),
            html=form.get("html", ""),
            text=form.get("text"),
            priority=form.get("priority", "standard"),
            sender_id=form.get("sender_id"),
        )
    except services.MailingError as exc:
        if is_partial():
            return render_template("mailings/_saved.html", errors=exc.errors), 422
        return _composer(mailing, errors=exc.errors, status=422)
    if is_partial():
        return render_template(
            "mailings/_saved.html", mailing=result["mailing"], warnings=result["warnings"]
        )
    flash(_("The draft has been saved."), "success")
    for warning in result["warnings"]:
        flash(warning, "error")
    return redirect(url_for("mailings.compose", mailing_id=mailing_id))


def _back(mailing_id):
    return redirect(url_for("mailings.compose", mailing_id=mailing_id))


def _flash_errors(exc):
    for message in exc.messages:
        flash(message, "error")


@bp.route("/<int:mailing_id>/text", methods=["POST"])
@signed_in
def regenerate(mailing_id: int):
    try:
        services.regenerate_text(current_user, mailing_id)
    except services.MailingError as exc:
        _flash_errors(exc)
    return _back(mailing_id)


@bp.route("/<int:mailing_id>/sources", methods=["POST"])
@signed_in
def add_source(mailing_id: int):
    """Add a list (`list_id`) or a person (`person_id`) to the recipients."""
    try:
        list_id, person_id = request.form.get("list_id", ""), request.form.get("person_id", "")
        if list_id.isdigit():
            services.add_list(current_user, mailing_id, int(list_id))
        elif person_id.isdigit():
            services.add_person(current_user, mailing_id, int(person_id))
        else:
            raise services.MailingError({"sources": _("Please choose a list.")})
    except services.MailingError as exc:
        _flash_errors(exc)
    return _back(mailing_id)


@bp.route("/<int:mailing_id>/sources/<int:source_id>/delete", methods=["POST"])
@signed_in
def remove_source(mailing_id: int, source_id: int):
    try:
        services.remove_source(current_user, mailing_id, source_id)
    except services.MailingError as exc:
        _flash_errors(exc)
    return _back(mailing_id)


@bp.route("/<int:mailing_id>/attachments", methods=["POST"])
@signed_in
def add_attachment(mailing_id: int):
    try:
        attachment = services.add_attachment(current_user, mailing_id, request.files.get("file"))
    except services.MailingError as exc:
        _flash_errors(exc)
    else:
        flash(_("%(name)s is attached.", name=attachment.file_name), "success")
    return _back(mailing_id)


@bp.route("/<int:mailing_id>/attachments/<int:attachment_id>/delete", methods=["POST"])
@signed_in
def remove_attachment(mailing_id: int, attachment_id: int):
    try:
        services.remove_attachment(current_user, mailing_id, attachment_id)
    except services.MailingError as exc:
        _flash_errors(exc)
    return _back(mailing_id)


def _sample_values(recipients, person_id=None):
    """The placeholder values of a recipient (the chosen one, else the first)."""
    chosen = next((r for r in recipients if str(r.person_id) == str(person_id)), None)
    chosen = chosen or (recipients[0] if recipients else None)
    if chosen is None:
        return None, {}
    from app.outlets.services import links_of_person

    person = Person.get_by_id(chosen.person_id)
    links = links_of_person(person)
    return chosen, values_for(person, links[0].outlet.name if links else "")


def _parsed(raw: bytes):
    import email
    import email.policy

    return email.message_from_bytes(raw, policy=email.policy.default)


def _sample_raw(mailing, chosen, values) -> bytes:
    """The chosen recipient's message as dispatch will send it (signed, with the
    unsubscribe footer) when the sender can sign; else as the template renders it."""
    from app.senders.dkim import SigningError

    if mailing.sender is not None and chosen is not None:
        try:
            return presend.sample_message(mailing, [chosen])
        except SigningError:
            pass
    sender = str(mailing.sender) if mailing.sender else current_app.config["MAIL_FROM"]
    return MessageTemplate(mailing, sender=sender).render(
        values, to=chosen.address if chosen else "recipient@example.org"
    )


@bp.route("/<int:mailing_id>/preview")
@signed_in
def preview(mailing_id: int):
    """The message as one recipient will see it (the chosen one, else the first)."""
    mailing = Mailing.get_visible_or_404(current_user, mailing_id)
    recipients = services.recipients_of(current_user, mailing).recipients
    chosen, values = _sample_values(recipients, request.args.get("person"))
    raw = _sample_raw(mailing, chosen, values)
    message = _parsed(raw)
    # the body once more through the sanitiser before it is shown in the app's own page
    body = Markup(sanitise(personalise(mailing.html, values, html=True)))  # noqa: S704  # nosec B704 (nh3 output)
    return render_template(
        "mailings/_preview.html",
        mailing=mailing,
        chosen=chosen,
        recipients=recipients[:200],
        subject=message["Subject"],
        text=message.get_body(("plain",)).get_content(),
        html=body,
        size=len(raw),
    )


@bp.route("/<int:mailing_id>/test", methods=["POST"])
@signed_in
def test_send(mailing_id: int):
    """The message of the first (or chosen) recipient, from the mailing's sender (DKIM
    signed as the real ones will be) to the user's own address."""
    from app.senders.dkim import SigningError, sign

    mailing = Mailing.get_writable_or_403(current_user, mailing_id)
    if mailing.sender is None:
        flash(_("Please choose the sender first."), "error")
        return _back(mailing_id)
    recipients = services.recipients_of(current_user, mailing).recipients
    _chosen, values = _sample_values(recipients, request.form.get("person"))
    sender = mailing.sender
    template = MessageTemplate(mailing, sender=str(sender), reply_to=sender.reply_to)
    template.subject = _("[Test] %(subject)s", subject=mailing.subject)
    raw = template.render(
        values,
        to=current_user.email,
        to_name=current_user.name,
        headers={"X-Depesche-Test": "yes"},
    )
    try:
        raw = sign(raw, mailing.sender.domain.name)
    except SigningError as exc:
        flash(_("The message could not be signed: %(reason)s", reason=str(exc)), "error")
        return _back(mailing_id)
    try:
        deliver(_parsed(raw), raw)
    except MailError as exc:
        flash(_("The test message could not be sent: %(reason)s", reason=str(exc)), "error")
    else:
        flash(_("A test message went to %(address)s.", address=current_user.email), "success")
    return _back(mailing_id)


@bp.route("/<int:mailing_id>/check")
@signed_in
def check(mailing_id: int):
    """The pre-send check (B3): the only way to dispatch."""
    from app.clock import to_local_input, utcnow

    mailing = Mailing.get_visible_or_404(current_user, mailing_id)
    if mailing.state != "draft":
        return redirect(url_for("mailings.compose", mailing_id=mailing_id))
    result = presend.run(current_user, mailing)
    return render_template(
        "mailings/check.html",
        mailing=mailing,
        check=result,
        reasons=REASONS,
        send_at=request.args.get("send_at") or to_local_input(utcnow()),
        writable=mailing.writable_for(current_user),
    )


@bp.route("/<int:mailing_id>/check/dns")
@signed_in
def check_dns(mailing_id: int):
    """The live SPF/DKIM/DMARC check of the sender domain (loaded by the check page; a
    lookup takes at most DNS_LIFETIME, and no network means "could not check")."""
    from app.senders.services import dns_state, refresh_dns

    mailing = Mailing.get_visible_or_404(current_user, mailing_id)
    if mailing.sender is None:
        abort(404)
    domain = refresh_dns(mailing.sender.domain)
    return render_template("mailings/_dns.html", domain=domain, dns=dns_state(domain), live=True)


@bp.route("/<int:mailing_id>/send", methods=["POST"])
@requires("dispatch")
def send(mailing_id: int):
    """Confirm the check: send now, or at the chosen time."""
    from app.clock import from_local

    send_at = None
    if request.form.get("when") == "later":
        try:
            send_at = from_local(request.form.get("send_at", ""))
        except ValueError:
            flash(_("Please give the date and time of sending."), "error")
            return redirect(url_for("mailings.check", mailing_id=mailing_id)), 303
    expected = request.form.get("recipients", "")
    try:
        mailing = dispatch.start(
            current_user,
            mailing_id,
            send_at=send_at,
            expected_recipients=int(expected) if expected.isdigit() else None,
        )
    except services.MailingError as exc:
        _flash_errors(exc)
        return redirect(url_for("mailings.check", mailing_id=mailing_id)), 303
    if mailing.state == "scheduled":
        flash(_("The mailing is scheduled."), "success")
    else:
        flash(_("The mailing is being sent."), "success")
    return redirect(url_for("mailing_reports.report", mailing_id=mailing_id))


@bp.route("/<int:mailing_id>/cancel", methods=["POST"])
@requires("dispatch")
def cancel(mailing_id: int):
    try:
        stopped = dispatch.cancel(current_user, mailing_id)
    except services.MailingError as exc:
        _flash_errors(exc)
    else:
        flash(
            _("The mailing has been cancelled; %(n)d recipients will not get it.", n=stopped),
            "success",
        )
    return redirect(url_for("mailing_reports.report", mailing_id=mailing_id))


def may_cancel(mailing) -> bool:
    return (
        mailing.state in ("scheduled", "sending")
        and current_user.may_send
        and mailing.writable_for(current_user)
    )


@bp.route("/<int:mailing_id>/delete", methods=["POST"])
@signed_in
def delete(mailing_id: int):
    try:
        services.delete_draft(current_user, mailing_id)
    except services.MailingError as exc:
        _flash_errors(exc)
        return _back(mailing_id)
    flash(_("The draft has been deleted."), "success")
    return redirect(url_for("mailings.index"))
