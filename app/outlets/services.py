"""Services of the outlets feature (SPEC C2, C3): create, change and delete an outlet, its
editorial departments and topics, and the links between persons and outlets. Every change
is checked through the scoping base and made in one transaction with its audit entry; the
search texts of the outlet (and, where an outlet's name is involved, of its persons) are
kept in step."""

from __future__ import annotations

import re
from collections import defaultdict
from urllib.parse import urlsplit

from flask import abort
from flask_babel import gettext as _
from peewee import fn

from app.clock import utcnow
from app.contacts.models import OutletTopic, Person, PersonOutlet, Topic
from app.contacts.search import canonical_text, full_text_match
from app.contacts.services import (
    LANGUAGES,
    NOTES_MAX,
    ContactError,
    checked_topic_name,
    reindex,
    topic_named,
)
from app.countries import is_country
from app.extensions import db
from app.outlets.models import OUTLET_TYPES, Outlet, OutletDepartment

FTS_TABLE = "outlet_fts"
BATCH = 500
PICK_LIMIT = 10
# The only fields a form may set on an outlet (no mass assignment: not `client`, `origin`
# or `search_text`).
EDITABLE_FIELDS = (
    "name",
    "kind",
    "circulation",
    "reach",
    "region",
    "language",
    "website",
    "email",
    "phone",
    "street",
    "postcode",
    "city",
    "country",
    "notes",
)
NUMBER_FIELDS = ("circulation", "reach")
NUMBER_MAX = 2_000_000_000  # an INTEGER column holds up to 2^31 - 1
# digits, or digits in groups of three with one kind of separator: 25000, 25.000, 1'200'000
_NUMBER = re.compile(r"\d+|\d{1,3}(?:([.,'’ ])\d{3})(?:\1\d{3})*")


class OutletError(ContactError):
    """An outlet, department, topic or link cannot be saved as given; `errors` maps a field
    to its translated message."""


# --- the search text (D32) -------------------------------------------------------------


def outlet_search_text(fields: dict, departments=(), topics=()) -> str:
    """The canonical search text of an outlet: name, city, region, departments, topics."""
    return canonical_text(
        fields.get("name") or "",
        fields.get("city") or "",
        fields.get("region") or "",
        *departments,
        *topics,
    )


def _grouped(query) -> defaultdict:
    groups = defaultdict(list)
    for key, name in query.tuples():
        groups[key].append(name)
    return groups


def reindex_outlets(outlet_ids) -> int:
    """Recompute `search_text` of the given outlets with a fixed number of queries per batch;
    returns how many changed."""
    ids = list(outlet_ids)
    done = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        departments = _grouped(
            OutletDepartment.select(OutletDepartment.outlet, OutletDepartment.name).where(
                OutletDepartment.outlet.in_(chunk)
            )
        )
        topics = _grouped(
            OutletTopic.select(OutletTopic.outlet, Topic.name)
            .join(Topic)
            .where(OutletTopic.outlet.in_(chunk))
        )
        with db.atomic():
            for outlet in Outlet.select(
                Outlet.id, Outlet.name, Outlet.city, Outlet.region, Outlet.search_text
            ).where(Outlet.id.in_(chunk)):
                text = outlet_search_text(
                    outlet.__data__, departments[outlet.id], topics[outlet.id]
                )
                if text != outlet.search_text:
                    Outlet.update(search_text=text).where(Outlet.id == outlet.id).execute()
                    done += 1
    return done


def index_pending(user) -> int:
    """Index the visible outlets that have no search text yet: those written in bulk around
    the services (the demo generator, an older database after migration 0009)."""
    pending = [o.id for o in Outlet.visible_to(user, Outlet.id).where(Outlet.search_text == "")]
    return reindex_outlets(pending) if pending else 0


def search_outlets(query, text: str):
    """Narrow a SELECT of outlets to those matching `text`, best first (scoping stays with
    the caller's `Outlet.visible_to`)."""
    return full_text_match(query, text, Outlet.search_text, FTS_TABLE)


def _linked_person_ids(outlet_id: int) -> list[int]:
    return [
        pid
        for (pid,) in PersonOutlet.select(PersonOutlet.person)
        .where(PersonOutlet.outlet == outlet_id)
        .tuples()
    ]


# --- checks -------------------------------------------------------------------------------


def _number(value):
    """A whole number of 0 or more from a form (thousands separators allowed), or None;
    raises ValueError with the message."""
    if value is None or isinstance(value, int):
        number = value
    else:
        text = str(value).strip().replace("\u00a0", " ").replace("\u202f", " ")
        if not text:
            return None
        if text.startswith("-") and _NUMBER.fullmatch(text[1:].strip()):
            raise ValueError(_("The number cannot be negative."))
        if not _NUMBER.fullmatch(text):
            raise ValueError(_("Please enter a whole number such as 25000."))
        number = int(re.sub(r"\D", "", text))
    if number is not None and number < 0:
        raise ValueError(_("The number cannot be negative."))
    if number is not None and number > NUMBER_MAX:
        raise ValueError(_("That number is too large."))
    return number


def _website(value: str) -> str:
    """A web address with its scheme (https:// added when missing); ValueError otherwise."""
    if not value:
        return ""
    if "://" not in value:
        value = f"https://{value}"
    parts = urlsplit(value)
    host = parts.hostname or ""
    if (
        parts.scheme not in ("http", "https")
        or "." not in host
        or any(ch.isspace() for ch in value)
        or parts.username
    ):
        raise ValueError(_("This is not a web address such as https://www.example.com."))
    return value


def _clean(fields: dict) -> tuple[dict, dict]:
    """Trimmed and checked values of the given fields and {field: message} for those that do
    not fit. A field that is not editable raises TypeError."""
    from app.emails import InvalidEmail, normalise_email

    values, errors = {}, {}
    for name, value in fields.items():
        if name not in EDITABLE_FIELDS:
            raise TypeError(f"{name!r} cannot be set on an outlet")
        if name in NUMBER_FIELDS:
            try:
                values[name] = _number(value)
            except ValueError as exc:
                errors[name] = str(exc)
            continue
        value = (value or "").strip()
        if name == "country":
            value = value.upper()
            if value and not is_country(value):
                errors[name] = _("Unknown country.")
                continue
        limit = NOTES_MAX if name == "notes" else Outlet._meta.fields[name].max_length
        if len(value) > limit:
            errors[name] = _("At most %(n)d characters, please.", n=limit)
            continue
        if name == "email" and value:
            try:
                value = normalise_email(value)
            except InvalidEmail:
                errors[name] = _("This is not a valid e-mail address.")
                continue
        if name == "website":
            try:
                value = _website(value)
            except ValueError as exc:
                errors[name] = str(exc)
                continue
            if len(value) > limit:
                errors[name] = _("At most %(n)d characters, please.", n=limit)
                continue
        if name == "kind" and value not in OUTLET_TYPES:
            errors[name] = _("Unknown type of medium.")
            continue
        if name == "language" and value not in LANGUAGES:
            errors[name] = _("Unknown language.")
            continue
        values[name] = value
    if "name" in fields and not values.get("name") and "name" not in errors:
        errors["name"] = _("Please give the outlet a name.")
    return values, errors


def record_id(value) -> int:
    """A record id from a form or URL; anything else answers 404 like an unknown id."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        abort(404)
    if not 0 < number < 2**31:
        abort(404)
    return number


def _outlet(user, outlet, write: bool = True) -> Outlet:
    """The outlet (or its id) for a change (404 hidden, 403 read only) or for reading."""
    outlet_id = outlet.id if isinstance(outlet, Outlet) else record_id(outlet)
    if write:
        return Outlet.get_writable_or_403(user, outlet_id)
    return Outlet.get_visible_or_404(user, outlet_id)


# --- outlets ------------------------------------------------------------------------------


def create_outlet(user, client, **fields) -> Outlet:
    """A new outlet in `client` (one the user may write to); audited with the origin
    "manual". Raises OutletError on bad input, ScopeError without the right."""
    return create_outlets(user, client, [fields])[0]


def create_outlets(
    user, client, many: list[dict], origin: str = "manual", origin_file="", origin_rows=None
) -> list[Outlet]:
    """New outlets in `client` (one the user may write to), one per dict of editable
    fields, written in one statement and audited as created with `origin` (an import gives
    its file and each outlet's first row); in the order given. Raises OutletError for the
    first dict that does not fit (nothing is created), ScopeError without the right."""
    from app.audit.services import create_event, record_many

    client_id = Outlet.client_to_add_to(user, client)
    rows_of = list(origin_rows) if origin_rows is not None else [None] * len(many)
    now = utcnow()
    records = []
    for fields, row in zip(many, rows_of, strict=True):
        values, errors = _clean({"name": "", **fields})
        if errors:
            raise OutletError(errors)
        outlet = Outlet(
            client=client_id,
            origin=origin,
            origin_file=origin_file[:254],
            origin_row=row,
            created_at=now,
            updated_at=now,
            **values,
        )
        outlet.search_text = outlet_search_text(outlet.__data__)  # no departments, topics
        records.append(outlet)
    if not records:
        return []
    columns = [field for field in Outlet._meta.sorted_fields if field is not Outlet.id]
    ids = []
    with db.atomic():
        for start in range(0, len(records), BATCH):
            query = Outlet.insert_many(
                [[o.__data__.get(f.name) for f in columns] for o in records[start : start + BATCH]],
                fields=columns,
            ).returning(Outlet.id)
            ids += sorted(row[0] for row in query.tuples().execute())
        # both engines number the rows of one INSERT in the order given (RETURNING's own
        # order is not promised, hence sorted)
        for outlet, outlet_id in zip(records, ids, strict=True):
            outlet.id = outlet_id
        record_many([create_event(outlet, origin) for outlet in records])
    return records


def update_outlet(user, outlet, **fields) -> Outlet:
    """Change the given editable fields; one audit entry with every changed field. A new
    name is carried into the search text of the outlet's journalists."""
    from app.audit.services import changes_between, record, snapshot

    outlet = _outlet(user, outlet)
    values, errors = _clean(fields)
    if errors:
        raise OutletError(errors)
    with db.atomic():
        before = snapshot(outlet)
        for name, value in values.items():
            setattr(outlet, name, value)
        changes = changes_between(before, snapshot(outlet))
        if changes:
            outlet.updated_at = utcnow()
            outlet.save()
            record("outlet.update", outlet, changes=changes)
            reindex_outlets([outlet.id])
        if "name" in changes:
            reindex(_linked_person_ids(outlet.id))
    return Outlet.get_by_id(outlet.id)


def delete_outlet(user, outlet) -> int:
    """Delete an outlet with its departments, topic and person links; the persons stay
    (their search text loses the outlet's name). Returns how many persons were linked."""
    from app.audit.services import record_delete

    outlet = _outlet(user, outlet)
    with db.atomic():
        person_ids = _linked_person_ids(outlet.id)
        departments = [d.name for d in outlet.departments.order_by(OutletDepartment.name)]
        record_delete(
            outlet, details={"departments": departments, "linked_persons": len(person_ids)}
        )
        Outlet.delete().where(Outlet.id == outlet.id).execute()
        reindex(person_ids)
    return len(person_ids)


# --- editorial departments ----------------------------------------------------------------


def _department_name(outlet, name: str, department_id: int | None = None) -> str:
    name = (name or "").strip()
    limit = OutletDepartment.name.max_length
    if not name:
        raise OutletError({"department": _("Please name the department.")})
    if len(name) > limit:
        raise OutletError({"department": _("At most %(n)d characters, please.", n=limit)})
    same = OutletDepartment.select().where(
        (OutletDepartment.outlet == outlet.id) & (fn.LOWER(OutletDepartment.name) == name.lower())
    )
    if department_id is not None:
        same = same.where(OutletDepartment.id != department_id)
    if same.exists():
        raise OutletError(
            {"department": _("This outlet has a department called %(name)s already.", name=name)}
        )
    return name


def _department(outlet, department_id) -> OutletDepartment:
    department_id = record_id(department_id)
    department = OutletDepartment.get_or_none(
        (OutletDepartment.id == department_id) & (OutletDepartment.outlet == outlet.id)
    )
    if department is None:
        abort(404)
    return department


def add_department(user, outlet, name: str) -> OutletDepartment:
    """A new editorial department; its name is unique within the outlet (in any case)."""
    from app.audit.services import record

    outlet = _outlet(user, outlet)
    name = _department_name(outlet, name)
    with db.atomic():
        department = OutletDepartment.create(outlet=outlet.id, name=name)
        record("outlet.department_add", outlet, details={"department": name})
        reindex_outlets([outlet.id])
    return department


def rename_department(user, outlet, department_id, name: str) -> OutletDepartment:
    """Rename a department; the journalists who work in it move along."""
    from app.audit.services import record

    outlet = _outlet(user, outlet)
    department = _department(outlet, department_id)
    name = _department_name(outlet, name, department.id)
    old = department.name
    if name == old:
        return department
    with db.atomic():
        OutletDepartment.update(name=name).where(OutletDepartment.id == department.id).execute()
        PersonOutlet.update(department=name).where(
            (PersonOutlet.outlet == outlet.id) & (PersonOutlet.department == old)
        ).execute()
        record(
            "outlet.department_rename",
            outlet,
            changes={"department": [old, name]},
            details={"department": name},
        )
        reindex_outlets([outlet.id])
    return OutletDepartment.get_by_id(department.id)


def remove_department(user, outlet, department_id) -> str:
    """Remove a department (the journalists' links keep the name they were given)."""
    from app.audit.services import record

    outlet = _outlet(user, outlet)
    department = _department(outlet, department_id)
    with db.atomic():
        department.delete_instance()
        record("outlet.department_remove", outlet, details={"department": department.name})
        reindex_outlets([outlet.id])
    return department.name


# --- topics (SPEC C3) ---------------------------------------------------------------------


def add_topic(user, outlet, topic_name: str) -> Topic:
    """Give the outlet a topic of its client (created when the client has none of that
    name). Giving a topic it has already changes nothing."""
    from app.audit.services import record

    outlet = _outlet(user, outlet)
    try:
        name = checked_topic_name(topic_name)
    except ContactError as exc:
        raise OutletError(exc.errors) from None
    with db.atomic():
        topic = topic_named(user, outlet.client_id, name)
        if not OutletTopic.get_or_none(outlet=outlet.id, topic=topic.id):
            OutletTopic.create(outlet=outlet.id, topic=topic.id)
            record("outlet.tag", outlet, details={"topic": topic.name})
            reindex_outlets([outlet.id])
    return topic


def remove_topic(user, outlet, topic_id) -> str:
    """Take a topic from the outlet (the topic itself stays with the client)."""
    from app.audit.services import record

    outlet = _outlet(user, outlet)
    topic_id = record_id(topic_id)
    link = (
        OutletTopic.select(OutletTopic, Topic)
        .join(Topic)
        .where((OutletTopic.outlet == outlet.id) & (OutletTopic.topic == topic_id))
        .get_or_none()
    )
    if link is None:
        abort(404)
    with db.atomic():
        link.delete_instance()
        record("outlet.untag", outlet, details={"topic": link.topic.name})
        reindex_outlets([outlet.id])
    return link.topic.name


def topics_of(outlet) -> list[Topic]:
    return list(
        Topic.select()
        .join(OutletTopic)
        .where(OutletTopic.outlet == outlet.id)
        .order_by(Topic.name, Topic.id)
    )


# --- persons and outlets ------------------------------------------------------------------


def _link_fields(position: str, department: str) -> dict:
    values, errors = {}, {}
    for name, value in (("position", position), ("department", department)):
        value = (value or "").strip()
        limit = PersonOutlet._meta.fields[name].max_length
        if len(value) > limit:
            errors[name] = _("At most %(n)d characters, please.", n=limit)
        values[name] = value
    if errors:
        raise OutletError(errors)
    return values


def _person_details(person) -> dict:
    """What an outlet's audit entry says about a person: the id only, never the name, so
    that erasing the person (C9) leaves nothing personal in the outlet's trail; the
    history screen looks the name up while the person exists."""
    return {"person_id": person.id}


def _record_on_person(action: str, person, outlet, **details) -> None:
    """The same event in the person's own trail (their History tab; blanked on erasure)."""
    from app.audit.services import record

    record(action, person, details={"outlet_id": outlet.id, "outlet": outlet.name, **details})


def link_person(user, outlet, person, position: str = "", department: str = ""):
    """Link a person to an outlet of the same client, with position and department; a link
    that exists already takes the new position and department. The outlet must be writable
    (404 hidden, 403 read only) and the person visible (404); a person of another client is
    refused with a message. Returns (link, created)."""
    from app.audit.services import changes_between, record

    outlet = _outlet(user, outlet)
    person_id = person.id if isinstance(person, Person) else record_id(person)
    person = Person.get_visible_or_404(user, person_id)
    if person.client_id != outlet.client_id:
        raise OutletError(
            {"person": _("Only contacts of the outlet's own client can work for it.")}
        )
    values = _link_fields(position, department)
    details = _person_details(person)
    with db.atomic():
        link = PersonOutlet.get_or_none(person=person.id, outlet=outlet.id)
        if link is None:
            link = PersonOutlet.create(person=person.id, outlet=outlet.id, **values)
            record("outlet.link", outlet, details={**details, **values})
            _record_on_person("person.outlet_link", person, outlet, **values)
            reindex([person.id])
            return link, True
        changes = changes_between(
            {"position": link.position, "department": link.department}, values
        )
        if changes:
            PersonOutlet.update(**values).where(PersonOutlet.id == link.id).execute()
            record("outlet.link_update", outlet, changes=changes, details=details)
            _record_on_person("person.outlet_link_update", person, outlet, **values)
    return PersonOutlet.get_by_id(link.id), False


def link_for_change(user, link_id) -> PersonOutlet:
    """A person-outlet link the user may change: through its outlet (404 hidden or unknown,
    403 read only)."""
    link = PersonOutlet.get_or_none(PersonOutlet.id == record_id(link_id))
    if link is None:
        abort(404)
    Outlet.get_writable_or_403(user, link.outlet_id)
    return link


def unlink(user, link_id) -> PersonOutlet:
    """Remove the link of a person and an outlet (both stay)."""
    from app.audit.services import record

    link = link_for_change(user, link_id)
    outlet, person = Outlet.get_by_id(link.outlet_id), Person.get_by_id(link.person_id)
    with db.atomic():
        link.delete_instance()
        record("outlet.unlink", outlet, details=_person_details(person))
        _record_on_person("person.outlet_unlink", person, outlet)
        reindex([person.id])
    return link


def links_of_person(person) -> list[PersonOutlet]:
    """The outlets a person works for, with position and department, by outlet name."""
    return list(
        PersonOutlet.select(PersonOutlet, Outlet)
        .join(Outlet)
        .where(PersonOutlet.person == person.id)
        .order_by(Outlet.name, Outlet.id)
    )


def journalists_of(outlet) -> list[PersonOutlet]:
    """The persons who work for an outlet, with position and department, by name."""
    return list(
        PersonOutlet.select(PersonOutlet, Person)
        .join(Person)
        .where(PersonOutlet.outlet == outlet.id)
        .order_by(Person.last_name, Person.first_name, Person.id)
    )


def outlets_to_pick(user, person, text: str) -> list[Outlet]:
    """Up to ten outlets of the person's client matching `text` (for the person page)."""
    if not text.strip():
        return []
    query = Outlet.visible_to(user, Outlet.id, Outlet.name, Outlet.kind, Outlet.city).where(
        Outlet.client == person.client_id
    )
    index_pending(user)
    return list(search_outlets(query, text).limit(PICK_LIMIT))


def persons_to_pick(user, outlet, text: str) -> list[Person]:
    """Up to ten persons of the outlet's client matching `text` (for the outlet page)."""
    from app.contacts.search import matching

    if not text.strip():
        return []
    query = Person.visible_to(
        user, Person.id, Person.title, Person.first_name, Person.last_name, Person.city
    ).where(Person.client == outlet.client_id)
    return list(matching(query, text).limit(PICK_LIMIT))
