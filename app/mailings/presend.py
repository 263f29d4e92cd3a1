"""The pre-send check (SPEC B3, M3, M10): everything a user must see before a mailing goes
out, on one screen — the recipients and who was left out why, duplicates across sources,
the size of one message and the whole mailing, this month's volume, the starting-phase
limit, and the sender domain's SPF/DKIM/DMARC state. Dispatch starts only from here, and
only when `problems` is empty."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _

from app.lists.recipients import Resolution
from app.mailings import volume
from app.mailings.content import unknown_placeholders
from app.mailings.models import Mailing

STARTING_PHASE_LIMIT = 100
LARGE_MESSAGE = 10 * 1024 * 1024  # many editorial mail servers refuse more


@dataclass
class Check:
    mailing: Mailing
    resolution: Resolution
    message_size: int = 0  # bytes of one signed message (the first recipient's)
    problems: list[str] = field(default_factory=list)  # each stops the dispatch
    warnings: list[str] = field(default_factory=list)
    dns: dict | None = None
    month: volume.Volume | None = None
    total: volume.Volume | None = None
    limit: int | None = None

    @property
    def recipients(self) -> int:
        return len(self.resolution.recipients)

    @property
    def total_bytes(self) -> int:
        return self.message_size * self.recipients

    def summary(self) -> dict:
        """What was confirmed, kept with the mailing."""
        return {
            "recipients": self.recipients,
            "removed": {k: len(v) for k, v in self.resolution.removed.items()},
            "duplicates": self.resolution.duplicates,
            "message_size": self.message_size,
            "total_bytes": self.total_bytes,
            "dns": {k: v for k, v in (self.dns or {}).items() if k != "checked_at"},
        }


def sample_message(mailing, recipients) -> bytes:
    """The first recipient's message as it would go out, signed (its size is the size of
    every message, give or take the personalisation)."""
    from app.mailings.dispatch import Batch
    from app.mailings.models import MailingRecipient

    first = recipients[0] if recipients else None
    row = MailingRecipient(
        mailing=mailing.id,
        person=first.person_id if first else None,
        address=first.address if first else "recipient@example.org",
        token="0" * 20,
    )
    return Batch(mailing, [row], holder="").message(row)[0]


def run(user, mailing: Mailing) -> Check:
    from app.mailings.services import recipients_of
    from app.senders.dkim import SigningError
    from app.senders.services import current_key, dns_state, senders_for
    from app.settings.services import get

    check = Check(mailing=mailing, resolution=recipients_of(user, mailing))
    problems, warnings = check.problems, check.warnings
    if mailing.state != "draft":
        problems.append(_("This mailing has already been sent."))
    if not getattr(user, "may_send", False):
        problems.append(_("You do not have the right to send mailings."))
    if not mailing.subject.strip():
        problems.append(_("The subject is empty."))
    if not (mailing.html.strip() or mailing.text.strip()):
        problems.append(_("The message has no text."))
    if not check.recipients:
        problems.append(_("The mailing has no recipients."))
    sender = mailing.sender
    if sender is None:
        problems.append(_("Please choose the sender first."))
    elif not sender.active or sender.id not in {s.id for s in senders_for(user)}:
        problems.append(_("You may not send from %(sender)s.", sender=sender.address))
    elif current_key(sender.domain.name) is None:
        problems.append(_("The sender domain has no DKIM key."))
    else:
        check.dns = dns_state(sender.domain)
        try:
            check.message_size = len(sample_message(mailing, check.resolution.recipients))
        except SigningError as exc:
            problems.append(_("The message could not be signed: %(reason)s", reason=str(exc)))
        for kind in ("spf", "dkim", "dmarc"):
            if check.dns[kind] != "ok":
                warnings.append(
                    _(
                        "%(record)s of %(domain)s is not as it should be; receivers may "
                        "reject or file the messages as spam.",
                        record=kind.upper(),
                        domain=sender.domain.name,
                    )
                )
    if get("starting_phase"):
        check.limit = STARTING_PHASE_LIMIT
        if check.recipients > STARTING_PHASE_LIMIT:
            problems.append(
                _(
                    "In the starting phase a mailing may have at most %(n)d recipients.",
                    n=STARTING_PHASE_LIMIT,
                )
            )
    if check.message_size > LARGE_MESSAGE:
        warnings.append(
            _("Each message is larger than 10 MB; many editorial mail servers refuse that.")
        )
    unknown = unknown_placeholders(mailing.subject, mailing.html, mailing.text)
    if unknown:
        warnings.append(
            _("Unknown placeholders stay as they are: %(list)s", list=", ".join(unknown))
        )
    check.month = volume.this_month()
    check.total = volume.all_time()
    return check
