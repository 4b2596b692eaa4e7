"""The store's single writer: group commit on a thread of its own.

Producers call ``await writer.append(draft)``. The draft joins a queue; the
writer thread takes everything waiting (up to ``max_batch``), writes each event
and its outbox row, commits once, and only then resolves the producers'
futures with the stored :class:`Event`. Under load many events share one
fsync; when idle a lone event commits at once.

``seq`` is assigned inside the transaction from the last committed value, so a
failed transaction leaves no gap: the numbers are handed out again.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import structlog

from edge.events.model import Event, EventDraft, utc_rfc3339
from edge.store.database import StoreError, open_database

log = structlog.get_logger(__name__)

_INSERT_EVENT = (
    "INSERT INTO events (seq, event_id, type, priority, occurred_at, clock_synced, device_id, data, media)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_OUTBOX = "INSERT INTO outbox (seq, priority, bytes) VALUES (?, ?, ?)"
_INSERT_MEDIA = (
    "INSERT OR IGNORE INTO media (sha256, kind, content_type, bytes, created_at) VALUES (?, ?, ?, ?, ?)"
)
_INSERT_MEDIA_OUTBOX = "INSERT OR IGNORE INTO media_outbox (sha256) VALUES (?)"
_STOP = object()
T = TypeVar("T")


class StoreFullError(StoreError):
    """The disk (or the database's size limit) is full; the event was not stored."""


@dataclass(slots=True)
class _Pending:
    draft: EventDraft
    future: asyncio.Future[Event]
    loop: asyncio.AbstractEventLoop


@dataclass(slots=True)
class _Job:
    """Other writes (outbox bookkeeping, downlink pages), each in a transaction of its own."""

    work: Callable[[sqlite3.Connection], Any]
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop


class StoreWriter:
    """Owns the only writing connection to the event store."""

    def __init__(self, path: Path, *, max_batch: int = 256, busy_timeout_ms: int = 5000) -> None:
        self.path = path
        self.max_batch = max_batch
        self._busy_timeout_ms = busy_timeout_ms
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._conn: sqlite3.Connection | None = None
        self._last_seq = 0
        self.batches = 0
        self.committed = 0

    @property
    def last_seq(self) -> int:
        return self._last_seq

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def open(self) -> None:
        """Open and migrate the database and start the writer thread."""
        if self._thread is not None:
            raise RuntimeError("store writer already open")
        self._conn = open_database(self.path, busy_timeout_ms=self._busy_timeout_ms)
        self._last_seq = self._read_last_seq(self._conn)
        self._thread = threading.Thread(target=self._loop, name="store-writer", daemon=True)
        self._thread.start()

    async def close(self) -> None:
        """Commit everything queued, then stop the thread and close the database."""
        if self._thread is None:
            return
        self._queue.put(_STOP)
        await asyncio.to_thread(self._thread.join)
        self._thread = None

    async def __aenter__(self) -> StoreWriter:
        self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work(conn)`` on the writer thread inside one transaction; return its result.

        The only way, besides ``append``, to write to the store: it keeps one
        writer. ``work`` must not commit; raising rolls its transaction back.
        """
        if self._thread is None:
            raise StoreError("store writer is not open")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Job(work, future, loop))
        return await future

    async def append(self, draft: EventDraft) -> Event:
        """Store one event; return it, with its ``seq``, once it is committed."""
        if self._thread is None:
            raise StoreError("store writer is not open")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Event] = loop.create_future()
        self._queue.put(_Pending(draft, future, loop))
        return await future

    # --- the writer thread -------------------------------------------------

    def _loop(self) -> None:
        assert self._conn is not None
        stopping = False
        while not stopping:
            batch: list[_Pending] = []
            item = self._queue.get()
            while True:
                if item is _STOP:
                    stopping = True
                elif isinstance(item, _Job):
                    if batch:  # keep the order: events queued before the job commit first
                        self._commit(batch)
                        batch = []
                    self._run_job(item)
                else:
                    batch.append(item)  # type: ignore[arg-type]
                if stopping or len(batch) >= self.max_batch:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if batch:
                self._commit(batch)
        self._close_connection()

    def _commit(self, batch: list[_Pending]) -> None:
        conn = self._conn
        assert conn is not None
        first = self._last_seq + 1
        try:
            conn.execute("BEGIN IMMEDIATE")
            rows, outbox, media = _rows(batch, first)
            conn.executemany(_INSERT_EVENT, rows)
            conn.executemany(_INSERT_OUTBOX, outbox)
            if media:
                conn.executemany(_INSERT_MEDIA, media)
                conn.executemany(_INSERT_MEDIA_OUTBOX, [(row[0],) for row in media])
            conn.execute("COMMIT")
        except sqlite3.IntegrityError as exc:
            _rollback(conn)
            if len(batch) > 1:  # one bad event must not sink its neighbours
                for pending in batch:
                    self._commit([pending])
                return
            log.error("store.event_rejected", error=str(exc), event_id=batch[0].draft.event_id)
            _resolve(batch[0], error=StoreError(f"event rejected by the store: {exc}"))
            return
        except sqlite3.Error as exc:
            _rollback(conn)
            error = _store_error(exc)
            log.error("store.commit_failed", error=str(exc), events=len(batch))
            for pending in batch:
                _resolve(pending, error=error)
            return
        self._last_seq = first + len(batch) - 1
        self.batches += 1
        self.committed += len(batch)
        for offset, pending in enumerate(batch):
            _resolve(pending, event=Event.committed(pending.draft, first + offset))

    def _run_job(self, job: _Job) -> None:
        conn = self._conn
        assert conn is not None
        try:
            conn.execute("BEGIN IMMEDIATE")
            result = job.work(conn)
            conn.execute("COMMIT")
        except Exception as exc:
            _rollback(conn)
            error: Exception = _store_error(exc) if isinstance(exc, sqlite3.Error) else exc
            _settle(job.loop, job.future, error=error)
            return
        _settle(job.loop, job.future, result=result)

    def _close_connection(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            log.warning("store.checkpoint_failed", error=str(exc))
        self._conn.close()
        self._conn = None

    @staticmethod
    def _read_last_seq(conn: sqlite3.Connection) -> int:
        row = conn.execute("SELECT max(seq) FROM events").fetchone()
        return int(row[0] or 0)


def _rows(batch: Iterable[_Pending], first: int) -> tuple[list[tuple], list[tuple], list[tuple]]:
    events, outbox, media = [], [], []
    now = utc_rfc3339(datetime.now(UTC))
    for seq, pending in enumerate(batch, start=first):
        d = pending.draft
        data, media_json = d.data_json(), d.media_json()
        events.append((
            seq, d.event_id, d.type, int(d.priority), utc_rfc3339(d.occurred_at),
            int(d.clock_synced), d.device_id, data, media_json,
        ))
        size = len(data.encode()) + len(media_json) + len(d.type.encode()) + 96  # bytes on the wire, not characters
        outbox.append((seq, int(d.priority), size))
        media.extend((m.sha256, m.kind, m.content_type, m.bytes, now) for m in d.media)
    return events, outbox, media


def _rollback(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("ROLLBACK")
    except sqlite3.Error:
        pass  # no transaction was open


def _store_error(exc: sqlite3.Error) -> StoreError:
    text = str(exc)
    if "full" in text:
        return StoreFullError(f"event store is full: {text}")
    return StoreError(f"event store write failed: {text}")


def _resolve(pending: _Pending, *, event: Event | None = None, error: Exception | None = None) -> None:
    _settle(pending.loop, pending.future, result=event, error=error)


def _settle(
    loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any], *, result: Any = None, error: Exception | None = None
) -> None:
    """Resolve ``future`` on its own loop, from the writer thread."""

    def settle() -> None:
        if future.done():  # the caller gave up waiting
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    try:
        loop.call_soon_threadsafe(settle)
    except RuntimeError:
        pass  # the caller's loop is closed; what was written stays written
