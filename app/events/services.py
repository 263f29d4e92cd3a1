"""Events (SPEC L2): create, change and delete them (full access to the event's client),
invite persons of that client one by one, from a search or a whole distribution list, and
keep each invitation's answer: invited, accepted, declined, attended. Blocked persons are
not invited (restriction of processing, C9); erased ones never appear."""

from __future__ import annotations

import datetime

from flask import abort
from flask_babel import gettext as _
from peewee import fn

from app.clock import from_local, utcnow
from app.contacts import listing
from app.contacts.models import Person
from app.events.models import EVENT_KINDS, RSVP_STATES, Event, Invitation
from app.extensions import db

DESCRIPTION_MAX = 10_000
INVITE_MAX = 5_000  # persons invited at once


class EventError(ValueError):
    """An event cannot be saved as given; `errors` maps a field to its translated message."""

    def __init__(self, errors: dict):
        self.errors = {key: str(message) for key, message in errors.items()}
        self.messages = list(self.errors.values())
        super().__init__("; ".join(self.messages))


def _clean(values: dict) -> dict:
    """Checked fields of an event from a form: title, kind, starts_at, ends_at (local
    datetime-local values), place, description."""
    errors, clean = {}, {}
    title = (values.get("title") or "").strip()
    if not title:
        errors["title"] = _("Please give the event a title.")
    elif len(title) > Event.title.max_length:
        errors["title"] = _("At most %(n)d characters, please.", n=Event.title.max_length)
    clean["title"] = title
    kind = values.get("kind") or ""
    if kind not in EVENT_KINDS:
        errors["kind"] = _("Please choose the kind of event.")
    clean["kind"] = kind
    for name in ("starts_at", "ends_at"):
        text = (values.get(name) or "").strip()
        if not text:
            clean[name] = None
            continue
        try:
            clean[name] = from_local(text)
        except ValueError:
            errors[name] = _("Please give a date and time.")
    if clean.get("starts_at") is None and "starts_at" not in errors:
        errors["starts_at"] = _("Please say when the event begins.")
    starts, ends = clean.get("starts_at"), clean.get("ends_at")
    if starts and ends and ends < starts:
        errors["ends_at"] = _("The end lies before the beginning.")
    place = (values.get("place") or "").strip()
    if len(place) > Event.place.max_length:
        errors["place"] = _("At most %(n)d characters, please.", n=Event.place.max_length)
    clean["place"] = place
    description = (values.get("description") or "").strip()
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = _("At most %(n)d characters, please.", n=DESCRIPTION_MAX)
    clean["description"] = description
    if errors:
        raise EventError(errors)
    return clean


def create_event(user, client, values: dict) -> Event:
    from app.audit.services import record_create

    fields = _clean(values)
    with db.atomic():
        event = Event.create_for(user, client, created_by=user.id, **fields)
        record_create(event)
    return event


def update_event(user, event_id, values: dict) -> Event:
    from app.audit.services import record_update, snapshot

    event = Event.get_writable_or_403(user, event_id)
    fields = _clean(values)
    with db.atomic():
        before = snapshot(event)
        for name, value in fields.items():
            setattr(event, name, value)
        event.updated_at = utcnow()
        event.save()
        record_update(event, before)
    return event


def delete_event(user, event_id) -> Event:
    from app.audit.services import record_delete

    event = Event.get_writable_or_403(user, event_id)
    with db.atomic():
        record_delete(event, details={"invitations": event.invitations.count()})
        event.delete_instance(recursive=True)
    return event


def invite(user, event_id, person_ids) -> dict:
    """Invite persons of the event's client the user sees; returns how many were invited,
    were invited already, and were left out because they are blocked."""
    event = Event.get_writable_or_403(user, event_id)
    try:
        wanted = {int(i) for i in person_ids}
    except (TypeError, ValueError):
        abort(404)
    if len(wanted) > INVITE_MAX:
        raise EventError({"invite": _("At most %(n)d persons at once, please.", n=INVITE_MAX)})
    persons = list(
        Person.visible_to(user, Person.id, Person.client, Person.blocked).where(
            Person.id.in_(list(wanted)) & Person.erased_at.is_null()
        )
    )
    if len(persons) != len(wanted):
        abort(404)
    if any(p.client_id != event.client_id for p in persons):
        raise EventError({"invite": _("Only contacts of the event's client can be invited.")})
    ids = [p.id for p in persons if not p.blocked]
    return _invite(event, ids, blocked=len(persons) - len(ids))


def _invite(event, ids, *, blocked) -> dict:
    from app.audit.services import record

    present = (
        {
            pid
            for (pid,) in Invitation.select(Invitation.person)
            .where((Invitation.event == event.id) & Invitation.person.in_(ids))
            .tuples()
        }
        if ids
        else set()
    )
    new = sorted(set(ids) - present)
    now = utcnow()
    with db.atomic():
        for start in range(0, len(new), 500):
            Invitation.insert_many(
                [
                    {"event": event.id, "person": pid, "invited_at": now, "updated_at": now}
                    for pid in new[start : start + 500]
                ]
            ).execute()
        if new:
            record("event.invite", event, details={"persons": new})
    return {"invited": len(new), "already": len(present), "blocked": blocked}


def invite_list(user, event_id, list_id) -> dict:
    """Invite every member of a distribution list of the event's client (a saved search
    is evaluated now)."""
    from app.lists.models import DistributionList
    from app.lists.services import members

    event = Event.get_writable_or_403(user, event_id)
    lst = DistributionList.get_visible_or_404(user, list_id)
    if lst.client_id != event.client_id:
        raise EventError({"invite": _("Only lists of the event's client can be invited.")})
    rows = list(members(user, lst).select(Person.id, Person.blocked).tuples())
    if len(rows) > INVITE_MAX:
        raise EventError({"invite": _("At most %(n)d persons at once, please.", n=INVITE_MAX)})
    ids = [pid for pid, is_blocked in rows if not is_blocked]
    return _invite(event, ids, blocked=len(rows) - len(ids))


def invitation_of(user, event_id, invitation_id, *, writable=True) -> Invitation:
    event = (
        Event.get_writable_or_403(user, event_id)
        if writable
        else Event.get_visible_or_404(user, event_id)
    )
    invitation = Invitation.get_or_none(
        (Invitation.id == invitation_id) & (Invitation.event == event.id)
    )
    return invitation or abort(404)


def set_state(user, event_id, invitation_id, state: str, note: str | None = None) -> Invitation:
    """Record an answer (or that the person came); one audit entry on the event."""
    from app.audit.services import record

    invitation = invitation_of(user, event_id, invitation_id)
    if state not in RSVP_STATES:
        raise EventError({"state": _("Unknown answer.")})
    note = invitation.note if note is None else note.strip()[: Invitation.note.max_length]
    if (state, note) == (invitation.state, invitation.note):
        return invitation
    with db.atomic():
        record(
            "event.rsvp",
            invitation.event,
            changes={"state": [invitation.state, state]},
            details={"person_id": invitation.person_id},
        )
        Invitation.update(state=state, note=note, updated_at=utcnow()).where(
            Invitation.id == invitation.id
        ).execute()
    return Invitation.get_by_id(invitation.id)


def uninvite(user, event_id, invitation_id) -> None:
    from app.audit.services import record

    invitation = invitation_of(user, event_id, invitation_id)
    with db.atomic():
        record("event.uninvite", invitation.event, details={"person_id": invitation.person_id})
        invitation.delete_instance()


def participants(user, event):
    """The invitations of an event with their persons (visible, not erased), by name."""
    return (
        Invitation.select(Invitation, Person)
        .join(Person)
        .where(
            (Invitation.event == event.id)
            & Person.erased_at.is_null()
            & Person.id.in_(Person.visible_to(user, Person.id))
        )
        .order_by(fn.LOWER(Person.last_name), fn.LOWER(Person.first_name), Person.id)
    )


def state_counts(user, event) -> dict:
    counts = dict.fromkeys(RSVP_STATES, 0)
    rows = (
        participants(user, event)
        .select(Invitation.state, fn.COUNT(Invitation.id))
        .order_by()
        .group_by(Invitation.state)
        .tuples()
    )
    for state, count in rows:
        counts[state] = count
    return counts


def candidates(user, event, text: str, limit: int = 20) -> list:
    """Persons of the event's client matching a search, not yet invited (the picker)."""
    if not (text or "").strip():
        return []
    invited = Invitation.select(Invitation.person).where(Invitation.event == event.id)
    query = (
        listing.filtered(user, listing.ListState(q=text))
        .where((Person.client == event.client_id) & Person.id.not_in(invited))
        .limit(limit)
    )
    return list(query)


def events_of_person(user, person) -> list:
    """The events a person is invited to, newest first, with the answer."""
    return list(
        Invitation.select(Invitation, Event)
        .join(Event)
        .where((Invitation.person == person.id) & Event.id.in_(Event.visible_to(user, Event.id)))
        .order_by(Event.starts_at.desc())
        .limit(50)
    )


def upcoming_first(user, when: str):
    """Events the user sees: upcoming (from today on, soonest first) or past (latest
    first)."""
    today = datetime.datetime.combine(utcnow().date(), datetime.time())
    query = Event.visible_to(user)
    if when == "past":
        return query.where(Event.starts_at < today).order_by(Event.starts_at.desc())
    return query.where(Event.starts_at >= today).order_by(Event.starts_at)
