"""What a producer of events is handed: the :class:`Record` signature of ``EventRecorder.record``.

Services take a ``Record`` rather than the recorder itself, so they can be
tested with a small fake and need no import of the recording package.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from drivers.base import DeviceEvent
from edge.events.model import Event


class Record(Protocol):
    async def __call__(
        self, event: DeviceEvent, *, device_id: str | None = None, occurred_at: datetime | None = None
    ) -> Event:
        """Store ``event`` (a catalogue class), then announce it; return the stored event."""
        ...
