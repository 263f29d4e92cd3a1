"""The import's rows read and converted in a thread of their own (docs/decisions.md D42):
while the importer waits for the database with one batch (PostgreSQL's server, SQLite's
library: both release the interpreter lock), the next batch is read from the file and its
rows checked and prepared. The database is never touched here: every write stays in the
writer's thread (writing.py) and its per-batch transactions."""

from __future__ import annotations

import itertools
import queue
import threading
from itertools import islice

from flask import current_app
from flask_babel import force_locale

from app.transfer import mapping as maps

AHEAD = 2  # batches converted ahead of the importer (bounded memory)
_END = object()


class Converted:
    """One batch: its (row number, cells) and the rows converted (None: a blank line), or
    the exception its conversion raised (the importer fails the batch with it)."""

    __slots__ = ("numbered_rows", "rows", "error")

    def __init__(self, numbered_rows, rows=None, error=None):
        self.numbered_rows, self.rows, self.error = numbered_rows, rows, error


def converted_batches(source, size: int, mapping: dict[int, str], locale: str, prepare=None):
    """Batches of `size` rows of the iterator `source` ((number, cells) pairs) as
    `Converted`, made in a thread in the app context with `locale` (the rows' messages);
    `prepare(row)` is called for every row that can be imported. An exception of the
    reader itself is raised here, where the batches are taken. Leaving the loop early stops
    the thread."""
    app = current_app._get_current_object()
    # The first row here: the reader loads the sheet in this thread, so its memory comes
    # from the same allocator arena as the rest (in the thread, the peak grew by 50 MB).
    source = iter(source)
    first = next(source, None)
    if first is None:
        return
    source = itertools.chain([first], source)
    ready: queue.Queue = queue.Queue(maxsize=AHEAD)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def work():
        with app.app_context(), force_locale(locale):
            try:
                while numbered_rows := list(islice(source, size)):
                    try:
                        rows = [maps.convert(n, cells, mapping) for n, cells in numbered_rows]
                        if prepare is not None:
                            for row in rows:
                                if row is not None and not row.errors:
                                    prepare(row)
                        item = Converted(numbered_rows, rows)
                    except Exception as exc:  # noqa: BLE001 - the importer reports it
                        item = Converted(numbered_rows, error=exc)
                    if not put(item):
                        return
                put(_END)
            except BaseException as exc:  # the reader failed: raised in the importer
                put(exc)

    thread = threading.Thread(target=work, name="import-converter", daemon=True)
    thread.start()
    try:
        while True:
            item = ready.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()
