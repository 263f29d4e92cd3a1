"""The outlets screen's query (SPEC C2, C4): search, filters, sort and paging read from the
query string, each value checked against what is known (an unknown value is ignored), and
the rows of one page completed with a fixed number of queries whatever the page size."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from peewee import JOIN, Case, fn

from app import paging
from app.contacts.models import OutletTopic, PersonOutlet, Topic
from app.countries import country_choices
from app.outlets.models import OUTLET_TYPES, Outlet
from app.outlets.services import index_pending, search_outlets

PAGE_SIZE = 50
SORTS = ("name", "kind", "city", "circulation", "reach", "journalists")
# the columns a row of the list shows (not the notes, the address or the search text)
LIST_FIELDS = (
    Outlet.id,
    Outlet.client,
    Outlet.name,
    Outlet.kind,
    Outlet.city,
    Outlet.region,
    Outlet.country,
    Outlet.circulation,
    Outlet.reach,
)


@dataclass
class ListState:
    """The screen's state, exactly as it goes into URLs (empty values left out)."""

    q: str = ""
    kind: str = ""
    country: str = ""
    topic: str = ""
    sort: str = ""  # "" = relevance with a search, name without
    dir: str = "asc"
    page: int = 1

    KEYS = ("q", "kind", "country", "topic", "sort", "dir", "page")
    DEFAULTS = {"dir": "asc", "page": 1}

    @classmethod
    def from_args(cls, args, topic_ids: set[int]) -> ListState:
        state = cls(q=(args.get("q") or "").strip()[:200])
        if args.get("kind") in OUTLET_TYPES:
            state.kind = args["kind"]
        country = (args.get("country") or "").strip().upper()
        if len(country) == 2 and country.isalpha():
            state.country = country
        topic = args.get("topic") or ""
        if topic.isdigit() and int(topic) in topic_ids:
            state.topic = topic
        if args.get("sort") in SORTS:
            state.sort = args["sort"]
        if args.get("dir") == "desc":
            state.dir = "desc"
        state.page = paging.page_number(args.get("page"))
        return state

    def params(self, **changes) -> dict:
        """Query parameters for a URL of this state with `changes`, without defaults."""
        values = {key: getattr(self, key) for key in self.KEYS} | changes
        return paging.clean_params(values, self.DEFAULTS)


@dataclass
class Row:
    outlet: Outlet
    journalists: int = 0
    topics: list = field(default_factory=list)


def visible_topics(user):
    """The topics of the clients the user sees, by name (for the topic filter)."""
    return list(Topic.visible_to(user, Topic.id, Topic.name).order_by(Topic.name, Topic.id))


def countries_in_use(user) -> list[tuple[str, str]]:
    """(code, name) of the countries of the visible outlets (for the country filter)."""
    used = [c for (c,) in Outlet.visible_to(user, Outlet.country).distinct().tuples() if c]
    return country_choices(used)


def _kind_rank(labels: dict):
    """The type as a number in the order of its label in the user's language."""
    ordered = sorted(labels, key=lambda key: str(labels[key]).casefold())
    return Case(Outlet.kind, [(key, rank) for rank, key in enumerate(ordered)], len(ordered))


def filtered(user, state: ListState):
    query = Outlet.visible_to(user, *LIST_FIELDS)
    if state.kind:
        query = query.where(Outlet.kind == state.kind)
    if state.country:
        query = query.where(Outlet.country == state.country)
    if state.topic:
        query = query.where(
            Outlet.id.in_(
                OutletTopic.select(OutletTopic.outlet).where(OutletTopic.topic == int(state.topic))
            )
        )
    query = search_outlets(query, state.q)
    if not state.sort and state.q:
        return query  # best match first
    sort = state.sort or "name"
    d = (lambda f: f.desc()) if state.dir == "desc" else (lambda f: f.asc())
    if sort == "journalists":
        counts = (
            PersonOutlet.select(PersonOutlet.outlet, fn.COUNT(PersonOutlet.id).alias("n"))
            .group_by(PersonOutlet.outlet)
            .alias("journalist_count")
        )
        query = query.join(counts, JOIN.LEFT_OUTER, on=(counts.c.outlet_id == Outlet.id))
        order = [d(fn.COALESCE(counts.c.n, 0))]
    elif sort == "kind":
        order = [d(_kind_rank(OUTLET_TYPES))]
    elif sort in ("circulation", "reach"):
        column = getattr(Outlet, sort)
        order = [column.is_null(), d(column)]  # no figure: last, in both directions
    else:
        order = [d(getattr(Outlet, sort))]
    name_order = [] if sort == "name" else [Outlet.name]
    return query.order_by(*order, *name_order, d(Outlet.id) if sort == "name" else Outlet.id)


def rows_for(outlets) -> list[Row]:
    """The rows of the given outlets with their number of journalists and their topics: one
    query for each, whatever the number of outlets."""
    ids = [o.id for o in outlets]
    counts, topics = {}, defaultdict(list)
    if ids:
        counts = dict(
            PersonOutlet.select(PersonOutlet.outlet, fn.COUNT(PersonOutlet.id))
            .where(PersonOutlet.outlet.in_(ids))
            .group_by(PersonOutlet.outlet)
            .tuples()
        )
        for link in (
            OutletTopic.select(OutletTopic.outlet, Topic.id, Topic.name)
            .join(Topic)
            .where(OutletTopic.outlet.in_(ids))
            .order_by(Topic.name)
        ):
            topics[link.outlet_id].append(link.topic)
    return [Row(o, counts.get(o.id, 0), topics[o.id]) for o in outlets]


def page_of(user, state: ListState, size: int = PAGE_SIZE) -> paging.Page:
    """One page of the list (a page past the end shows the last one), its items as rows."""
    if state.q:
        index_pending(user)
    result = paging.page_of(filtered(user, state), state.page, size)
    state.page = result.page
    result.items = rows_for(result.items)
    return result
