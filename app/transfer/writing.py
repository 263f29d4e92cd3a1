"""The import's batches written in threads of their own (docs/decisions.md D42): while the
database works on one batch (PostgreSQL's server, SQLite's library: both release the
interpreter lock), the importer's thread checks the next one against the file and the
database and makes its rows ready. Each batch is one transaction. On PostgreSQL two writers,
each with its own connection, write two batches at once — the server's per-row work (foreign
keys, indexes) runs on two cores — but commit strictly in file order: what must happen in
order (audit entries, counters, list members, outlets and topics found or created, existing
persons changed) waits for `turn()`, i.e. for the batch before to be committed. After the
first batch that fails nothing later commits, so the committed batches are exactly those
before it."""

from __future__ import annotations

import logging
import queue
import threading

from flask import current_app
from flask_babel import force_locale

from app.extensions import db

log = logging.getLogger("depesche.imports")

AHEAD = 1  # batches made ready while the writers write (bounded memory)
_END = object()


class WriteFailed(Exception):
    """A batch could not be written (its transaction was rolled back): `item` is what was
    handed to the writer, `error` the exception it raised."""

    def __init__(self, item, error: BaseException):
        super().__init__(f"{type(error).__name__}: {error}")
        self.item, self.error = item, error


class Skipped(Exception):
    """Raised by `turn()` in a batch after one that failed (or when writing stopped): the
    batch is rolled back, not written, and is not a failure of its own."""


class BatchWriter:
    """Calls `write(item)` for every item put, in `writers` threads with a database
    connection each, in the app context and with `locale`; `written(item)` after each item
    written. `write` calls `turn()` before its commit (and before anything that must follow
    the batch before it); items are committed in the order put. The first failure in that
    order is kept and raised as WriteFailed by the next `put` or `drain`, once the items
    before it are written; the items after it are not. Use as a context manager: leaving it
    waits for the threads (the items still queued are dropped when leaving by an
    exception)."""

    def __init__(self, write, locale: str, written=None, writers: int = 1):
        self._write, self._written = write, written
        self._app = current_app._get_current_object()
        self._locale = locale
        self._queue: queue.Queue = queue.Queue(maxsize=AHEAD)
        self._turns = threading.Condition()
        self._committed = 0  # items committed, in order: the index of the next to commit
        self._failed_at: int | None = None  # index of the first item (in order) that failed
        self._failure: WriteFailed | None = None
        self._stop = False
        self._put = 0
        self._local = threading.local()
        self._threads = [
            threading.Thread(target=self._run, name=f"import-writer-{n}", daemon=True)
            for n in range(max(1, writers))
        ]

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        if exc_info[0] is not None:
            with self._turns:
                self._stop = True  # nothing more is written
                self._turns.notify_all()
        for _ in self._threads:
            self._queue.put(_END)
        for thread in self._threads:
            thread.join()

    def put(self, item) -> None:
        """Queue `item` (waits while the writers are AHEAD items behind); raises WriteFailed
        if an earlier item failed."""
        self._raise_failure()
        self._queue.put((self._put, item))
        self._put += 1

    def drain(self) -> None:
        """Wait until every item put is written; raises WriteFailed if one failed."""
        self._queue.join()
        self._raise_failure()

    def turn(self) -> None:
        """In `write`: wait until every item before this one is committed; raises Skipped if
        one of them failed or writing stopped. Returns at once when it is this item's turn
        already (so it may be called more than once)."""
        index = self._local.index
        with self._turns:
            self._turns.wait_for(lambda: self._committed == index or self._halted(index))
            if self._committed != index:
                raise Skipped

    def _halted(self, index: int) -> bool:
        return self._stop or (self._failed_at is not None and self._failed_at < index)

    def _committed_now(self, index: int) -> None:
        with self._turns:
            self._committed = index + 1
            self._turns.notify_all()

    def _failed(self, index: int, item, exc: BaseException) -> None:
        with self._turns:
            if self._failed_at is None or index < self._failed_at:
                self._failed_at, self._failure = index, WriteFailed(item, exc)
            self._turns.notify_all()

    def _after(self, item) -> None:
        # the batch is committed: what follows it (statistics, a progress bar) must not
        # make it count as failed
        if self._written is not None:
            try:
                self._written(item)
            except Exception:
                log.exception("after writing an import batch")

    def _raise_failure(self) -> None:
        if self._failure is not None:
            self._queue.join()  # the items before it end first: it may not be the first
            raise self._failure

    def _write_one(self, index: int, item, unconnected) -> None:
        self._local.index = index
        if unconnected is not None:
            raise unconnected
        with self._turns:
            if self._halted(index):
                return
        self._write(item)
        self.turn()  # a `write` that did not ask has committed in its turn all the same
        self._after(item)  # still this item's turn: the callbacks run one at a time, in order
        self._committed_now(index)

    def _run(self) -> None:
        with self._app.app_context(), force_locale(self._locale):
            try:
                db.connect(reuse_if_open=True)
                unconnected = None
            except Exception as exc:  # noqa: BLE001 - its first batch fails with it
                unconnected = exc
            try:
                # every item is taken off the queue, written or not, so that `put` and
                # `drain` never wait for a writer that has stopped writing
                while (entry := self._queue.get()) is not _END:
                    index, item = entry
                    try:
                        self._write_one(index, item, unconnected)
                    except Skipped:
                        pass
                    except BaseException as exc:  # noqa: BLE001 - raised in the importer
                        self._failed(index, item, exc)
                    finally:
                        self._queue.task_done()
                self._queue.task_done()
            finally:
                if not db.is_closed():
                    db.close()
