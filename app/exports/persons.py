"""Persons as rows of an export (SPEC L4): the columns a user may choose, and the rows of
many persons loaded in batches with a fixed number of queries per batch.

An export of another kind of person list (an event's participants, a mailing's recipients)
passes its own ids and an `extra_of` function giving each person's additional values (the
RSVP state, the delivery state), and appends its own `Column`s that read `row.extra`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from app.contacts import letters, listing
from app.contacts.models import SALUTATIONS, Person
from app.exports.xlsx import Column

BATCH = 1000
FORMS = ("female", "male")
# every field a column reads (not the notes, not the search text)
FIELDS = (
    Person.id,
    Person.client,
    Person.gender,
    Person.title,
    Person.first_name,
    Person.last_name,
    Person.position,
    Person.department,
    Person.language,
    Person.street,
    Person.postcode,
    Person.city,
    Person.country,
    Person.blocked,
)


@dataclass
class PersonRow:
    """A person with outlets, topics, primary address and number (`listing.Row`), and the
    values an export adds (`extra`)."""

    row: listing.Row
    extra: dict = field(default_factory=dict)

    @property
    def person(self) -> Person:
        return self.row.person


def letter_language(person) -> str:
    """The letter's language: English for English speakers, else German (as the person
    page's letter panel orders them)."""
    return "en" if person.language == "en" else "de"


def _p(name: str):
    return lambda r: getattr(r.person, name)


PERSON_COLUMNS = [
    # Ms or Mr; empty when the gender is diverse or not known (no such form of address)
    Column(
        "salutation",
        _l("Salutation"),
        lambda r: str(SALUTATIONS[r.person.gender]) if r.person.gender in FORMS else "",
        12,
    ),
    Column("title", _l("Title"), _p("title"), 12),
    Column("first_name", _l("First name"), _p("first_name")),
    Column("last_name", _l("Last name"), _p("last_name")),
    Column("position", _l("Position"), _p("position"), 24),
    Column("department", _l("Department"), _p("department")),
    Column("outlets", _l("Outlets"), lambda r: "; ".join(o.name for o in r.row.outlets), 30),
    Column("email", _l("E-mail"), lambda r: r.row.email, 30),
    Column("phone", _l("Phone"), lambda r: r.row.phone),
    Column("street", _l("Street"), _p("street"), 24),
    Column("postcode", _l("Postcode"), _p("postcode"), 10),
    Column("city", _l("City"), _p("city")),
    Column("country", _l("Country"), _p("country"), 8),
    Column(
        "language",
        _l("Language"),
        lambda r: str(listing.LANGUAGE_NAMES.get(r.person.language, r.person.language)),
        10,
    ),
    Column("topics", _l("Topics"), lambda r: "; ".join(t.name for t in r.row.topics), 30),
    Column(
        "letter_salutation",
        _l("Letter salutation"),
        lambda r: letters.salutation(r.person, letter_language(r.person)),
        34,
    ),
]
COLUMNS_BY_KEY = {c.key: c for c in PERSON_COLUMNS}
DEFAULT_COLUMNS = (
    "salutation",
    "title",
    "first_name",
    "last_name",
    "outlets",
    "email",
    "letter_salutation",
)


def chosen_columns(keys: Sequence[str], columns: Sequence[Column] | None = None) -> list[Column]:
    """The known columns among `keys`, in the order given, each once (of PERSON_COLUMNS,
    or of the `columns` an export offers)."""
    by_key = COLUMNS_BY_KEY if columns is None else {c.key: c for c in columns}
    return [by_key[k] for k in dict.fromkeys(keys) if k in by_key]


def person_rows(
    user,
    person_ids: Sequence[int],
    extra_of: Callable[[list[int]], dict[int, dict]] | None = None,
    batch: int = BATCH,
) -> Iterator[PersonRow]:
    """The rows of the persons, in the order of `person_ids`, loaded `batch` at a time
    (only persons visible to the user; an id that is not is left out)."""
    for start in range(0, len(person_ids), batch):
        chunk = list(person_ids[start : start + batch])
        found = {
            p.id: p
            for p in Person.visible_to(user, *FIELDS).where(
                Person.id.in_(chunk) & Person.erased_at.is_null()
            )
        }
        persons = [found[i] for i in chunk if i in found]
        extras = extra_of(chunk) if extra_of else {}
        for row in listing.rows_for(user, persons):
            yield PersonRow(row, extras.get(row.person.id, {}))
