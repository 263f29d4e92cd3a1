"""Composing mailings (SPEC M2, M3): drafts saved as they are typed, recipients' sources,
attachments in the file store, a preview per recipient and a test message to oneself.
Every change needs full access to the mailing's client; only drafts can be changed."""

from __future__ import annotations

from flask import abort
from flask_babel import gettext as _

from app import files
from app.clock import utcnow
from app.contacts.models import Person
from app.extensions import db
from app.lists.models import DistributionList
from app.lists.recipients import resolve
from app.mailings.content import sanitise, text_from_html, unknown_placeholders
from app.mailings.models import PRIORITIES, Mailing, MailingAttachment, MailingSource

SUBJECT_MAX = 300
BODY_MAX = 500_000  # characters of HTML


class MailingError(ValueError):
    def __init__(self, errors: dict):
        self.errors = {key: str(message) for key, message in errors.items()}
        self.messages = list(self.errors.values())
        super().__init__("; ".join(self.messages))


def _draft(user, mailing_id) -> Mailing:
    mailing = Mailing.get_writable_or_403(user, mailing_id)
    if mailing.state != "draft":
        raise MailingError({"state": _("Only a draft can be changed.")})
    return mailing


def create_mailing(user, client, subject: str = "") -> Mailing:
    from app.audit.services import record_create

    subject = (subject or "").strip()
    if len(subject) > SUBJECT_MAX:
        raise MailingError({"subject": _("At most %(n)d characters, please.", n=SUBJECT_MAX)})
    with db.atomic():
        mailing = Mailing.create_for(user, client, subject=subject, created_by=user.id)
        record_create(mailing)
    return mailing


def _sender(user, sender_id, current):
    """The chosen sender account, if the user may send from it (else the current one)."""
    from app.senders.services import senders_for

    allowed = {s.id: s for s in senders_for(user)}
    if str(sender_id).isdigit() and int(sender_id) in allowed:
        return int(sender_id)
    if sender_id not in (None, ""):
        raise MailingError({"sender": _("Please choose one of your sender accounts.")})
    return current


def save_draft(
    user, mailing_id, *, subject, html, text=None, priority="standard", sender_id=None
) -> dict:
    """Save what the composer holds. The HTML is sanitised; the text part follows the HTML
    unless `text` differs from what the HTML gives (then the user's text is kept).
    Returns {"mailing", "warnings"}; raises MailingError for what cannot be saved."""
    mailing = _draft(user, mailing_id)
    subject = (subject or "").strip()
    errors = {}
    if len(subject) > SUBJECT_MAX:
        errors["subject"] = _("At most %(n)d characters, please.", n=SUBJECT_MAX)
    if len(html or "") > BODY_MAX:
        errors["html"] = _("The text is too long.")
    if priority not in PRIORITIES:
        priority = "standard"
    try:
        sender = _sender(user, sender_id, mailing.sender_id)
    except MailingError as exc:
        errors |= exc.errors
    if errors:
        raise MailingError(errors)
    clean = sanitise(html)
    generated = text_from_html(clean)
    if text is None or not text.strip() or text.strip() == text_from_html(mailing.html).strip():
        text, edited = generated, False
    else:
        edited = text.strip() != generated.strip()
    Mailing.update(
        subject=subject,
        html=clean,
        text=text,
        text_edited=edited,
        priority=priority,
        sender=sender,
        updated_at=utcnow(),
    ).where(Mailing.id == mailing.id).execute()
    warnings = []
    unknown = unknown_placeholders(subject, clean, text)
    if unknown:
        warnings.append(
            _("Unknown placeholders stay as they are: %(list)s", list=", ".join(unknown))
        )
    return {"mailing": Mailing.get_by_id(mailing.id), "warnings": warnings}


def regenerate_text(user, mailing_id) -> Mailing:
    """Throw the edited text part away and make it from the HTML again."""
    mailing = _draft(user, mailing_id)
    Mailing.update(text=text_from_html(mailing.html), text_edited=False).where(
        Mailing.id == mailing.id
    ).execute()
    return Mailing.get_by_id(mailing.id)


def add_list(user, mailing_id, list_id) -> None:
    mailing = _draft(user, mailing_id)
    lst = DistributionList.get_visible_or_404(user, list_id)
    if lst.client_id != mailing.client_id:
        raise MailingError({"sources": _("Only lists of the mailing's client can receive it.")})
    MailingSource.get_or_create(mailing=mailing.id, distribution_list=lst.id)


def add_person(user, mailing_id, person_id) -> None:
    mailing = _draft(user, mailing_id)
    person = Person.get_visible_or_404(user, person_id)
    if person.client_id != mailing.client_id:
        raise MailingError({"sources": _("Only contacts of the mailing's client can receive it.")})
    MailingSource.get_or_create(mailing=mailing.id, person=person.id)


def remove_source(user, mailing_id, source_id) -> None:
    mailing = _draft(user, mailing_id)
    MailingSource.delete().where(
        (MailingSource.id == source_id) & (MailingSource.mailing == mailing.id)
    ).execute()


def recipients_of(user, mailing):
    """The resolution of the mailing's sources within its client (M3)."""
    sources = list(mailing.sources)
    return resolve(
        user,
        list_ids=[s.distribution_list_id for s in sources if s.distribution_list_id],
        person_ids=[s.person_id for s in sources if s.person_id],
        client_id=mailing.client_id,
    )


def attachments_size(mailing) -> int:
    return sum(a.file_size for a in mailing.attachments)


def add_attachment(user, mailing_id, upload) -> MailingAttachment:
    """Store an uploaded file with the draft; the total of a mailing's attachments is
    limited by the setting `mailing_attachments_mb`."""
    from app.settings.services import get

    mailing = _draft(user, mailing_id)
    if upload is None or not getattr(upload, "filename", ""):
        raise MailingError({"file": _("Please choose a file.")})
    limit = get("mailing_attachments_mb") * 1024 * 1024
    room = limit - attachments_size(mailing)
    try:
        stored = files.save(upload.stream, upload.filename, max(room, 0))
    except files.FileTooLarge:
        raise MailingError(
            {"file": _("The attachments may total at most %(n)d MB.", n=limit // 2**20)}
        ) from None
    except files.EmptyFile:
        raise MailingError({"file": _("The file is empty.")}) from None
    return MailingAttachment.create(
        mailing=mailing.id,
        file_sha256=stored.sha256,
        file_name=stored.name,
        file_size=stored.size,
        file_type=stored.content_type,
    )


def remove_attachment(user, mailing_id, attachment_id) -> None:
    mailing = _draft(user, mailing_id)
    attachment = MailingAttachment.get_or_none(
        (MailingAttachment.id == attachment_id) & (MailingAttachment.mailing == mailing.id)
    )
    if attachment is None:
        abort(404)
    attachment.delete_instance()
    files.release(attachment.file_sha256)


def delete_draft(user, mailing_id) -> None:
    from app.audit.services import record_delete

    mailing = _draft(user, mailing_id)
    digests = [a.file_sha256 for a in mailing.attachments]
    with db.atomic():
        record_delete(mailing)
        mailing.delete_instance(recursive=True)
    for digest in digests:
        files.release(digest)
