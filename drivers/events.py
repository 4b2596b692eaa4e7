"""The typed events drivers emit, grouped by device family.

Each class names its wire ``TYPE`` and ``PRIORITY`` once; its fields are the
event's data. Grep for a type string and you land here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from drivers.base import DeviceEvent, Priority


def _event(cls: type[DeviceEvent]) -> type[DeviceEvent]:
    return dataclass(frozen=True, slots=True, kw_only=True)(cls)


# --- gates and doors -------------------------------------------------------


@_event
class RelayChanged(DeviceEvent):
    TYPE: ClassVar[str] = "gate.relay"
    PRIORITY: ClassVar[Priority] = Priority.ROUTINE
    state: str  # "open" | "locked"
    reason: str = ""  # "pulse", "hold", "lock", "pulse-end"


@_event
class DoorOpened(DeviceEvent):
    TYPE: ClassVar[str] = "door.opened"
    PRIORITY: ClassVar[Priority] = Priority.ROUTINE


@_event
class DoorClosed(DeviceEvent):
    TYPE: ClassVar[str] = "door.closed"
    PRIORITY: ClassVar[Priority] = Priority.ROUTINE
    open_s: float = 0.0


@_event
class DoorForcedOpen(DeviceEvent):
    TYPE: ClassVar[str] = "door.forced_open"
    PRIORITY: ClassVar[Priority] = Priority.SECURITY


@_event
class DoorHeldOpen(DeviceEvent):
    TYPE: ClassVar[str] = "door.held_open"
    PRIORITY: ClassVar[Priority] = Priority.SECURITY
    open_s: float


@_event
class ExitButtonPressed(DeviceEvent):
    TYPE: ClassVar[str] = "door.exit_pressed"
    PRIORITY: ClassVar[Priority] = Priority.ROUTINE


# --- SOS buttons -----------------------------------------------------------


@_event
class SosPressed(DeviceEvent):
    TYPE: ClassVar[str] = "sos.pressed"
    PRIORITY: ClassVar[Priority] = Priority.LIFE_SAFETY


@_event
class SosReleased(DeviceEvent):
    TYPE: ClassVar[str] = "sos.released"
    PRIORITY: ClassVar[Priority] = Priority.ROUTINE
    held_s: float = 0.0


# --- cameras ---------------------------------------------------------------


@_event
class CameraStreamStats(DeviceEvent):
    """Periodic report of what a camera delivered (frames, drops, fps)."""

    TYPE: ClassVar[str] = "camera.stats"
    PRIORITY: ClassVar[Priority] = Priority.ROUTINE
    frames: int
    dropped: int
    fps: float


# --- speakers --------------------------------------------------------------


@_event
class SpeakerPlayed(DeviceEvent):
    TYPE: ClassVar[str] = "speaker.played"
    PRIORITY: ClassVar[Priority] = Priority.ROUTINE
    what: str
    duration_s: float
    result: str = "ok"
