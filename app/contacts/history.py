"""A person's contact history (SPEC C5): notes, calls and documents, newest first. Filed
e-mails (C8) will arrive as entries of the kind "email". Every change is checked through
the person's client right and recorded in the audit trail."""

from __future__ import annotations

import datetime

from flask_babel import gettext as _
from peewee import JOIN

from app import files
from app.clock import from_local, utcnow
from app.contacts.models import DIRECTIONS, HistoryEntry, Person
from app.contacts.services import ContactError
from app.extensions import db

USER_KINDS = ("note", "call", "document")  # what a user adds by hand
BODY_MAX = 20_000
DOCUMENT_MAX_BYTES = 25 * 1024 * 1024


def entries_for(person, limit: int = 500) -> list[HistoryEntry]:
    """The person's history, newest first, with the authors in the same query."""
    from app.users.models import User

    return list(
        HistoryEntry.select(HistoryEntry, User)
        .join(User, join_type=JOIN.LEFT_OUTER, on=(HistoryEntry.author == User.id))
        .where(HistoryEntry.person == person.id)
        .order_by(HistoryEntry.occurred_at.desc(), HistoryEntry.id.desc())
        .limit(limit)
    )


def _when(value: str) -> datetime.datetime:
    """The moment typed into a datetime-local field (the user's time zone) in UTC; now
    when empty."""
    if not (value or "").strip():
        return utcnow()
    try:
        moment = from_local(value)
    except ValueError:
        raise ContactError({"occurred_at": _("Please give a date and time.")}) from None
    if moment > utcnow() + datetime.timedelta(days=1):
        raise ContactError({"occurred_at": _("This lies in the future.")})
    return moment


def add_entry(
    user, person_id, *, kind, subject="", body="", occurred_at="", direction="", upload=None
) -> HistoryEntry:
    """Add a note, a call or a document to a person the user may change."""
    from app.audit.services import record

    person = Person.get_writable_or_403(user, person_id)
    kind = (kind or "").strip()
    subject, body = (subject or "").strip(), (body or "").strip()
    errors = {}
    if kind not in USER_KINDS:
        raise ContactError({"kind": _("Please choose a note, a call or a document.")})
    if len(subject) > HistoryEntry.subject.max_length:
        errors["subject"] = _(
            "At most %(n)d characters, please.", n=HistoryEntry.subject.max_length
        )
    if len(body) > BODY_MAX:
        errors["body"] = _("At most %(n)d characters, please.", n=BODY_MAX)
    if direction not in DIRECTIONS:
        direction = ""
    if kind == "note" and not body:
        errors["body"] = _("Please write the note.")
    if kind == "call" and not (subject or body):
        errors["body"] = _("Please say what the call was about.")
    has_file = upload is not None and getattr(upload, "filename", "")
    if kind == "document" and not has_file:
        errors["file"] = _("Please choose a file.")
    try:
        moment = _when(occurred_at)
    except ContactError as exc:
        errors |= exc.errors
    if errors:
        raise ContactError(errors)
    stored = None
    if kind == "document":
        try:
            stored = files.save(upload.stream, upload.filename, DOCUMENT_MAX_BYTES)
        except files.FileTooLarge:
            raise ContactError(
                {"file": _("The file is larger than %(n)d MB.", n=DOCUMENT_MAX_BYTES // 2**20)}
            ) from None
        except files.EmptyFile:
            raise ContactError({"file": _("The file is empty.")}) from None
    with db.atomic():
        entry = HistoryEntry.create(
            person=person.id,
            kind=kind,
            occurred_at=moment,
            direction=direction if kind == "call" else "",
            subject=subject or (stored.name if stored else ""),
            body=body,
            file_sha256=stored.sha256 if stored else "",
            file_name=stored.name if stored else "",
            file_size=stored.size if stored else 0,
            file_type=stored.content_type if stored else "",
            author=user.id,
        )
        details = {"kind": kind, "entry": entry.id}
        if stored:
            details |= {"file": stored.name, "size": stored.size, "sha256": stored.sha256}
        record("person.history_add", person, details=details)
    return entry


def entry_of(user, person_id, entry_id, *, writable: bool = False) -> HistoryEntry:
    """An entry of a person the user sees (or may change); 404 for anything else."""
    from flask import abort

    person = (
        Person.get_writable_or_403(user, person_id)
        if writable
        else Person.get_visible_or_404(user, person_id)
    )
    entry = HistoryEntry.get_or_none(
        (HistoryEntry.id == entry_id) & (HistoryEntry.person == person.id)
    )
    if entry is None:
        abort(404)
    return entry


def delete_entry(user, person_id, entry_id) -> None:
    """Remove an entry (and the document's bytes when nothing else uses them)."""
    from app.audit.services import record

    entry = entry_of(user, person_id, entry_id, writable=True)
    with db.atomic():
        record(
            "person.history_delete",
            entry.person,
            details={"kind": entry.kind, "entry": entry.id, "file": entry.file_name},
        )
        entry.delete_instance()
    files.release(entry.file_sha256)
