"""Turns what drivers and the daemon report into stored events.

``EventRecorder.record(event)`` takes an event object of a catalogue class
(:mod:`edge.events.catalogue`; any other class is refused with TypeError):
it stamps it with its time and the clock's state, stores its media, awaits
the commit, and only then announces the stored event on the bus.
``emitter_for(device_id)`` is the ``emit`` handed to a driver: ``record``
with the device's id.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable
from datetime import datetime
from pathlib import PurePath
from typing import Any

from drivers.base import Clock, DeviceEvent, Emit, MediaBlob
from edge.events.bus import EventBus
from edge.events.catalogue import is_catalogued
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

    def emitter_for(self, device_id: str, on_emit: Callable[[], None] | None = None) -> Emit:
        async def emit(event: DeviceEvent) -> None:
            await self.record(event, device_id=device_id)
            if on_emit is not None:
                on_emit()

        return emit

    async def record(
        self, event: DeviceEvent, *, device_id: str | None = None, occurred_at: datetime | None = None
    ) -> Event:
        """Store ``event`` and announce it; return the stored event.

        It happened at ``occurred_at``, else at the event's own
        ``occurred_at``, else now. Its ``media`` are stored first (a
        :class:`~drivers.base.MediaBlob`), or are already (a
        :class:`~edge.events.model.MediaRef`).
        """
        if not is_catalogued(type(event)):
            raise TypeError(
                f"{type(event).__qualname__} is not in the event catalogue (edge/events/catalogue.py)"
            )
        media = await self._store_media(event)
        draft = EventDraft(
            type=event.TYPE,
            priority=int(event.priority),
            occurred_at=occurred_at or event.occurred_at or self._clock.now(),
            clock_synced=self._sync.synced(),
            device_id=device_id,
            data=plain(event.payload()),
            media=media,
        )
        stored = await self._writer.append(draft)
        self._bus.publish(stored)
        return stored

    async def _store_media(self, event: DeviceEvent) -> tuple[MediaRef, ...]:
        refs = []
        for item in event.media:
            if isinstance(item, MediaRef):  # stored already, by the service that made it
                refs.append(item)
                continue
            refs.append(await self._store_blob(event, item))
        return tuple(refs)

    async def _store_blob(self, event: DeviceEvent, blob: MediaBlob) -> MediaRef:
        if blob.data is not None:
            data = blob.data
        elif blob.path is not None:
            data = await asyncio.to_thread(blob.path.read_bytes)
        else:
            raise ValueError(f"{event.TYPE}: media blob has neither data nor path")
        return await asyncio.to_thread(self._media.put_bytes, data, kind=blob.kind, content_type=blob.content_type)


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
