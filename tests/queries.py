"""Counting the SQL statements a block of code runs, on both engines.

peewee sends every statement through `Database.execute_sql`, which logs it on the "peewee"
logger at DEBUG level as (sql, params); a handler on that logger sees exactly what reached
the driver, whichever database is in use (SQLite's trace callback would see SQLite only).

    with counted_queries() as queries:
        client.get("/contacts/")
    assert len(queries) < 25, queries.text()
"""

from __future__ import annotations

import logging
from contextlib import contextmanager


class Queries(list):
    """The (sql, params) pairs of the statements run, in order."""

    def text(self) -> str:
        return "\n".join(sql for sql, _ in self)


class _Collector(logging.Handler):
    def __init__(self, queries: Queries):
        super().__init__(logging.DEBUG)
        self.queries = queries

    def emit(self, record):
        if isinstance(record.msg, tuple) and len(record.msg) == 2:
            self.queries.append(record.msg)


@contextmanager
def counted_queries():
    """Collect the statements run inside the block (the list is complete after it)."""
    logger = logging.getLogger("peewee")
    queries = Queries()
    handler = _Collector(queries)
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False  # not into pytest's log capture: the pages run many
    try:
        yield queries
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate
