"""Erasure of a person (GDPR Art. 17, SPEC C9): irreversible.

The person's row stays as a tombstone (so that counts of past mailings and lists stay
true) with every personal field blanked, blocked, and hidden from every screen; addresses,
numbers, outlet and topic links and the whole contact history (with the documents' bytes)
are deleted, the addresses in the recipient rows of sent mailings blanked; the audit
trail's entries about the person (and about persons merged into it) are blanked
(app.audit.services.redact_target), and one entry `person.erase` records that
an erasure happened, naming no personal data. Backups still hold the data until they
expire by retention (four weeks daily, three months monthly; README "Backups").
"""

from __future__ import annotations

from flask_babel import gettext as _

from app import files
from app.bounces.services import forget_addresses
from app.clock import utcnow
from app.contacts.duplicates import merged_ids
from app.contacts.models import (
    HistoryEntry,
    NotDuplicate,
    Person,
    PersonEmail,
    PersonOutlet,
    PersonPhone,
    PersonTopic,
)
from app.contacts.services import ContactError
from app.extensions import db
from app.mailings.models import MailingRecipient

BLANK = {
    "gender": "",
    "title": "",
    "first_name": "",
    "last_name": "",
    "position": "",
    "department": "",
    "street": "",
    "postcode": "",
    "city": "",
    "country": "",
    "notes": "",
    "blocked_reason": "",
    "origin_file": "",
    "origin_row": None,
    "search_text": "",
    "name_key": "",
}


def erase_person(user, person_id) -> int:
    """Erase a person the user may change; returns the number of audit entries blanked."""
    from app.audit.services import record, redact_target

    person = Person.get_writable_or_403(user, person_id)
    if person.erased_at:
        raise ContactError({"erase": _("This contact has already been erased.")})
    with db.atomic():
        documents = [
            sha
            for (sha,) in HistoryEntry.select(HistoryEntry.file_sha256)
            .where((HistoryEntry.person == person.id) & (HistoryEntry.file_sha256 != ""))
            .tuples()
        ]
        HistoryEntry.delete().where(HistoryEntry.person == person.id).execute()
        addresses = [a for (a,) in person.emails.select(PersonEmail.address).tuples()]
        for model in (PersonEmail, PersonPhone, PersonOutlet, PersonTopic):
            model.delete().where(model.person == person.id).execute()
        forget_addresses(addresses)  # their bounce state, unless someone else has them
        NotDuplicate.delete().where(
            (NotDuplicate.first == person.id) | (NotDuplicate.second == person.id)
        ).execute()
        # what the mailings sent them stays counted (volume, rates), without the address
        MailingRecipient.update(address="", smtp_response="", bounce_reason="").where(
            MailingRecipient.person == person.id
        ).execute()
        now = utcnow()
        Person.update(blocked=True, blocked_at=now, erased_at=now, updated_at=now, **BLANK).where(
            Person.id == person.id
        ).execute()
        blanked = sum(redact_target("person", pid) for pid in [person.id, *merged_ids(person.id)])
        record(
            "person.erase",
            target_type="person",
            target_id=person.id,
            target_label="",
            client_id=person.client_id,
            details={"audit_entries_blanked": blanked, "documents_deleted": len(documents)},
        )
    for sha in documents:
        files.release(sha)
    return blanked
