"""The import's batches written in a thread of their own (docs/decisions.md D42): while the
database works on one batch (PostgreSQL's server, SQLite's library: both release the
interpreter lock), the importer's thread checks the next one against the file and the
database and makes its rows ready. Each batch is still one transaction, written in file
order on the writer's one connection; after the first batch that fails nothing more is
written, so the committed batches are exactly those before it."""

from __future__ import annotations

import logging
import queue
import threading

from flask import current_app
from flask_babel import force_locale

from app.extensions import db

log = logging.getLogger("depesche.imports")

AHEAD = 1  # batches made ready while the writer writes one (bounded memory)
_END = object()


class WriteFailed(Exception):
    """A batch could not be written (its transaction was rolled back): `item` is what was
    handed to the writer, `error` the exception it raised."""

    def __init__(self, item, error: BaseException):
        super().__init__(f"{type(error).__name__}: {error}")
        self.item, self.error = item, error


class BatchWriter:
    """Calls `write(item)` for every item put, in order, in a thread with its own database
    connection, in the app context and with `locale`; `written(item)` after each item
    written. The first failure is kept and raised as WriteFailed by the next `put` or
    `drain`; the items after it are not written. Use as a context manager: leaving it
    waits for the thread (the items still queued are dropped when leaving by an
    exception)."""

    def __init__(self, write, locale: str, written=None):
        self._write, self._written = write, written
        self._app = current_app._get_current_object()
        self._locale = locale
        self._queue: queue.Queue = queue.Queue(maxsize=AHEAD)
        self._failure: WriteFailed | None = None
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="import-writer", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        if exc_info[0] is not None:
            self._stop = True  # nothing more is written
        self._queue.put(_END)
        self._thread.join()

    def put(self, item) -> None:
        """Queue `item` (waits while the writer is AHEAD items behind); raises WriteFailed
        if an earlier item failed."""
        self._raise_failure()
        self._queue.put(item)

    def drain(self) -> None:
        """Wait until every item put is written; raises WriteFailed if one failed."""
        self._queue.join()
        self._raise_failure()

    def _after(self, item) -> None:
        # the batch is committed: what follows it (statistics, a progress bar) must not
        # make it count as failed
        if self._written is not None and self._failure is None and not self._stop:
            try:
                self._written(item)
            except Exception:
                log.exception("after writing an import batch")

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    def _run(self) -> None:
        with self._app.app_context(), force_locale(self._locale):
            try:
                db.connect(reuse_if_open=True)
                unconnected = None
            except Exception as exc:  # noqa: BLE001 - the first batch fails with it
                unconnected = exc
            try:
                # every item is taken off the queue, written or not, so that `put` and
                # `drain` never wait for a writer that has stopped writing
                while (item := self._queue.get()) is not _END:
                    try:
                        if unconnected is not None and self._failure is None:
                            raise unconnected
                        if self._failure is None and not self._stop:
                            self._write(item)
                    except BaseException as exc:  # noqa: BLE001 - raised in the importer
                        self._failure = WriteFailed(item, exc)
                    else:
                        self._after(item)
                    finally:
                        self._queue.task_done()
                self._queue.task_done()
            finally:
                if not db.is_closed():
                    db.close()
