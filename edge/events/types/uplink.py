"""Events of the uplink to the district (edge/uplink/)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from drivers.base import DeviceEvent, Priority


@dataclass(frozen=True, slots=True, kw_only=True)
class EventsDropped(DeviceEvent):
    """A run of events left the outbox unsent (past their TTL, or over the byte cap): the gap, announced."""

    TYPE: ClassVar[str] = "events.dropped"
    PRIORITY: ClassVar[Priority] = Priority.SECURITY
    from_seq: int
    to_seq: int
    count: int
    types: list[str]  # the event types among them
    reason: str  # "ttl" | "cap"
