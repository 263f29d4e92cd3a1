"""The contacts screen's query (SPEC C4): filters, search, sort and paging read from the
query string, each value checked against what is known (an unknown value is ignored), and
the rows of one page loaded with a fixed number of queries whatever the page size."""

from __future__ import annotations

import datetime
import functools
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from math import ceil
from typing import NamedTuple

from babel import dates
from flask import url_for
from flask_babel import get_locale, get_timezone, gettext
from flask_babel import lazy_gettext as _l
from peewee import SQL, Ordering, fn

from app import data_versions
from app.clients.models import FULL
from app.clients.services import client_id_set, client_id_sets
from app.contacts.models import Person, PersonEmail, PersonOutlet, PersonPhone, PersonTopic, Topic
from app.contacts.search import FTS_TABLE, full_text_where, search_expression
from app.outlets.models import OUTLET_TYPES, Outlet
from app.statements import SlotUser, Statement, as_datetime, slot, slots, user_key

PAGE_SIZE = 50
COUNTRIES = {"DE": _l("Germany"), "AT": _l("Austria"), "CH": _l("Switzerland")}
LANGUAGE_NAMES = {"de": _l("German"), "en": _l("English"), "fr": _l("French"), "it": _l("Italian")}
# where a person or an outlet came from (C1), as the record pages and reports name it
ORIGIN_LABELS = {
    "manual": _l("entered by hand"),
    "import": _l("import"),
    "pressbase": _l("press database"),
    "imap": _l("e-mail (IMAP)"),
    "api": _l("API"),
}
BLOCKED = ("all", "no", "yes")
# sort key → columns, given a direction function (asc/desc of a field)
ORDER = {
    "name": lambda d: [d(Person.last_name), d(Person.first_name), d(Person.id)],
    "city": lambda d: [d(Person.city), Person.last_name, Person.id],
    "updated": lambda d: [d(Person.updated_at), d(Person.id)],
}


class ListedPerson(NamedTuple):
    """A person as a row of the list shows them (not the notes or the search text): the
    page is read as tuples, without a model instance per row."""

    id: int
    client_id: int
    title: str
    first_name: str
    last_name: str
    position: str
    city: str
    country: str
    blocked: bool
    updated_at: datetime.datetime

    full_name = property(Person.full_name.fget)  # the model's own rule


# the columns a row of the list shows, in the order of ListedPerson
LIST_FIELDS = tuple(Person._meta.columns[name] for name in ListedPerson._fields)


class LinkedOutlet(NamedTuple):
    id: int
    name: str
    kind: str


class LinkedTopic(NamedTuple):
    id: int
    name: str


@dataclass
class ListState:
    """The screen's state, exactly as it goes into URLs (empty values left out)."""

    q: str = ""
    kind: str = ""
    country: str = ""
    topic: str = ""
    language: str = ""
    blocked: str = "all"
    list: str = ""  # a static distribution list's id (L1)
    sort: str = ""  # "" = relevance with a search, name without
    dir: str = "asc"
    page: int = 1

    KEYS = ("q", "kind", "country", "topic", "language", "blocked", "list", "sort", "dir", "page")

    @classmethod
    def from_args(cls, args, topic_ids: set[int], list_ids=frozenset()) -> ListState:
        state = cls(q=(args.get("q") or "").strip()[:200])
        if args.get("kind") in OUTLET_TYPES:
            state.kind = args["kind"]
        country = (args.get("country") or "").strip().upper()
        if len(country) == 2 and country.isalpha():
            state.country = country
        topic = args.get("topic") or ""
        if topic.isdigit() and int(topic) in topic_ids:
            state.topic = topic
        wanted_list = args.get("list") or ""
        if wanted_list.isdigit() and int(wanted_list) in list_ids:
            state.list = wanted_list
        if args.get("language") in LANGUAGE_NAMES:
            state.language = args["language"]
        if args.get("blocked") in BLOCKED:
            state.blocked = args["blocked"]
        if args.get("sort") in ORDER:
            state.sort = args["sort"]
        if args.get("dir") == "desc":
            state.dir = "desc"
        page = args.get("page") or ""
        state.page = int(page) if page.isdigit() and 0 < len(page) < 9 else 1
        return state

    def filters(self) -> tuple:
        """What decides which persons are listed (not their order or page): the key of a
        kept count."""
        return (self.q, self.kind, self.country, self.topic, self.language, self.blocked, self.list)

    def params(self, **changes) -> dict:
        """Query parameters for a URL of this state with `changes`, without defaults."""
        values = {key: getattr(self, key) for key in self.KEYS} | changes
        defaults = {"blocked": "all", "dir": "asc", "page": 1}
        return {k: v for k, v in values.items() if v not in ("", None) and defaults.get(k) != v}


class RowTexts:
    """What the rows of one page share, looked up once for all of them when first shown
    (D41): the addresses of a person's page and inline edit (url_for costs some 5 µs a
    call), the user's date format and the label pattern of a row's checkbox."""

    _PLACEHOLDER = 987654321987654321  # an id no person has, replaced by the real one

    @cached_property
    def url(self):
        return self._id_url("contacts.detail")

    @cached_property
    def edit_url(self):
        return self._id_url("contacts.row_edit")

    @cached_property
    def changed(self):
        return datetime_formatter("short")

    @cached_property
    def select(self) -> str:
        return gettext("Select %(name)s")

    @classmethod
    def _id_url(cls, endpoint: str):
        head, tail = url_for(endpoint, person_id=cls._PLACEHOLDER).rsplit(str(cls._PLACEHOLDER), 1)
        return lambda person_id: f"{head}{person_id}{tail}"


@dataclass(slots=True)
class Row:
    """A row of the contacts table: the person (a ListedPerson, or a Person where a single
    row is shown), their links, and the texts of the page, computed when shown."""

    person: ListedPerson | Person
    outlets: list
    topics: list
    email: str
    phone: str
    writable: bool
    texts: RowTexts

    @property
    def url(self) -> str:
        return self.texts.url(self.person.id)

    @property
    def edit_url(self) -> str:
        return self.texts.edit_url(self.person.id)

    @property
    def outlet_names(self) -> str:
        return "; ".join(outlet.name for outlet in self.outlets)

    @property
    def changed(self) -> str:
        return self.texts.changed(self.person.updated_at)

    @property
    def select_label(self) -> str:
        return self.texts.select % {"name": self.person.full_name}


# Fields of a date or time pattern that show one part of the value and nothing else (babel's
# DateTimeFormat): their text is babel's own, kept per locale, field and part — a few hundred
# texts in all — instead of formatted anew for each of a page's values (D41).
_ONE_PART = {
    **dict.fromkeys("yu", lambda v: v.year),
    **dict.fromkeys("ML", lambda v: v.month),
    "d": lambda v: v.day,
    **dict.fromkeys("Eec", lambda v: v.weekday()),
    **dict.fromkeys("ahHKk", lambda v: v.hour),
    "m": lambda v: v.minute,
    "s": lambda v: v.second,
}
_field_texts: dict[tuple, str] = {}


class _Fields:
    """The fields of one date or time for a babel pattern's `format % fields`."""

    __slots__ = ("value", "locale", "reference", "code")

    def __init__(self, value, locale, code: str, reference=None):
        # `code` (str(locale)) keys the texts: comparing Locale objects is slow
        self.value, self.locale, self.code, self.reference = value, locale, code, reference

    def __getitem__(self, name: str) -> str:
        part = _ONE_PART.get(name[0])
        if part is None:  # e.g. a time zone's name: formatted for each value
            return dates.DateTimeFormat(self.value, self.locale, self.reference)[name]
        key = (self.code, name, part(self.value))
        text = _field_texts.get(key)
        if text is None:
            text = dates.DateTimeFormat(self.value, self.locale, self.reference)[name]
            _field_texts[key] = text
        return text


def datetime_formatter(format: str = "medium"):
    """`format_datetime(value, format)` of flask_babel for many values: the locale, the time
    zone and the patterns are looked up once instead of for every value (~25 µs each), and
    the text of each field once per part (_Fields). The same text as format_datetime (a
    test compares them); values are datetimes in UTC (naive, as stored)."""
    locale, zone = get_locale(), get_timezone()
    code = str(locale)
    frame = dates.get_datetime_format(format, locale=locale).replace("'", "")
    time_format = dates.get_time_format(format, locale=locale).format
    date_format = dates.get_date_format(format, locale=locale).format

    def formatted(value: datetime.datetime) -> str:
        local = value.replace(tzinfo=datetime.UTC).astimezone(zone)
        day = local.date()
        return frame.replace(
            "{0}", time_format % _Fields(local.timetz(), locale, code, day)
        ).replace("{1}", date_format % _Fields(day, locale, code))

    return formatted


@dataclass
class Page:
    rows: list
    total: int
    page: int
    pages: int
    state: ListState
    writable: set[int]  # the clients the user may write to (client_id_set(user, FULL))


class ListedList(NamedTuple):
    id: int
    client_id: int
    name: str


def _static_lists():
    from app.lists.models import DistributionList

    return (
        DistributionList.visible_to(
            SlotUser(), DistributionList.id, DistributionList.client, DistributionList.name
        )
        .where(DistributionList.kind == "static")
        .order_by(DistributionList.name, DistributionList.id)
    )


# The statements every page of the list runs, compiled once (app/statements.py, D41).
_STATIC_LISTS = Statement(_static_lists)
_TOPICS = Statement(
    lambda: Topic.visible_to(SlotUser(), Topic.id, Topic.name).order_by(Topic.name, Topic.id)
)
_OUTLETS_OF = Statement(
    lambda ids: (
        PersonOutlet.select(PersonOutlet.person, Outlet.id, Outlet.name, Outlet.kind)
        .join(Outlet)
        .where(PersonOutlet.person.in_(slots("ids", ids)))
        .order_by(Outlet.name)
    )
)
_TOPICS_OF = Statement(
    lambda ids: (
        PersonTopic.select(PersonTopic.person, Topic.id, Topic.name)
        .join(Topic)
        .where(PersonTopic.person.in_(slots("ids", ids)))
        .order_by(Topic.name)
    )
)
_EMAIL_OF = Statement(
    lambda ids: PersonEmail.select(PersonEmail.person, PersonEmail.address).where(
        PersonEmail.person.in_(slots("ids", ids)) & (PersonEmail.is_primary == True)  # noqa: E712
    )
)
_PHONE_OF = Statement(
    lambda ids: PersonPhone.select(PersonPhone.person, PersonPhone.number).where(
        PersonPhone.person.in_(slots("ids", ids)) & (PersonPhone.is_primary == True)  # noqa: E712
    )
)


def visible_static_lists(user) -> list[ListedList]:
    """The static distribution lists the user sees, by name (for the list filter)."""
    return [ListedList(*row) for row in _STATIC_LISTS.rows(user=user_key(user))]


def visible_topics(user) -> list[LinkedTopic]:
    """The topics of the clients the user sees, by name (for the topic filter)."""
    return [LinkedTopic(*row) for row in _TOPICS.rows(user=user_key(user))]


class _Shape(NamedTuple):
    """What decides the SQL of a list query (not its values): which filters are set, and
    the order."""

    kind: bool
    country: bool
    topic: bool
    list: bool
    language: bool
    blocked: bool
    search: bool
    sort: str  # "" = relevance with a search, name without
    dir: str


def _shape_and_values(state: ListState) -> tuple[_Shape, dict]:
    expression = search_expression(state.q)
    values = {
        "kind": state.kind,
        "country": state.country,
        "topic": int(state.topic) if state.topic else None,
        "list": int(state.list) if state.list else None,
        "language": state.language,
        "blocked": state.blocked == "yes",
        "search": expression,
    }
    shape = _Shape(
        *(bool(values[key]) for key in ("kind", "country", "topic", "list", "language")),
        state.blocked != "all",
        expression is not None,
        state.sort or ("" if expression else "name"),
        state.dir,
    )
    return shape, values


def filtered(user, state: ListState):
    """The persons of the list for `state`, in its order (a peewee query of LIST_FIELDS)."""
    shape, values = _shape_and_values(state)
    return _filtered(user, shape, values)


def _filtered(user, shape: _Shape, values):
    """The list query of `shape` with `values` (real ones, or a statement's slots)."""
    # erased persons (C9) are tombstones: on no screen
    query = Person.visible_to(user, *LIST_FIELDS).where(Person.erased_at.is_null())
    # Links are tested per candidate person (EXISTS, through the indexes on the person's
    # links) instead of collecting every person with such a link first (IN): a search has
    # narrowed the candidates to a few hundred, and a page stops after 50 rows.
    if shape.kind:
        query = query.where(
            fn.EXISTS(
                PersonOutlet.select(SQL("1"))
                .join(Outlet)
                .where((PersonOutlet.person == Person.id) & (Outlet.kind == values["kind"]))
            )
        )
    if shape.country:
        query = query.where(Person.country == values["country"])
    if shape.topic:
        query = query.where(
            fn.EXISTS(
                PersonTopic.select(SQL("1")).where(
                    (PersonTopic.person == Person.id) & (PersonTopic.topic == values["topic"])
                )
            )
        )
    if shape.list:
        from app.lists.models import ListMember

        query = query.where(
            fn.EXISTS(
                ListMember.select(SQL("1")).where(
                    (ListMember.person == Person.id)
                    & (ListMember.distribution_list == values["list"])
                )
            )
        )
    if shape.language:
        query = query.where(Person.language == values["language"])
    if shape.blocked:
        query = query.where(Person.blocked == values["blocked"])
    if shape.search:
        query = full_text_where(query, values["search"], Person.search_text, FTS_TABLE)
    if shape.sort:
        direction = (lambda f: f.desc()) if shape.dir == "desc" else (lambda f: f.asc())
        query = query.order_by(*ORDER[shape.sort](direction))
    return query


_SLOTS = {key: slot(key) for key in ("kind", "country", "topic", "list", "language", "blocked")}


@functools.cache
def _page_statement(shape: _Shape, reverse: bool) -> Statement:
    """A page of the list of `shape`, compiled once (app/statements.py, D41); read from the
    end (reversed order) for a page in the second half."""

    def build():
        query = _filtered(SlotUser(), shape, {**_SLOTS, "search": slot("search")})
        if reverse:
            query = query.order_by(*_reversed(query._order_by))
        return query.limit(slot("limit")).offset(slot("offset"))

    return Statement(build)


@functools.cache
def _count_statement(shape: _Shape) -> Statement:
    """The number of persons in the list of `shape`: COUNT(*) over the filtered persons
    themselves (peewee's count() wraps the query in a subquery); unfiltered, an index of
    the visible, not erased persons is all it reads."""
    return Statement(
        lambda: (
            _filtered(SlotUser(), shape, {**_SLOTS, "search": slot("search")})
            .order_by()
            .select(fn.COUNT(SQL("*")))
        )
    )


def rows_for(user, persons, writable: set[int] | None = None) -> list[Row]:
    """The rows of the given persons with outlets, topics, primary address and number: one
    query for each of these, whatever the number of persons. The linked outlets and topics
    are plain tuples (the row shows their names): no model instance per link. `writable`:
    the user's client_id_set(user, FULL), if the caller has it already."""
    ids = [p.id for p in persons]
    outlets, topics = defaultdict(list), defaultdict(list)
    emails, phones = {}, {}
    if ids:
        for person_id, outlet_id, name, kind in _OUTLETS_OF.rows(ids=ids):
            outlets[person_id].append(LinkedOutlet(outlet_id, name, kind))
        for person_id, topic_id, name in _TOPICS_OF.rows(ids=ids):
            topics[person_id].append(LinkedTopic(topic_id, name))
        emails = dict(_EMAIL_OF.rows(ids=ids))
        phones = dict(_PHONE_OF.rows(ids=ids))
    if writable is None:
        writable = client_id_set(user, FULL)
    texts = RowTexts()
    return [
        Row(
            p,
            outlets[p.id],
            topics[p.id],
            emails.get(p.id, ""),
            phones.get(p.id, ""),
            p.client_id in writable,
            texts,
        )
        for p in persons
    ]


def _reversed(ordering):
    """The opposite order of an ORDER BY list (each list ends with the id: a total order)."""
    flipped = []
    for node in ordering:
        if isinstance(node, Ordering):
            direction = "ASC" if node.direction.upper() == "DESC" else "DESC"
            flipped.append(Ordering(node.node, direction, collation=node.collation))
        else:
            flipped.append(node.desc())
    return flipped


# The number of persons per (clients seen, filters), kept until persons, their links or
# list memberships change (app/data_versions.py, D41): counting 100,000 persons for every
# page cost more than the rest of the page.
_counts = data_versions.KeptUntilChanged("contacts")


def _listed(rows) -> list[ListedPerson]:
    """The persons of driver rows of LIST_FIELDS (D41: peewee's conversion of every value
    took as long as the query)."""
    return [ListedPerson(*row[:8], bool(row[8]), as_datetime(row[9])) for row in rows]


def page_of(user, state: ListState, size: int = PAGE_SIZE) -> Page:
    """One page of the list; a page number past the end shows the last page. A page in the
    second half is read from the other end (reversed order, small offset), so that the last
    page costs what the first does instead of skipping every row before it."""
    shape, values = _shape_and_values(state)
    values["user"] = user_key(user)
    seen, writable = client_id_sets(user)
    total = _counts.get(
        (frozenset(seen), state.filters()),
        lambda: _count_statement(shape).rows(**values)[0][0],
    )
    pages = max(1, ceil(total / size))
    state.page = min(max(1, state.page), pages)
    offset = (state.page - 1) * size
    rows_on_page = max(0, min(size, total - offset))
    if offset > total // 2:
        from_end = total - offset - rows_on_page
        rows = _page_statement(shape, True).rows(limit=rows_on_page, offset=from_end, **values)
        persons = _listed(rows)
        persons.reverse()
    else:
        persons = _listed(_page_statement(shape, False).rows(limit=size, offset=offset, **values))
    return Page(rows_for(user, persons, writable), total, state.page, pages, state, writable)
