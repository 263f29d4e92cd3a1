"""Statements compiled once (D41): a peewee query whose values are given when it runs.

peewee builds a query node by node and compiles it to SQL for every call; for the contacts
screen's statements that took several times as long as the database needed to answer
them, and turning each row into a tuple of converted values took about as long again. A
`Statement` is written with peewee as usual, with `slot(name)` where a value goes and
`slots(name, n)` where a list of n values goes (`IN`); it is compiled once per database
engine and list length and then run with the values as parameters. Its rows are the
driver's own tuples: ints and strings as stored, datetimes from psycopg2 but text from
SQLite, booleans as 0/1 from SQLite.

    LINKS = Statement(lambda ids: Link.select(Link.person, Link.name)
                      .where(Link.person.in_(slots("ids", ids))))
    for person_id, name in LINKS.rows(ids=[3, 5, 8]):   # build(ids=3), compiled once
        ...

For statements that run on every request of a busy screen; everything else stays a plain
peewee query.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable

from peewee import Value

from app.extensions import db


class _Slot:
    """Where a value goes in the compiled SQL: `values[name]`, or `values[name][index]`."""

    __slots__ = ("name", "index")

    def __init__(self, name: str, index: int | None = None):
        self.name = name
        self.index = index


def slot(name: str) -> Value:
    """A value given as `name=` when the statement runs, passed to the driver as it is."""
    return Value(_Slot(name), converter=False)


def slots(name: str, count: int) -> list[Value]:
    """`count` values, given as a list `name=` when the statement runs: `in_(slots(…))`."""
    return [Value(_Slot(name, n), converter=False) for n in range(count)]


class SlotUser:
    """Stands for the user in a scoped query of a Statement (`Topic.visible_to(SlotUser())`):
    its id is the slot "user", given when the statement runs as
    `rows(user=user_key(user))`."""

    is_authenticated = True

    def __init__(self):
        self.id = slot("user")


def user_key(user) -> int | None:
    """The value of the slot "user" for `user`: the id of a signed-in user, else None
    (which matches no right, as for an anonymous user in a plain query)."""
    if user is None or not getattr(user, "is_authenticated", True):
        return None
    return getattr(user, "id", None)


class Statement:
    """A query that `build` makes, compiled once per engine and per length of the lists
    (or tuples) among the values: `build` gets each list's length under its name."""

    def __init__(self, build: Callable[..., object]):
        self.build = build
        self._compiled: dict[tuple, tuple[str, list]] = {}
        self._lock = threading.Lock()

    def sql(self, **values) -> tuple[str, list]:
        """The SQL and its parameters for `values`."""
        lengths = {k: len(v) for k, v in values.items() if isinstance(v, list | tuple)}
        key = (type(db.obj), *sorted(lengths.items()))
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(key) or self.build(**lengths).sql()
                self._compiled[key] = compiled
        sql, params = compiled
        return sql, [
            p
            if not isinstance(p, _Slot)
            else values[p.name]
            if p.index is None
            else values[p.name][p.index]
            for p in params
        ]

    def rows(self, **values) -> list[tuple]:
        """The rows for `values`, as the driver returns them."""
        sql, params = self.sql(**values)
        return db.execute_sql(sql, params).fetchall()


def instance_of(model, values):
    """A model instance from a driver's row of all the model's fields (`select(model)`, in
    `_meta.sorted_fields` order), with each value converted as peewee converts it and
    nothing marked as changed: what peewee makes of the row, for statements of this kind
    that return a model."""
    instance = model(__no_default__=True)
    instance.__data__ = {
        field.name: field.python_value(value)
        for field, value in zip(model._meta.sorted_fields, values, strict=True)
    }
    return instance


def as_datetime(value) -> datetime.datetime | None:
    """A datetime column's value in a driver's row (SQLite gives the stored text)."""
    if value is None or isinstance(value, datetime.datetime):
        return value
    return datetime.datetime.fromisoformat(value)
