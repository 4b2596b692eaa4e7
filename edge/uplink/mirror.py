"""A second transport as a feed: every event, in ``seq`` order, at least once.

With HTTPS and MQTT both configured, HTTPS settles the outbox and MQTT is a
live feed for whoever listens at the district. The feed keeps its own
watermark (``sync_state['mirror.<name>.seq']``), so it catches up after an
outage of its own, independently of the outbox; its subscribers deduplicate
on ``event_id``.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3

import structlog

from drivers.retry import Backoff, FailureStreak
from edge.events.model import Event
from edge.store.writer import StoreWriter
from edge.uplink.transport import Transport, TransportError
from edge.waiting import keep_going, wake_or_timeout

log = structlog.get_logger(__name__)

_BATCH = 200
_IDLE_S = 5.0


class MirrorFeed:
    def __init__(self, writer: StoreWriter, transport: Transport, backoff: Backoff | None = None) -> None:
        self._writer = writer
        self._transport = transport
        self._key = f"mirror.{transport.name}.seq"
        self._streak = FailureStreak(  # a feed: each failure at debug only, no error, no recovery line
            log, still_failing="uplink.mirror_failed", reason_field="error",
            backoff=backoff or Backoff(1.0, 300.0, random.Random(), full_jitter=True),
        )
        self._wake = asyncio.Event()
        self.sent = 0

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        await keep_going(f"uplink.mirror.{self._transport.name}", self._run)

    async def _run(self) -> None:
        while True:
            events = await self._writer.run(self._pending)
            if not events:
                await self._pause(_IDLE_S)
                continue
            try:
                await self._transport.send_events(events)
            except TransportError as exc:
                await self._pause(self._streak.failed(str(exc), transport=self._transport.name).delay)
                continue
            self._streak.recovered()
            await self._writer.run(lambda conn, last=events[-1].seq: self._advance(conn, last))
            self.sent += len(events)

    def _advance(self, conn: sqlite3.Connection, seq: int) -> None:
        conn.execute(
            "INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (self._key, str(seq)),
        )

    def _pending(self, conn: sqlite3.Connection) -> list[Event]:
        row = conn.execute("SELECT value FROM sync_state WHERE key = ?", (self._key,)).fetchone()
        after = int(row[0]) if row else 0
        conn.row_factory = sqlite3.Row
        try:
            rows = conn.execute("SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (after, _BATCH)).fetchall()
        finally:
            conn.row_factory = None
        return [Event.from_row(dict(r)) for r in rows]

    async def _pause(self, seconds: float) -> None:
        await wake_or_timeout(self._wake, seconds)
