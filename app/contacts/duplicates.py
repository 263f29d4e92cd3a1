"""Duplicate detection and merge (SPEC C7).

Two persons of one client are duplicate candidates when they share an e-mail address, or
when they work for the same outlet under a very similar name: the same phonetic key of the
last name (Kölner Phonetik, which treats Meier, Meyer and Mayr alike, and Müller and
Mueller) and first names that fit (equal after transliteration, one the initial or a prefix
of the other, or one of them unknown). The key is `Person.name_key`, kept by `reindex`.

A merge keeps one person and moves everything of the other to it: e-mail addresses, phone
numbers, outlets, topics, history, and every row of any other table that points at a
person (list memberships, mailing recipients, … — found through the models' foreign keys,
so features added later are covered); the audit trail records the merge, and the kept
person's history shows the merged person's trail as well.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import ForeignKeyField

from app.clock import utcnow
from app.contacts.models import NotDuplicate, Person, PersonEmail, PersonOutlet, PersonPhone
from app.contacts.search import name_key, query_words
from app.contacts.services import EDITABLE_FIELDS, ContactError, _state, reindex
from app.extensions import db

REASONS = {"email": _l("same e-mail address"), "name": _l("similar name at the same outlet")}
PAIRS_MAX = 200


def first_names_fit(a: str, b: str) -> bool:
    """Whether two first names may belong to one person ("A." and "Anna", "Jürgen" and
    "Juergen", "Hans" and "Hans-Peter"); an unknown first name fits any."""
    wa, wb = " ".join(query_words(a)), " ".join(query_words(b))
    if not wa or not wb:
        return True
    return wa.startswith(wb) or wb.startswith(wa)


@dataclass
class Pair:
    reason: str
    first: Person
    second: Person


def _visible_ids(user):
    return Person.visible_to(user, Person.id).where(Person.erased_at.is_null())


def warnings_for(
    user, client_id, *, emails=(), first_name="", last_name="", outlet_ids=(), exclude_id=None
) -> list[Person]:
    """Persons of the client (visible to the user) a new or changed person may duplicate:
    the same e-mail address, or a similar name at one of the same outlets."""
    found: dict[int, Person] = {}
    base = Person.visible_to(user).where((Person.client == client_id) & Person.erased_at.is_null())
    if exclude_id:
        base = base.where(Person.id != exclude_id)
    addresses = [a for a in emails if a]
    if addresses:
        same_email = PersonEmail.select(PersonEmail.person).where(
            PersonEmail.address.in_(addresses)
        )
        for person in base.where(Person.id.in_(same_email)).limit(10):
            found[person.id] = person
    key = name_key(last_name)
    outlets = [int(i) for i in outlet_ids if str(i).isdigit()]
    if key and outlets:
        colleagues = PersonOutlet.select(PersonOutlet.person).where(
            PersonOutlet.outlet.in_(outlets)
        )
        for person in base.where((Person.name_key == key) & Person.id.in_(colleagues)).limit(10):
            if first_names_fit(first_name, person.first_name):
                found[person.id] = person
    return list(found.values())


def _dismissed() -> set[tuple[int, int]]:
    return set(NotDuplicate.select(NotDuplicate.first, NotDuplicate.second).tuples())


def candidate_pairs(user, limit: int = PAIRS_MAX) -> list[Pair]:
    """Candidate pairs among the persons the user sees, e-mail matches first."""
    first, second = Person.alias(), Person.alias()
    visible = _visible_ids(user)
    dismissed = _dismissed()
    pairs: dict[tuple[int, int], Pair] = {}

    e1, e2 = PersonEmail.alias(), PersonEmail.alias()
    same_email = (
        e1.select(e1.person, e2.person)
        .join(e2, on=((e1.address == e2.address) & (e1.person < e2.person)))
        .join(first, on=(first.id == e1.person))
        .join(second, on=(second.id == e2.person))
        .where((first.client == second.client) & e1.person.in_(visible) & e2.person.in_(visible))
        .distinct()
        .limit(limit * 2)
        .tuples()
    )
    wanted = [(a, b, "email") for a, b in same_email if (a, b) not in dismissed]

    o1, o2 = PersonOutlet.alias(), PersonOutlet.alias()
    same_outlet = (
        o1.select(o1.person, o2.person, first.first_name, second.first_name)
        .join(o2, on=((o1.outlet == o2.outlet) & (o1.person < o2.person)))
        .join(first, on=(first.id == o1.person))
        .join(second, on=(second.id == o2.person))
        .where(
            (first.name_key == second.name_key)
            & (first.name_key != "")
            & o1.person.in_(visible)
            & o2.person.in_(visible)
        )
        .distinct()
        .limit(limit * 4)
        .tuples()
    )
    wanted += [
        (a, b, "name")
        for a, b, first_a, first_b in same_outlet
        if (a, b) not in dismissed and first_names_fit(first_a, first_b)
    ]
    for a, b, reason in wanted:
        pairs.setdefault((a, b), Pair(reason, None, None))
        if len(pairs) >= limit:
            break
    ids = {i for pair in pairs for i in pair}
    persons = {p.id: p for p in Person.visible_to(user).where(Person.id.in_(list(ids)))}
    result = []
    for (a, b), pair in pairs.items():
        if a in persons and b in persons:
            pair.first, pair.second = persons[a], persons[b]
            result.append(pair)
    return result


def dismiss(user, first_id, second_id) -> None:
    """Remember that two persons are different people."""
    from app.audit.services import record

    a = Person.get_writable_or_403(user, first_id)
    b = Person.get_writable_or_403(user, second_id)
    low, high = sorted((a.id, b.id))
    with db.atomic():
        if not NotDuplicate.get_or_none(first=low, second=high):
            NotDuplicate.create(first=low, second=high, decided_by=user.id)
            record("person.not_duplicate", a, details={"other": b.id})


def _person_references():
    """(model, foreign key field) of every table that points at a person, except the
    addresses and numbers, which a merge combines itself."""
    from app.models import all_models

    skip = {PersonEmail, PersonPhone, NotDuplicate}
    for model in all_models():
        if model in skip:
            continue
        for field in model._meta.sorted_fields:
            if isinstance(field, ForeignKeyField) and field.rel_model is Person:
                yield model, field


def _move_references(keep_id: int, other_id: int) -> None:
    """Point every row of the other person at the kept one; a row that would break a
    unique index (the same outlet, topic or list twice) is dropped instead."""
    for model, field in _person_references():
        for columns, unique in model._meta.indexes:
            if not unique or field.name not in columns:
                continue
            rest = [getattr(model, c) for c in columns if c != field.name]
            kept = set(model.select(*rest).where(field == keep_id).tuples())
            for row in model.select(model.id, *rest).where(field == other_id).tuples():
                if tuple(row[1:]) in kept:
                    model.delete().where(model.id == row[0]).execute()
        model.update({field: keep_id}).where(field == other_id).execute()


def merge_persons(user, keep_id, other_id, take_from_other=()) -> Person:
    """Merge the other person into the kept one. Fields named in `take_from_other` take
    the other's value; any other field keeps its value and is filled from the other only
    where it is empty; notes are joined. A block of either person survives."""
    from app.audit.services import changes_between, record

    if str(keep_id) == str(other_id):
        raise ContactError({"merge": _("Please choose two different contacts.")})
    keep = Person.get_writable_or_403(user, keep_id)
    other = Person.get_writable_or_403(user, other_id)
    if keep.client_id != other.client_id:
        raise ContactError({"merge": _("Only contacts of the same client can be merged.")})
    if keep.erased_at or other.erased_at:
        raise ContactError({"merge": _("An erased contact cannot be merged.")})
    with db.atomic():
        before = _state(keep)
        for name in EDITABLE_FIELDS:
            mine, theirs = getattr(keep, name), getattr(other, name)
            if name == "notes" and mine and theirs and theirs not in mine:
                setattr(keep, name, f"{mine}\n\n{theirs}")
            elif (name in take_from_other and theirs) or (not mine and theirs):
                setattr(keep, name, theirs)
        if other.blocked and not keep.blocked:
            keep.blocked, keep.blocked_at = True, other.blocked_at or utcnow()
            keep.blocked_reason = other.blocked_reason
        keep.updated_at = utcnow()
        keep.save()
        addresses = set(keep.emails.select(PersonEmail.address).tuples())
        for email in other.emails:
            if (email.address,) in addresses:
                email.delete_instance()
            else:
                PersonEmail.update(person=keep.id, is_primary=False).where(
                    PersonEmail.id == email.id
                ).execute()
        if "email" in take_from_other:
            from app.contacts.services import _set_primary_email, primary_email

            _set_primary_email(keep, primary_email(other) or primary_email(keep))
        numbers = {n for (n,) in keep.phones.select(PersonPhone.number).tuples()}
        for phone in other.phones:
            if phone.number in numbers:
                phone.delete_instance()
            else:
                PersonPhone.update(person=keep.id, is_primary=False).where(
                    PersonPhone.id == phone.id
                ).execute()
        NotDuplicate.delete().where(
            (NotDuplicate.first == other.id) | (NotDuplicate.second == other.id)
        ).execute()
        _move_references(keep.id, other.id)
        changes = changes_between(before, _state(keep))
        changes.pop("updated_at", None)
        record("person.merge", keep, changes=changes, details={"merged": other.id})
        record("person.merged", other, details={"into": keep.id})
        other.delete_instance()
        reindex([keep.id])
    return Person.get_by_id(keep.id)


def merged_ids(person_id: int) -> list[int]:
    """The ids of every person merged into this one (and into those), for the history."""
    from app.audit.models import AuditEntry

    found, todo = [], [person_id]
    while todo and len(found) < 1000:
        entries = AuditEntry.select(AuditEntry.details).where(
            (AuditEntry.action == "person.merge")
            & (AuditEntry.target_type == "person")
            & AuditEntry.target_id.in_(todo)
        )
        todo = []
        for (details,) in entries.tuples():
            merged = json.loads(details or "{}").get("merged")
            if isinstance(merged, int) and merged not in found and merged != person_id:
                found.append(merged)
                todo.append(merged)
    return found
