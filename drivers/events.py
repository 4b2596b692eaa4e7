"""The typed events drivers emit, grouped by device family.

Each class names its wire ``TYPE`` and ``PRIORITY`` once; its fields are the
event's data; its docstring's first line is its meaning in the event catalogue
(``edge/events/catalogue.py``, which lists these beside the daemon's own
events). Grep for a type string and you land here.
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
    """A gate's lock relay switched open or locked, and why (pulse, hold, lock, pulse-end)."""

    TYPE: ClassVar[str] = "gate.relay"
    PRIORITY: ClassVar[Priority] = Priority.ROUTINE
    state: str  # "open" | "locked"
    reason: str = ""  # "pulse", "hold", "lock", "pulse-end"


@_event
class DoorOpened(DeviceEvent):
    """A door's switch reports the door open."""

    TYPE: ClassVar[str] = "door.opened"
    PRIORITY: ClassVar[Priority] = Priority.ROUTINE


@_event
class DoorClosed(DeviceEvent):
    """A door closed again, after standing open for open_s seconds."""

    TYPE: ClassVar[str] = "door.closed"
    PRIORITY: ClassVar[Priority] = Priority.ROUTINE
    open_s: float = 0.0


@_event
class DoorForcedOpen(DeviceEvent):
    """A door opened while locked, with no grant and no exit-button press: forced, or the lock failed."""

    TYPE: ClassVar[str] = "door.forced_open"
    PRIORITY: ClassVar[Priority] = Priority.SECURITY


@_event
class DoorHeldOpen(DeviceEvent):
    """A door has stood open longer than allowed (for open_s seconds so far)."""

    TYPE: ClassVar[str] = "door.held_open"
    PRIORITY: ClassVar[Priority] = Priority.SECURITY
    open_s: float


@_event
class ExitButtonPressed(DeviceEvent):
    """Someone pressed the exit button inside a door."""

    TYPE: ClassVar[str] = "door.exit_pressed"
    PRIORITY: ClassVar[Priority] = Priority.ROUTINE


# --- SOS buttons -----------------------------------------------------------


@_event
class SosPressed(DeviceEvent):
    """A one-key SOS button was pressed: someone asks for help."""

    TYPE: ClassVar[str] = "sos.pressed"
    PRIORITY: ClassVar[Priority] = Priority.LIFE_SAFETY


@_event
class SosReleased(DeviceEvent):
    """An SOS button was let go, after being held for held_s seconds."""

    TYPE: ClassVar[str] = "sos.released"
    PRIORITY: ClassVar[Priority] = Priority.ROUTINE
    held_s: float = 0.0


# --- cameras ---------------------------------------------------------------


@_event
class CameraStreamStats(DeviceEvent):
    """A camera's periodic report of what it delivered: frames, frames dropped, frames per second."""

    TYPE: ClassVar[str] = "camera.stats"
    PRIORITY: ClassVar[Priority] = Priority.ROUTINE
    frames: int
    dropped: int
    fps: float


# --- speakers --------------------------------------------------------------


@_event
class SpeakerPlayed(DeviceEvent):
    """A speaker played something, or failed to: what, for how long, and the result (ok, or what went wrong)."""

    TYPE: ClassVar[str] = "speaker.played"
    PRIORITY: ClassVar[Priority] = Priority.ROUTINE
    what: str
    duration_s: float
    result: str = "ok"
