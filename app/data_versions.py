"""Data versions (D41): what a process derives from many rows (the contacts screen's count
of 100,000 persons) is kept until the rows change, in this process or any other.

A version is a row of `data_version`, changed by database triggers (migration 0024; on
PostgreSQL once per transaction since 0027) in the same transaction as every write of the
data it stands for: no service, import, bulk load or
other process can write without changing it. A new value is never an old one (SQLite: a
random 64-bit number; PostgreSQL: the writing transaction's id), also not after a rollback,
so a value read stands for exactly one state of the data.

    counts = KeptUntilChanged("contacts")
    total = counts.get(key, lambda: query.count())   # computed once per version and key
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from peewee import BigIntegerField, CharField, PostgresqlDatabase

from app.extensions import db
from app.models import BaseModel
from app.statements import Statement, slot


class DataVersion(BaseModel):
    """The version of the data called `name` (migration 0024 creates the table and the
    triggers). Bookkeeping, not data: not in `all_models()` (not in the full export, not
    among the tables the backup compares); a restored database brings its own versions."""

    name = CharField(max_length=40, primary_key=True)
    value = BigIntegerField()


_VERSION = Statement(
    lambda: DataVersion.select(DataVersion.value).where(DataVersion.name == slot("name"))
)


def current(name: str) -> int | None:
    """The version of the data called `name` now, or None when nothing may be kept or
    reused for it: inside a transaction (its own writes are not in the version before it
    commits; on PostgreSQL the triggers run at the commit) or without a version row."""
    if db.in_transaction():
        return None
    rows = _VERSION.rows(name=name)
    return rows[0][0] if rows else None


def settle() -> None:
    """Run the version triggers of the current transaction now instead of at its commit.
    PostgreSQL refuses to change the schema of a table with pending trigger events
    ("cannot CREATE INDEX … pending trigger events"): a transaction that writes persons and
    then rebuilds their indexes (the demo loader) settles first."""
    if isinstance(db.obj, PostgresqlDatabase):
        db.execute_sql("SET CONSTRAINTS data_version_contacts IMMEDIATE")


class KeptUntilChanged:
    """Values derived from the data called `name`, kept in this process per key while its
    version stays the same. At most `limit` values are kept (all are dropped when full);
    threads may share an instance."""

    def __init__(self, name: str, limit: int = 1024):
        self.name = name
        self.limit = limit
        self._values: dict[tuple, Any] = {}

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The value kept for `key` at the current version, else `compute()` (kept)."""
        # The version is read before the data: a write committed in between leaves the
        # value under a version that is already gone, never a stale value under a new one.
        version = current(self.name)
        if version is None:
            return compute()
        try:
            return self._values[(version, key)]
        except KeyError:
            pass
        value = compute()
        if len(self._values) >= self.limit:
            self._values.clear()
        self._values[(version, key)] = value
        return value
