"""Distribution lists (SPEC L1): create, rename and delete them (the list right, M9), add and
remove members (full access to the list's client), add by pasted e-mail addresses, and the
members of a list — fixed ones, or a saved search of the contacts screen evaluated now.
Mailings take their recipients from `members()` (M3)."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode

from flask import abort
from flask_babel import gettext as _
from peewee import fn
from werkzeug.datastructures import MultiDict

from app.clock import utcnow
from app.contacts import listing
from app.contacts.models import Person, PersonEmail
from app.emails import InvalidEmail, normalise_email
from app.extensions import db
from app.lists.models import LIST_KINDS, DistributionList, ListMember

DESCRIPTION_MAX = 2000
PASTE_MAX = 5000  # addresses in one paste
ADDRESS_SPLIT = re.compile(r"[\s,;<>]+")


class ListError(ValueError):
    """A list cannot be saved as given; `errors` maps a field to its translated message."""

    def __init__(self, errors: dict):
        self.errors = {key: str(message) for key, message in errors.items()}
        self.messages = list(self.errors.values())
        super().__init__("; ".join(self.messages))


def _clean(name: str, description: str) -> tuple[str, str]:
    name, description = (name or "").strip(), (description or "").strip()
    errors = {}
    if not name:
        errors["name"] = _("Please name the list.")
    elif len(name) > DistributionList.name.max_length:
        errors["name"] = _("At most %(n)d characters, please.", n=DistributionList.name.max_length)
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = _("At most %(n)d characters, please.", n=DESCRIPTION_MAX)
    if errors:
        raise ListError(errors)
    return name, description


def _name_taken(client_id: int, name: str, exclude_id=None) -> bool:
    query = DistributionList.select().where(
        (DistributionList.client == client_id) & (fn.LOWER(DistributionList.name) == name.lower())
    )
    if exclude_id:
        query = query.where(DistributionList.id != exclude_id)
    return query.exists()


def saved_search(args) -> str:
    """The contacts screen's filters (no page, no sort) as the query string of a dynamic
    list; only known parameters, each checked like the screen checks it."""
    state = listing.ListState.from_args(
        args,
        {int(t) for t in args.getlist("topic") if t.isdigit()},
        {int(x) for x in args.getlist("list") if x.isdigit()},
    )
    params = state.params(page=1, sort="", dir="asc")
    return urlencode(sorted(params.items()))


def search_state(user, search: str) -> listing.ListState:
    args = MultiDict(parse_qsl(search or ""))
    topics = {t.id for t in listing.visible_topics(user)}
    lists = {lst.id for lst in listing.visible_static_lists(user)}
    return listing.ListState.from_args(args, topics, lists)


def create_list(
    user, client, *, name, description="", kind="static", search=""
) -> DistributionList:
    """A new list in a client the user may write to (the caller checks the list right)."""
    from app.audit.services import record_create

    name, description = _clean(name, description)
    if kind not in LIST_KINDS:
        raise ListError({"kind": _("Please choose fixed members or a saved search.")})
    client_id = client.id if hasattr(client, "id") else int(client)
    if _name_taken(client_id, name):
        raise ListError({"name": _("The client already has a list of this name.")})
    search = saved_search(MultiDict(parse_qsl(search or ""))) if kind == "dynamic" else ""
    if kind == "dynamic" and not search:
        raise ListError({"kind": _("A saved search needs filters or a search text.")})
    with db.atomic():
        lst = DistributionList.create_for(
            user,
            client,
            name=name,
            description=description,
            kind=kind,
            search=search,
            created_by=user.id,
        )
        record_create(lst)
    return lst


def update_list(user, list_id, *, name, description="") -> DistributionList:
    from app.audit.services import record_update, snapshot

    lst = DistributionList.get_writable_or_403(user, list_id)
    name, description = _clean(name, description)
    if _name_taken(lst.client_id, name, exclude_id=lst.id):
        raise ListError({"name": _("The client already has a list of this name.")})
    with db.atomic():
        before = snapshot(lst)
        lst.name, lst.description, lst.updated_at = name, description, utcnow()
        lst.save()
        record_update(lst, before)
    return lst


def delete_list(user, list_id) -> DistributionList:
    """Delete a list; its members stay in the contacts."""
    from app.audit.services import record_delete

    lst = DistributionList.get_writable_or_403(user, list_id)
    with db.atomic():
        record_delete(lst, details={"members": lst.members.count()})
        lst.delete_instance(recursive=False)
    return lst


def members(user, lst):
    """The persons of a list as the user sees them (erased ones never): the fixed members,
    or the saved search evaluated now within the list's client."""
    if lst.kind == "dynamic":
        state = search_state(user, lst.search)
        return listing.filtered(user, state).where(Person.client == lst.client_id)
    return (
        Person.visible_to(user, *listing.LIST_FIELDS)
        .join(ListMember, on=(ListMember.person == Person.id))
        .where((ListMember.distribution_list == lst.id) & Person.erased_at.is_null())
    )


def _static(user, list_id) -> DistributionList:
    lst = DistributionList.get_writable_or_403(user, list_id)
    if lst.kind != "static":
        raise ListError({"members": _("A saved search has no fixed members to change.")})
    return lst


def add_members(user, list_id, person_ids) -> int:
    """Put persons on a static list; they must be of the list's client and visible to the
    user (any other id answers 404). Returns how many were new on the list."""
    from app.audit.services import record

    lst = _static(user, list_id)
    try:
        wanted = {int(i) for i in person_ids}
    except (TypeError, ValueError):
        abort(404)
    persons = list(
        Person.visible_to(user, Person.id, Person.client).where(
            Person.id.in_(list(wanted)) & Person.erased_at.is_null()
        )
    )
    if len(persons) != len(wanted):
        abort(404)
    if any(p.client_id != lst.client_id for p in persons):
        raise ListError({"members": _("Only contacts of the list's client can be on it.")})
    present = {
        pid
        for (pid,) in ListMember.select(ListMember.person)
        .where((ListMember.distribution_list == lst.id) & ListMember.person.in_(list(wanted)))
        .tuples()
    }
    new = sorted(wanted - present)
    with db.atomic():
        if new:
            now = utcnow()
            ListMember.insert_many(
                [
                    {
                        "distribution_list": lst.id,
                        "person": pid,
                        "added_by": user.id,
                        "added_at": now,
                    }
                    for pid in new
                ]
            ).execute()
            record("distribution_list.add", lst, details={"persons": new})
            DistributionList.update(updated_at=now).where(DistributionList.id == lst.id).execute()
    return len(new)


def remove_members(user, list_id, person_ids) -> int:
    from app.audit.services import record

    lst = _static(user, list_id)
    try:
        ids = sorted({int(i) for i in person_ids})
    except (TypeError, ValueError):
        abort(404)
    with db.atomic():
        done = (
            ListMember.delete()
            .where((ListMember.distribution_list == lst.id) & ListMember.person.in_(ids))
            .execute()
        )
        if done:
            record("distribution_list.remove", lst, details={"persons": ids})
            DistributionList.update(updated_at=utcnow()).where(
                DistributionList.id == lst.id
            ).execute()
    return done


def add_by_addresses(user, list_id, text: str) -> dict:
    """Add the persons of the list's client who have one of the pasted addresses (any
    separators, "Name <address>" too). Returns counts and the addresses not found or not
    valid, for the user to see."""
    lst = _static(user, list_id)
    words = [w for w in ADDRESS_SPLIT.split(text or "") if "@" in w or w.strip()]
    if len(words) > PASTE_MAX:
        raise ListError({"addresses": _("At most %(n)d addresses at once, please.", n=PASTE_MAX)})
    valid, invalid = [], []
    for word in words:
        if "@" not in word:
            continue  # names and other words between the addresses
        try:
            valid.append(normalise_email(word.strip("\"'()[]")))
        except InvalidEmail:
            invalid.append(word)
    valid = list(dict.fromkeys(valid))
    if not valid and not invalid:
        raise ListError({"addresses": _("Please paste at least one e-mail address.")})
    found: dict[str, int] = {}
    for start in range(0, len(valid), 500):
        chunk = valid[start : start + 500]
        rows = (
            PersonEmail.select(PersonEmail.address, PersonEmail.person)
            .join(Person)
            .where(
                PersonEmail.address.in_(chunk)
                & (Person.client == lst.client_id)
                & Person.erased_at.is_null()
                & Person.id.in_(Person.visible_to(user, Person.id))
            )
            .tuples()
        )
        for address, person_id in rows:
            found.setdefault(address, person_id)
    added = add_members(user, lst.id, set(found.values())) if found else 0
    return {
        "added": added,
        "already": len(set(found.values())) - added,
        "unknown": [a for a in valid if a not in found],
        "invalid": invalid,
    }


def lists_of_person(user, person) -> list[DistributionList]:
    """The static lists the person is on, as far as the user sees them."""
    return list(
        DistributionList.visible_to(user)
        .join(ListMember, on=(ListMember.distribution_list == DistributionList.id))
        .where(ListMember.person == person.id)
        .order_by(DistributionList.name)
    )


def static_lists_for(user, client_id, exclude=None) -> list[DistributionList]:
    """The static lists of a client the user may add members to (without those the person
    `exclude` is on already)."""
    query = DistributionList.writable_by(user).where(
        (DistributionList.client == client_id) & (DistributionList.kind == "static")
    )
    if exclude is not None:
        on = ListMember.select(ListMember.distribution_list).where(ListMember.person == exclude.id)
        query = query.where(DistributionList.id.not_in(on))
    return list(query.order_by(DistributionList.name))
