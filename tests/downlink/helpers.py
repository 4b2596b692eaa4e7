"""Helpers for the downlink tests: a recording stand-in for EventRecorder.record, a running poller, rows."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from drivers.base import DeviceEvent
from edge.downlink import DownlinkPoller
from edge.events.catalogue import is_catalogued
from edge.events.model import Event, EventDraft
from edge.store.writer import StoreWriter

BOX = "box-7"
TOKEN = "box-token"


class RecordedEvents:
    """The daemon's ``EventRecorder.record`` in small: stores the event, and keeps it for the test."""

    def __init__(self, writer: StoreWriter) -> None:
        self._writer = writer
        self.events: list[Event] = []

    async def __call__(self, event: DeviceEvent, *, device_id: str | None = None) -> Event:
        assert is_catalogued(type(event)), type(event)
        draft = EventDraft(event.TYPE, int(event.priority), datetime.now(UTC), True, device_id, event.payload())
        event = await self._writer.append(draft)
        self.events.append(event)
        return event

    def of_type(self, type_: str) -> list[Event]:
        return [e for e in self.events if e.type == type_]


@contextlib.asynccontextmanager
async def running(poller: DownlinkPoller) -> AsyncIterator[asyncio.Task[None]]:
    """Run the poller as its own task for the block; cancel and await it after."""
    task = asyncio.create_task(poller.run(), name="downlink-poller")
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def rows(writer: StoreWriter, sql: str, *params: Any) -> list[tuple]:
    return await writer.run(lambda conn: conn.execute(sql, params).fetchall())
