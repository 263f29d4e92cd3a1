"""Services of the contacts feature: the search text kept in step, and every change of a
person (create, edit, delete, block, tag), each checked through the scoping base, in one
transaction with its audit entry."""

from __future__ import annotations

from collections import defaultdict

from peewee import fn

from app.clock import utcnow
from app.contacts.models import (
    Person,
    PersonEmail,
    PersonOutlet,
    PersonPhone,
    PersonTopic,
    Topic,
)
from app.contacts.search import canonical_text, name_key
from app.extensions import db
from app.outlets.models import Outlet

BATCH = 500
SEARCHED_FIELDS = ("title", "first_name", "last_name", "position", "department", "city", "notes")


def search_text(fields: dict, emails=(), outlets=(), topics=()) -> str:
    """The canonical search text of a person from its fields and linked names."""
    return canonical_text(
        *(fields.get(name) or "" for name in SEARCHED_FIELDS), *emails, *outlets, *topics
    )


def _grouped(query) -> defaultdict:
    """{person id: [names]} from a query of (person id, name) pairs."""
    groups = defaultdict(list)
    for person_id, name in query.tuples():
        groups[person_id].append(name)
    return groups


def reindex(person_ids) -> int:
    """Recompute `search_text` and `name_key` of the given persons with a fixed number of
    queries per batch (no query per person); returns how many were updated. Linked names
    are taken in the order they were added (by id), so the text does not depend on a query
    plan."""
    ids = list(person_ids)
    done = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        emails = _grouped(
            PersonEmail.select(PersonEmail.person, PersonEmail.address)
            .where(PersonEmail.person.in_(chunk))
            .order_by(PersonEmail.id)
        )
        outlets = _grouped(
            PersonOutlet.select(PersonOutlet.person, Outlet.name)
            .join(Outlet)
            .where(PersonOutlet.person.in_(chunk))
            .order_by(PersonOutlet.id)
        )
        topics = _grouped(
            PersonTopic.select(PersonTopic.person, Topic.name)
            .join(Topic)
            .where(PersonTopic.person.in_(chunk))
            .order_by(PersonTopic.id)
        )
        with db.atomic():
            for person in Person.select().where(Person.id.in_(chunk)):
                text = search_text(
                    person.__data__, emails[person.id], outlets[person.id], topics[person.id]
                )
                key = name_key(person.last_name)
                if text != person.search_text or key != person.name_key:
                    Person.update(search_text=text, name_key=key).where(
                        Person.id == person.id
                    ).execute()
                    done += 1
    return done


# --- persons: create, change, delete, block, tag (SPEC C1, C4, C9) -------------------------

# The only fields a form may set on a person (no mass assignment); `email` and `phone` are
# the primary address and number, kept in their own tables.
EDITABLE_FIELDS = (
    "gender",
    "title",
    "first_name",
    "last_name",
    "position",
    "department",
    "language",
    "street",
    "postcode",
    "city",
    "country",
    "notes",
)
INLINE_FIELDS = ("position", "city", "email", "phone")
NOTES_MAX = 10_000
PHONE_MAX = 64
LANGUAGES = ("de", "en", "fr", "it")
# the longest value of each field a person's form or an import can set
_LIMITS = {
    **{name: Person._meta.fields[name].max_length for name in EDITABLE_FIELDS if name != "notes"},
    "notes": NOTES_MAX,
    "phone": PHONE_MAX,
    "email": 254,
}


class ContactError(ValueError):
    """A person cannot be saved as given; `errors` maps a field to its message (translated,
    for the person who typed it)."""

    def __init__(self, errors: dict):
        self.errors = {key: str(message) for key, message in errors.items()}
        self.messages = list(self.errors.values())
        super().__init__("; ".join(self.messages))


def _clean(fields: dict) -> tuple[dict, dict]:
    """Trimmed values of the known fields and {field: message} for those that do not fit."""
    from flask_babel import gettext as _

    from app.contacts.models import SALUTATIONS
    from app.emails import InvalidEmail, normalise_email

    values, errors = {}, {}
    for name, value in fields.items():
        limit = _LIMITS.get(name)
        if limit is None:
            raise TypeError(f"{name!r} cannot be set on a person")
        value = (value or "").strip() if isinstance(value, str) or value is None else value
        if len(value) > limit:
            errors[name] = _("At most %(n)d characters, please.", n=limit)
            continue
        if name == "email" and value:
            try:
                value = normalise_email(value)
            except InvalidEmail:
                errors[name] = _("This is not a valid e-mail address.")
                continue
        if name == "gender" and value not in SALUTATIONS:
            value = ""
        if name == "country":
            value = value.upper()
            if value and (len(value) != 2 or not value.isalpha()):
                errors[name] = _("A country is a two-letter code such as DE, AT or CH.")
                continue
        if name == "language" and value not in LANGUAGES:
            errors[name] = _("Unknown language.")
            continue
        values[name] = value
    if "last_name" in fields and not values.get("last_name") and "last_name" not in errors:
        errors["last_name"] = _("A last name is needed.")
    return values, errors


def primary_email(person) -> str:
    row = person.emails.where(PersonEmail.is_primary == True).first()  # noqa: E712
    return row.address if row else ""


def primary_phone(person) -> str:
    row = person.phones.where(PersonPhone.is_primary == True).first()  # noqa: E712
    return row.number if row else ""


def _set_primary_email(person, address: str) -> None:
    PersonEmail.update(is_primary=False).where(PersonEmail.person == person.id).execute()
    if not address:
        return
    existing = PersonEmail.get_or_none(
        (PersonEmail.person == person.id) & (PersonEmail.address == address)
    )
    if existing:
        PersonEmail.update(is_primary=True).where(PersonEmail.id == existing.id).execute()
    else:
        PersonEmail.create(person=person.id, address=address, is_primary=True)


def _set_primary_phone(person, number: str) -> None:
    current = person.phones.where(PersonPhone.is_primary == True).first()  # noqa: E712
    if current and number:
        PersonPhone.update(number=number).where(PersonPhone.id == current.id).execute()
    elif current:
        current.delete_instance()
    elif number:
        PersonPhone.create(person=person.id, number=number, is_primary=True)


def _state(person) -> dict:
    """What the audit trail compares: the person's fields and the primary address/number."""
    from app.audit.services import snapshot

    return {**snapshot(person), "email": primary_email(person), "phone": primary_phone(person)}


def create_person(user, client, *, emails=(), outlet_ids=(), topic_names=(), **fields):
    """A new person in `client` (one the user may write to, default: their default client),
    with its e-mail addresses (the first is primary), outlets and topics; audited with the
    origin "manual". Raises ContactError on bad input, ScopeError without the right."""
    from flask_babel import gettext as _

    from app.audit.services import record_create
    from app.emails import InvalidEmail, normalise_email

    phone = fields.pop("phone", "")
    values, errors = _clean({"last_name": "", **fields, "phone": phone})
    addresses = []
    for address in emails:
        if not (address or "").strip():
            continue
        try:
            addresses.append(normalise_email(address))
        except InvalidEmail:
            errors["email"] = _("This is not a valid e-mail address.")
    if errors:
        raise ContactError(errors)
    values.pop("phone", None)
    values.pop("email", None)
    with db.atomic():
        person = Person.create_for(user, client, origin="manual", **values)
        for position, address in enumerate(dict.fromkeys(addresses)):
            PersonEmail.create(person=person, address=address, is_primary=position == 0)
        if phone.strip():
            PersonPhone.create(person=person, number=phone.strip(), is_primary=True)
        outlets = Outlet.visible_to(user).where(
            (Outlet.id.in_([int(i) for i in outlet_ids])) & (Outlet.client == person.client_id)
        )
        for outlet in outlets:
            PersonOutlet.create(person=person, outlet=outlet)
        for name in dict.fromkeys(n.strip() for n in topic_names if n and n.strip()):
            PersonTopic.create(person=person, topic=topic_named(user, person.client_id, name))
        record_create(person, origin="manual", details={"emails": addresses})
        reindex([person.id])
    return Person.get_by_id(person.id)


def update_person(user, person, **fields):
    """Change the given editable fields (and `email`/`phone`, the primary ones) of a person
    the user may write to; one audit entry with every changed field (old and new)."""
    from app.audit.services import changes_between, record

    person = Person.get_writable_or_403(user, person.id if isinstance(person, Person) else person)
    values, errors = _clean(fields)
    if errors:
        raise ContactError(errors)
    with db.atomic():
        before = _state(person)
        email, phone = values.pop("email", None), values.pop("phone", None)
        for name, value in values.items():
            setattr(person, name, value)
        if email is not None:
            _set_primary_email(person, email)
        if phone is not None:
            _set_primary_phone(person, phone)
        person.updated_at = utcnow()
        person.save()
        changes = changes_between(before, _state(person))
        changes.pop("updated_at", None)
        if changes:
            record("person.update", person, changes=changes)
        reindex([person.id])
    return person


def _writable(user, ids) -> list:
    """The persons of `ids`, all of which the user must be able to change: an id that is
    hidden or unknown answers 404, one that is only readable 403 (nothing is changed)."""
    from flask import abort

    try:
        wanted = {int(i) for i in ids}
    except (TypeError, ValueError):
        abort(404)
    if not wanted:
        return []
    persons = list(
        Person.visible_to(user).where(Person.id.in_(list(wanted)) & Person.erased_at.is_null())
    )
    if len(persons) != len(wanted):
        abort(404)
    writable = {
        p.id for p in Person.writable_by(user, Person.id).where(Person.id.in_(list(wanted)))
    }
    if writable != wanted:
        abort(403)
    return persons


def persons_for_change(user, ids) -> list:
    """The persons a bulk action would change (for a confirmation), checked like the action."""
    return sorted(_writable(user, ids), key=lambda p: (p.last_name, p.first_name, p.id))


def delete_persons(user, ids) -> int:
    """Delete persons with their addresses, numbers and links; one audit entry each."""
    from app.audit.services import record_delete

    persons = _writable(user, ids)
    with db.atomic():
        for person in persons:
            record_delete(person)
        Person.delete().where(Person.id.in_([p.id for p in persons])).execute()
    return len(persons)


def _set_blocked(user, ids, blocked: bool, reason: str = "") -> int:
    from app.audit.services import record

    persons = [p for p in _writable(user, ids) if p.blocked != blocked]
    reason = (reason or "").strip()[: Person.blocked_reason.max_length]
    now = utcnow()
    with db.atomic():
        for person in persons:
            changes = {"blocked": [not blocked, blocked]}
            if blocked:
                changes["blocked_reason"] = [person.blocked_reason, reason]
            record(
                "person.block" if blocked else "person.unblock",
                person,
                changes=changes,
                details={"reason": reason} if blocked else {},
            )
        Person.update(
            blocked=blocked,
            blocked_at=now if blocked else None,
            blocked_reason=reason if blocked else "",
            updated_at=now,
        ).where(Person.id.in_([p.id for p in persons])).execute()
    return len(persons)


def block_persons(user, ids, reason: str = "") -> int:
    """Restrict processing (C9): the persons stay visible, marked, and are left out of every
    mailing and export. Returns how many were newly blocked."""
    return _set_blocked(user, ids, True, reason)


def unblock_persons(user, ids) -> int:
    return _set_blocked(user, ids, False)


def topic_named(user, client_id: int, name: str):
    """The client's topic of that name (in any case), created when missing; shared by
    persons and outlets (SPEC C3)."""
    topic = (
        Topic.writable_by(user)
        .where((Topic.client == client_id) & (fn.LOWER(Topic.name) == name.lower()))
        .first()
    )
    return topic or Topic.create_for(user, client_id, name=name)


def checked_topic_name(name: str) -> str:
    """The trimmed name of a topic to add or remove; ContactError if empty or too long."""
    from flask_babel import gettext as _

    name = (name or "").strip()
    if not name:
        raise ContactError({"topic": _("Please name the topic.")})
    if len(name) > Topic.name.max_length:
        raise ContactError(
            {"topic": _("At most %(n)d characters, please.", n=Topic.name.max_length)}
        )
    return name


def tag_persons(user, ids, topic_name: str) -> int:
    """Give the persons a topic (created in each person's client when missing)."""
    from app.audit.services import record

    name = checked_topic_name(topic_name)
    persons = _writable(user, ids)
    done = 0
    with db.atomic():
        topics = {}
        for person in persons:
            if person.client_id not in topics:
                topics[person.client_id] = topic_named(user, person.client_id, name)
            topic = topics[person.client_id]
            if PersonTopic.get_or_none(person=person.id, topic=topic.id):
                continue
            PersonTopic.create(person=person.id, topic=topic.id)
            record("person.tag", person, details={"topic": topic.name})
            done += 1
        reindex([p.id for p in persons])
    return done


def untag_persons(user, ids, topic_name: str) -> int:
    """Take a topic from the persons."""
    from app.audit.services import record

    name = checked_topic_name(topic_name)
    persons = _writable(user, ids)
    done = 0
    with db.atomic():
        for person in persons:
            link = (
                PersonTopic.select()
                .join(Topic)
                .where(PersonTopic.person == person.id, fn.LOWER(Topic.name) == name.lower())
                .first()
            )
            if link is None:
                continue
            link.delete_instance()
            record("person.untag", person, details={"topic": name})
            done += 1
        reindex([p.id for p in persons])
    return done
