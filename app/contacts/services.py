"""Services of the contacts feature. For now: keeping the search text in step."""

from __future__ import annotations

from collections import defaultdict

from app.contacts.models import Person, PersonEmail, PersonOutlet, PersonTopic, Topic
from app.contacts.search import canonical_text
from app.extensions import db
from app.outlets.models import Outlet

BATCH = 500


def reindex(person_ids) -> int:
    """Recompute `search_text` of the given persons with a fixed number of queries per
    batch (no query per person); returns how many were updated."""
    ids = list(person_ids)
    done = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        emails, outlets, topics = defaultdict(list), defaultdict(list), defaultdict(list)
        for person_id, address in (
            PersonEmail.select(PersonEmail.person, PersonEmail.address)
            .where(PersonEmail.person.in_(chunk))
            .tuples()
        ):
            emails[person_id].append(address)
        for person_id, name in (
            PersonOutlet.select(PersonOutlet.person, Outlet.name)
            .join(Outlet)
            .where(PersonOutlet.person.in_(chunk))
            .tuples()
        ):
            outlets[person_id].append(name)
        for person_id, name in (
            PersonTopic.select(PersonTopic.person, Topic.name)
            .join(Topic)
            .where(PersonTopic.person.in_(chunk))
            .tuples()
        ):
            topics[person_id].append(name)
        with db.atomic():
            for person in Person.select().where(Person.id.in_(chunk)):
                text = canonical_text(
                    person.title,
                    person.first_name,
                    person.last_name,
                    person.position,
                    person.department,
                    person.city,
                    person.notes,
                    *emails[person.id],
                    *outlets[person.id],
                    *topics[person.id],
                )
                if text != person.search_text:
                    Person.update(search_text=text).where(Person.id == person.id).execute()
                    done += 1
    return done
