"""A person's e-mail addresses and phone numbers (SPEC C1): several of each, one primary.
The primary address is where mailings go; each change is one audit entry of the person."""

from __future__ import annotations

from flask import abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.contacts.models import Person, PersonEmail, PersonPhone
from app.contacts.services import PHONE_MAX, ContactError, reindex
from app.emails import InvalidEmail, normalise_email
from app.extensions import db

PHONE_KINDS = {
    "office": _l("office"),
    "mobile": _l("mobile"),
    "home": _l("private"),
    "fax": _l("fax"),
}
CHANNELS = {"email": (PersonEmail, "address"), "phone": (PersonPhone, "number")}


def _record(person, channel: str, before: list, after: list) -> None:
    from app.audit.services import record

    name = "emails" if channel == "email" else "phones"
    record("person.update", person, changes={name: [before, after]})


def _values(person, channel: str) -> list[str]:
    model, column = CHANNELS[channel]
    rows = model.select().where(model.person == person.id).order_by(-model.is_primary, model.id)
    return [getattr(row, column) for row in rows]


def add(user, person_id, channel: str, value: str, kind: str = "office") -> None:
    """Add an address or number; the first of its kind becomes primary."""
    person = Person.get_writable_or_403(user, person_id)
    model, column = CHANNELS.get(channel) or abort(404)
    value = (value or "").strip()
    if channel == "email":
        try:
            value = normalise_email(value)
        except InvalidEmail:
            raise ContactError({channel: _("This is not a valid e-mail address.")}) from None
    elif not value:
        raise ContactError({channel: _("Please give a number.")})
    elif len(value) > PHONE_MAX:
        raise ContactError({channel: _("At most %(n)d characters, please.", n=PHONE_MAX)})
    with db.atomic():
        before = _values(person, channel)
        if value in before:
            raise ContactError({channel: _("The contact already has this entry.")})
        fields = {"person": person.id, column: value, "is_primary": not before}
        if channel == "phone":
            fields["kind"] = kind if kind in PHONE_KINDS else "office"
        model.create(**fields)
        _record(person, channel, before, _values(person, channel))
        reindex([person.id])


def _entry(person, channel: str, entry_id):
    model, _column = CHANNELS.get(channel) or abort(404)
    entry = model.get_or_none((model.id == entry_id) & (model.person == person.id))
    return entry or abort(404)


def make_primary(user, person_id, channel: str, entry_id) -> None:
    person = Person.get_writable_or_403(user, person_id)
    entry = _entry(person, channel, entry_id)
    model = type(entry)
    with db.atomic():
        before = _values(person, channel)
        model.update(is_primary=False).where(model.person == person.id).execute()
        model.update(is_primary=True).where(model.id == entry.id).execute()
        _record(person, channel, before, _values(person, channel))


def remove(user, person_id, channel: str, entry_id) -> None:
    """Remove an address or number; if it was primary, the oldest remaining one is."""
    person = Person.get_writable_or_403(user, person_id)
    entry = _entry(person, channel, entry_id)
    model = type(entry)
    with db.atomic():
        before = _values(person, channel)
        entry.delete_instance()
        if entry.is_primary:
            successor = model.select().where(model.person == person.id).order_by(model.id).first()
            if successor:
                model.update(is_primary=True).where(model.id == successor.id).execute()
        _record(person, channel, before, _values(person, channel))
        reindex([person.id])
