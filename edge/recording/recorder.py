"""Turns what drivers and the daemon report into stored events.

``EventRecorder.emitter_for(device_id)`` is the ``emit`` handed to a driver:
it stamps the event with its id, time and clock state, stores its media,
awaits the commit, and only then announces it on the bus.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Mapping
from datetime import datetime
from pathlib import PurePath
from typing import Any

from drivers.base import Clock, DeviceEvent, Emit
from edge.events.bus import EventBus
from edge.events.model import Event, EventDraft, MediaRef, utc_rfc3339
from edge.store.media import MediaStore
from edge.store.writer import StoreWriter
from edge.timesync import ClockSync


class EventRecorder:
    def __init__(
        self, writer: StoreWriter, media: MediaStore, bus: EventBus, clock: Clock, sync: ClockSync
    ) -> None:
        self._writer = writer
        self._media = media
        self._bus = bus
        self._clock = clock
        self._sync = sync

    def clock_synced(self) -> bool:
        return self._sync.synced()

    def emitter_for(self, device_id: str, on_emit: Any = None) -> Emit:
        async def emit(event: DeviceEvent) -> None:
            await self.record_device_event(device_id, event)
            if on_emit is not None:
                on_emit()

        return emit

    async def record_device_event(self, device_id: str | None, event: DeviceEvent) -> Event:
        media = await self._store_media(event)
        return await self.record(
            event.TYPE, int(event.PRIORITY), event.payload(),
            device_id=device_id, occurred_at=event.occurred_at, media=media,
        )

    async def record(
        self,
        type_: str,
        priority: int,
        data: Mapping[str, Any],
        *,
        device_id: str | None = None,
        occurred_at: datetime | None = None,
        media: tuple[MediaRef, ...] = (),
    ) -> Event:
        draft = EventDraft(
            type=type_,
            priority=priority,
            occurred_at=occurred_at or self._clock.now(),
            clock_synced=self._sync.synced(),
            device_id=device_id,
            data=plain(dict(data)),
            media=media,
        )
        stored = await self._writer.append(draft)
        self._bus.publish(stored)
        return stored

    async def _store_media(self, event: DeviceEvent) -> tuple[MediaRef, ...]:
        refs = []
        for blob in event.media:
            if blob.data is not None:
                data = blob.data
            elif blob.path is not None:
                data = await asyncio.to_thread(blob.path.read_bytes)
            else:
                raise ValueError(f"{event.TYPE}: media blob has neither data nor path")
            refs.append(await asyncio.to_thread(
                self._media.put_bytes, data, kind=blob.kind, content_type=blob.content_type
            ))
        return tuple(refs)


def plain(value: Any) -> Any:
    """Make a payload JSON-ready: datetimes as RFC 3339, enums by value, paths as text."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return utc_rfc3339(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, PurePath):
        return str(value)
    return value
