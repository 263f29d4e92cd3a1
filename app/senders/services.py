"""Sender accounts and sender domains (SPEC M1): create, change, deactivate, assign users;
the domain of every sender address with its DKIM keys; the stored DNS state. Every change
is audited in its own transaction."""

from __future__ import annotations

import idna
from flask_babel import gettext as _

from app.audit.services import record, record_create, record_update, snapshot
from app.clock import utcnow
from app.emails import InvalidEmail, normalise_email
from app.extensions import db
from app.senders import dnscheck, keys
from app.senders.models import NOT_CHECKED, DkimKey, SenderAccount, SenderDomain, SenderUser
from app.users.models import User

NAME_MAX = 200


class SenderError(ValueError):
    """A sender account cannot be created or changed; the message is shown to the person
    asking."""

    def __init__(self, messages):
        self.messages = [str(m) for m in (messages if isinstance(messages, list) else [messages])]
        super().__init__("; ".join(self.messages))


def _address(value: str) -> str:
    try:
        return normalise_email(value)
    except InvalidEmail:
        raise SenderError(_("The e-mail address %(email)s is not valid.", email=value)) from None


def domain_name(address: str) -> str:
    """The DNS name (A-labels: `xn--mnchen-3ya.de`) of an address's domain."""
    try:
        return idna.encode(address.rpartition("@")[2], uts46=True).decode().lower()
    except idna.IDNAError:
        raise SenderError(_("The e-mail address %(email)s is not valid.", email=address)) from None


def _checked(display_name: str, address: str, reply_to: str, sender=None) -> dict:
    errors = []
    display_name = " ".join((display_name or "").split())
    if not display_name:
        errors.append(_("Please enter the name recipients see as the sender."))
    elif len(display_name) > NAME_MAX:
        errors.append(_("The name may have at most %(n)d characters.", n=NAME_MAX))
    fields = {"display_name": display_name}
    for name, value in (("address", address), ("reply_to", reply_to)):
        value = (value or "").strip()
        if not value:
            if name == "address":
                errors.append(_("Please enter the sender's e-mail address."))
            fields[name] = ""
            continue
        try:
            fields[name] = _address(value)
        except SenderError as exc:
            errors.extend(exc.messages)
    if fields.get("address"):
        try:
            domain_name(fields["address"])
        except SenderError as exc:
            errors.extend(exc.messages)
        others = SenderAccount.select().where(SenderAccount.address == fields["address"])
        if sender is not None:
            others = others.where(SenderAccount.id != sender.id)
        if others.exists():
            errors.append(
                _("There is already a sender with the address %(email)s.", email=fields["address"])
            )
    if errors:
        raise SenderError(errors)
    return fields


def ensure_domain(name: str) -> SenderDomain:
    """The sender domain of that name, created with its first DKIM key if it is new."""
    domain = SenderDomain.get_or_none(SenderDomain.name == name)
    if domain is None:
        domain = SenderDomain.create(name=name)
        record("sender_domain.create", domain, target_label=name)
        _add_key(domain)
    return domain


def _add_key(domain: SenderDomain) -> DkimKey:
    taken = {k.selector for k in DkimKey.select(DkimKey.selector).where(DkimKey.domain == domain)}
    private, public = keys.generate()
    key = DkimKey.create(
        domain=domain, selector=keys.new_selector(taken), private_key=private, public_key=public
    )
    # the audit trail names the selector, never the (encrypted) private key
    record(
        "dkim_key.create",
        target_type="sender_domain",
        target_id=domain.id,
        target_label=domain.name,
        details={"selector": key.selector},
    )
    return key


def create_sender(display_name: str, address: str, reply_to: str = "") -> SenderAccount:
    """Create a sender account; its domain (and that domain's DKIM key) if it is new."""
    with db.atomic():
        fields = _checked(display_name, address, reply_to)
        domain = ensure_domain(domain_name(fields["address"]))
        sender = SenderAccount.create(domain=domain, **fields)
        record_create(sender, target_label=str(sender))
    return sender


def update_sender(
    sender: SenderAccount, display_name: str, address: str, reply_to: str = ""
) -> SenderAccount:
    """Change a sender's name or addresses; a new domain gets its key like a new sender."""
    with db.atomic():
        fields = _checked(display_name, address, reply_to, sender)
        before = snapshot(sender)
        for name, value in fields.items():
            setattr(sender, name, value)
        sender.domain = ensure_domain(domain_name(fields["address"]))
        sender.updated_at = utcnow()
        sender.save()
        _audit_update(sender, before)
    return sender


def set_sender_active(sender: SenderAccount, active: bool) -> SenderAccount:
    """Deactivate or reactivate a sender. Senders are not deleted: past mailings name them."""
    with db.atomic():
        before = snapshot(sender)
        sender.active = bool(active)
        sender.updated_at = utcnow()
        sender.save()
        _audit_update(sender, before)
    return sender


def _audit_update(sender: SenderAccount, before: dict) -> None:
    # the time stamp alone is no change worth an entry
    before["updated_at"] = snapshot(sender).get("updated_at")
    record_update(sender, before, target_label=str(sender))


def assignable_users() -> list[User]:
    return list(User.select().where(User.active == True).order_by(User.name, User.email))  # noqa: E712


def user_ids_of(sender: SenderAccount) -> set[int]:
    return {
        link.user_id
        for link in SenderUser.select(SenderUser.user).where(SenderUser.sender == sender)
    }


def assign_users(sender: SenderAccount, user_ids) -> tuple[int, int]:
    """Set who may send from `sender`: exactly the given active users. Inactive users keep
    an existing assignment (they are not on the form); unknown ids raise SenderError.
    Returns (added, removed)."""
    wanted = {int(i) for i in user_ids}
    active = {u.id for u in assignable_users()}
    if wanted - active:
        raise SenderError(_("Senders can only be assigned to active users."))
    with db.atomic():
        current = user_ids_of(sender)
        added = wanted - current
        removed = (current - wanted) & active
        for user_id in sorted(added):
            SenderUser.create(sender=sender, user=user_id)
        if removed:
            SenderUser.delete().where(
                (SenderUser.sender == sender) & SenderUser.user.in_(sorted(removed))
            ).execute()
        if added or removed:
            record(
                "sender_account.assign",
                sender,
                target_label=str(sender),
                changes={"users": [sorted(current), sorted((current | added) - removed)]},
            )
    return len(added), len(removed)


def senders_for(user) -> list[SenderAccount]:
    """The active sender accounts `user` may send from (for the composer)."""
    return list(
        SenderAccount.select(SenderAccount, SenderDomain)
        .join(SenderDomain)
        .switch(SenderAccount)
        .join(SenderUser)
        .where((SenderUser.user == user.id) & (SenderAccount.active == True))  # noqa: E712
        .order_by(SenderAccount.display_name, SenderAccount.address)
    )


# --- domains and keys ----------------------------------------------------------------------


def active_key(domain: SenderDomain) -> DkimKey | None:
    """The key that signs: the newest one not retired."""
    return (
        DkimKey.select()
        .where((DkimKey.domain == domain) & DkimKey.retired_at.is_null())
        .order_by(DkimKey.created_at.desc(), DkimKey.id.desc())
        .first()
    )


def current_key(name: str) -> DkimKey | None:
    domain = SenderDomain.get_or_none(SenderDomain.name == name)
    return None if domain is None else active_key(domain)


def rotate_key(domain: SenderDomain) -> DkimKey:
    """A new key under a new selector signs from now on. The old key is retired but kept,
    with its DNS record shown, until the operator removes it (when mail signed with it is
    no longer in transit or being verified, a few days later)."""
    with db.atomic():
        old = active_key(domain)
        if old is not None:
            old.retired_at = utcnow()
            old.save()
            record(
                "dkim_key.retire",
                target_type="sender_domain",
                target_id=domain.id,
                target_label=domain.name,
                details={"selector": old.selector},
            )
        key = _add_key(domain)
        _reset_dkim_state(domain)
    return key


def remove_key(domain: SenderDomain, key: DkimKey) -> None:
    """Delete a retired key (the signing key cannot be removed: rotate first)."""
    if key.retired_at is None:
        raise SenderError(_("The key in use cannot be removed; rotate the key first."))
    with db.atomic():
        key.delete_instance()
        record(
            "dkim_key.delete",
            target_type="sender_domain",
            target_id=domain.id,
            target_label=domain.name,
            details={"selector": key.selector},
        )


def _reset_dkim_state(domain: SenderDomain) -> None:
    # the new selector has not been looked up yet
    domain.dkim_state, domain.dkim_found = NOT_CHECKED, ""
    domain.save()


def refresh_dns(domain: SenderDomain) -> SenderDomain:
    """Look up what the domain publishes now and store it with the time of the check."""
    key = active_key(domain)
    findings, error = dnscheck.check(domain.name, key.selector, key.public_key)
    for kind, finding in findings.items():
        setattr(domain, f"{kind}_state", finding.state)
        setattr(domain, f"{kind}_found", finding.found)
    domain.check_error = error[:200]
    domain.checked_at = utcnow()
    domain.save()
    return domain


def dns_state(domain: SenderDomain) -> dict:
    """The stored state for the pre-send check (B3), without waiting for DNS."""
    return {
        "checked_at": domain.checked_at,
        "dkim": domain.dkim_state,
        "spf": domain.spf_state,
        "dmarc": domain.dmarc_state,
    }


def domains_in_use() -> list[SenderDomain]:
    """Domains with at least one active sender (the periodic check looks at these)."""
    return list(
        SenderDomain.select()
        .where(
            SenderDomain.id.in_(
                SenderAccount.select(SenderAccount.domain).where(SenderAccount.active == True)  # noqa: E712
            )
        )
        .order_by(SenderDomain.name)
    )
