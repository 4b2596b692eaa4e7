"""Events of the daemon's own life: started, stopped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from drivers.base import DeviceEvent, Priority


@dataclass(frozen=True, slots=True, kw_only=True)
class DaemonStarted(DeviceEvent):
    """The daemon started: its version, process id and how many devices it runs."""

    TYPE: ClassVar[str] = "daemon.started"
    PRIORITY: ClassVar[Priority] = Priority.DEVICE_STATUS
    version: str
    pid: int
    devices: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DaemonStopped(DeviceEvent):
    """The daemon stopped cleanly (a crash leaves no such event: the next start follows a start)."""

    TYPE: ClassVar[str] = "daemon.stopped"
    PRIORITY: ClassVar[Priority] = Priority.DEVICE_STATUS
    version: str
