"""The data-subject access report (SPEC L6, GDPR Art. 15): everything stored about one
person, as sections that render both as JSON and as a PDF.

A section is one function `(user, person) -> Section`, registered with `@section`; the
report lists them in the order registered. Mailings (M3) and events (L2) add one function
each, in their own module, imported by `app.exports.report` at the end (see the note
there), e.g.::

    @section
    def mailings(user, person):
        rows = [...]  # one dict per mailing received, with its delivery state
        return Section("mailings", _l("Mailings received"), [("subject", _l("Subject")), ...], rows)
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from peewee import fn

from app.clients.models import Client
from app.contacts import history
from app.contacts.duplicates import merged_ids
from app.contacts.letters import country_name
from app.contacts.listing import LANGUAGE_NAMES, ORIGIN_LABELS
from app.contacts.models import HISTORY_KINDS, SALUTATIONS, Person
from app.lists.models import LIST_KINDS, DistributionList, ListMember

LANGUAGES = ("de", "en")


@dataclass
class Section:
    """`columns`: (key, label) of each value; `rows`: one dict per item (for a `single`
    section exactly one, shown as label–value pairs). `display`: for a key, how the PDF
    shows a value (the JSON keeps the stored value)."""

    key: str
    title: object
    columns: list[tuple[str, object]]
    rows: list[dict]
    single: bool = False
    display: dict[str, Callable] = field(default_factory=dict)
    records: bool = False  # the PDF shows each row as a block of its filled values


SECTIONS: list[Callable] = []


def section(func: Callable) -> Callable:
    """Register a section function of the report."""
    SECTIONS.append(func)
    return func


def build(user, person) -> list[Section]:
    return [func(user, person) for func in SECTIONS]


def jsonable(value):
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value


def as_json(sections: list[Section], meta: dict) -> dict:
    """The report as one JSON object: `report` (when, by whom, for whom) and one key per
    section — an object for a single one, else a list of objects."""
    data = {"report": {k: jsonable(v) for k, v in meta.items()}}
    for sec in sections:
        rows = [{k: jsonable(row.get(k)) for k, _ in sec.columns} for row in sec.rows]
        data[sec.key] = rows[0] if sec.single else rows
    return data


PERSON_FIELDS = [
    ("id", _l("Number")),
    ("client", _l("Client")),
    ("gender", _l("Salutation")),
    ("title", _l("Title")),
    ("first_name", _l("First name")),
    ("last_name", _l("Last name")),
    ("position", _l("Position")),
    ("department", _l("Department")),
    ("language", _l("Language")),
    ("street", _l("Street")),
    ("postcode", _l("Postcode")),
    ("city", _l("City")),
    ("country", _l("Country")),
    ("notes", _l("Notes")),
    ("blocked", _l("Blocked")),
    ("blocked_at", _l("Blocked on")),
    ("blocked_reason", _l("Reason for blocking")),
    ("origin", _l("Origin")),
    ("origin_file", _l("Origin file")),
    ("origin_row", _l("Row in the file")),
    ("created_at", _l("Created")),
    ("updated_at", _l("Last changed")),
]


@section
def data(user, person):
    client = Client.get_by_id(person.client_id)
    row = {key: getattr(person, key, None) for key, _ in PERSON_FIELDS if key != "client"}
    row["client"] = client.name
    return Section(
        "person",
        _l("Data"),
        PERSON_FIELDS,
        [row],
        single=True,
        display={
            "gender": lambda v: SALUTATIONS.get(v, v),
            "language": lambda v: LANGUAGE_NAMES.get(v, v),
            "country": lambda v: country_name(v, str(get_locale() or "en")),
            "origin": _origin_label,
        },
    )


@section
def emails(user, person):
    rows = [
        {"address": e.address, "primary": e.is_primary}
        for e in person.emails.order_by(-person.emails.model.is_primary, person.emails.model.id)
    ]
    return Section(
        "emails",
        _l("E-mail addresses"),
        [("address", _l("Address")), ("primary", _l("Primary"))],
        rows,
    )


@section
def phones(user, person):
    from app.contacts.channels import PHONE_KINDS

    rows = [
        {"number": p.number, "kind": p.kind, "primary": p.is_primary}
        for p in person.phones.order_by(person.phones.model.id)
    ]
    return Section(
        "phones",
        _l("Phone numbers"),
        [("number", _l("Number")), ("kind", _l("Kind")), ("primary", _l("Primary"))],
        rows,
        display={"kind": lambda v: PHONE_KINDS.get(v, v)},
    )


@section
def outlets(user, person):
    from app.contacts.models import PersonOutlet
    from app.outlets.models import Outlet

    rows = [
        {"outlet": link.outlet.name, "position": link.position, "department": link.department}
        for link in PersonOutlet.select(PersonOutlet, Outlet)
        .join(Outlet)
        .where(PersonOutlet.person == person.id)
        .order_by(PersonOutlet.id)
    ]
    return Section(
        "outlets",
        _l("Works for"),
        [
            ("outlet", _l("Outlet")),
            ("position", _l("Position")),
            ("department", _l("Department")),
        ],
        rows,
    )


@section
def topics(user, person):
    rows = [{"topic": link.topic.name} for link in person.topic_links]
    return Section("topics", _l("Topics"), [("topic", _l("Topic"))], rows)


@section
def lists(user, person):
    """Fixed lists the person is on, and saved searches that find the person now."""
    from app.lists.services import members

    static_ids = {
        list_id
        for (list_id,) in ListMember.select(ListMember.distribution_list)
        .where(ListMember.person == person.id)
        .tuples()
    }
    rows = []
    for lst in (
        DistributionList.visible_to(user)
        .where(DistributionList.client == person.client_id)
        .order_by(DistributionList.name, DistributionList.id)
    ):
        if lst.kind == "static":
            on_list = lst.id in static_ids
        else:
            on_list = members(user, lst).where(Person.id == person.id).order_by().exists()
        if on_list:
            rows.append({"list": lst.name, "kind": lst.kind})
    return Section(
        "lists",
        _l("Distribution lists"),
        [("list", _l("List")), ("kind", _l("Kind"))],
        rows,
        display={"kind": lambda v: LIST_KINDS.get(v, v)},
    )


@section
def events(user, person):
    """The events the person was invited to, with the answer and the note."""
    from app.events.models import EVENT_KINDS, RSVP_STATES
    from app.events.services import events_of_person

    rows = [
        {
            "event": inv.event.title,
            "kind": inv.event.kind,
            "starts_at": inv.event.starts_at,
            "answer": inv.state,
            "note": inv.note,
        }
        for inv in events_of_person(user, person)
    ]
    return Section(
        "events",
        _l("Events"),
        [
            ("event", _l("Event")),
            ("kind", _l("Kind")),
            ("starts_at", _l("Begins")),
            ("answer", _l("Answer")),
            ("note", _l("Note")),
        ],
        rows,
        display={
            "kind": lambda v: EVENT_KINDS.get(v, v),
            "answer": lambda v: RSVP_STATES.get(v, v),
        },
    )


@section
def mailings(user, person):
    """The mailings sent to the person (and to persons merged into it): subject, client,
    when, to which address, and what became of the message."""
    from app.mailings.models import RECIPIENT_STATES, Mailing, MailingRecipient

    ids = [person.id, *merged_ids(person.id)]
    rows = [
        {
            "subject": r.mailing.subject,
            "client": r.mailing.client.name,
            "sent_at": r.sent_at,
            "address": r.address,
            "state": r.state,
            "bounce": " ".join(p for p in (r.bounce_code, r.bounce_reason) if p),
            "bounced_at": r.bounced_at,
            "unsubscribed_at": r.unsubscribed_at,
            "opened_at": r.opened_at,
            "clicked_at": r.clicked_at,
        }
        for r in MailingRecipient.select(MailingRecipient, Mailing, Client)
        .join(Mailing)
        .join(Client, on=(Mailing.client == Client.id))
        .where(
            MailingRecipient.person.in_(ids)
            & Mailing.id.in_(Mailing.visible_to(user).select(Mailing.id))
        )
        .order_by(
            fn.COALESCE(MailingRecipient.sent_at, MailingRecipient.queued_at), MailingRecipient.id
        )
    ]
    return Section(
        "mailings",
        _l("Mailings"),
        [
            ("subject", _l("Subject")),
            ("client", _l("Client")),
            ("sent_at", _l("Sent")),
            ("address", _l("Address")),
            ("state", _l("State")),
            ("bounce", _l("Bounce")),
            ("bounced_at", _l("Bounced")),
            ("unsubscribed_at", _l("Unsubscribed")),
            ("opened_at", _l("First opened")),
            ("clicked_at", _l("First clicked")),
        ],
        rows,
        display={"state": lambda v: RECIPIENT_STATES.get(v, v)},
        records=True,
    )


@section
def contact_history(user, person):
    rows = [
        {
            "kind": e.kind,
            "occurred_at": e.occurred_at,
            "direction": e.direction,
            "subject": e.subject,
            "text": e.body,
            "document": e.file_name,
            "size": e.file_size if e.file_name else None,
            "type": e.file_type,
            "author": e.author.name if e.author_id and e.author else "",
        }
        for e in history.entries_for(person, limit=100_000)
    ]
    return Section(
        "history",
        _l("Contact history"),
        [
            ("occurred_at", _l("When")),
            ("kind", _l("Kind")),
            ("direction", _l("Direction")),
            ("subject", _l("Subject")),
            ("text", _l("Text")),
            ("document", _l("Document")),
            ("size", _l("Size in bytes")),
            ("type", _l("Type")),
            ("author", _l("By")),
        ],
        rows,
        display={"kind": lambda v: HISTORY_KINDS.get(v, v)},
        records=True,
    )


@section
def audit(user, person):
    """The audit trail's entries about the person (and persons merged into it)."""
    from app.audit.models import AuditEntry

    ids = [person.id, *merged_ids(person.id)]
    rows = [
        {
            "when": e.created_at,
            "by": e.actor_name,
            "action": e.action,
            "changes": json.loads(e.changes or "{}"),
            "details": json.loads(e.details or "{}"),
        }
        for e in AuditEntry.select()
        .where((AuditEntry.target_type == "person") & AuditEntry.target_id.in_(ids))
        .order_by(AuditEntry.seq)
    ]
    return Section(
        "audit",
        _l("Audit trail"),
        [
            ("when", _l("When")),
            ("by", _l("By")),
            ("action", _l("Action")),
            ("changes", _l("Changes")),
            ("details", _l("Details")),
        ],
        rows,
        display={
            "action": _action_label,
            "changes": _compact,
            "details": _compact,
        },
        records=True,
    )


def _origin_label(origin):
    return ORIGIN_LABELS.get(origin, origin)


def _action_label(action):
    from app.contacts.views import ACTION_LABELS

    return ACTION_LABELS.get(action, action)


def _compact(value) -> str:
    if not value:
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


# Sections of later features (mailings received, events) are registered by importing their
# module here, after the sections above, e.g. `from app.mailings import report_section`.
