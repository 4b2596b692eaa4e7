"""A device's health as its supervisor sees it: online, degraded, offline (edge/daemon/supervisor.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from drivers.base import DeviceEvent, Priority


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceOnline(DeviceEvent):
    """A device is working: its driver connected, or its health probe is good again."""

    TYPE: ClassVar[str] = "device.online"
    PRIORITY: ClassVar[Priority] = Priority.DEVICE_STATUS
    reason: str
    kind: str  # the driver's kind, e.g. "modbus.sos"


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceDegraded(DeviceEvent):
    """A device still works but its health probe reports a problem (reason)."""

    TYPE: ClassVar[str] = "device.degraded"
    PRIORITY: ClassVar[Priority] = Priority.DEVICE_STATUS
    reason: str
    kind: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceOffline(DeviceEvent):
    """A device cannot be reached or failed (reason); its supervisor keeps reconnecting.

    Its priority is the driver's ``offline_priority``, passed as
    ``offline_priority`` (not part of the data): an SOS button nobody can
    read is itself a life-safety matter.
    """

    TYPE: ClassVar[str] = "device.offline"
    PRIORITY: ClassVar[Priority] = Priority.DEVICE_STATUS
    PRIORITIES: ClassVar[tuple[Priority, ...]] = tuple(Priority)
    PRIORITY_RULE: ClassVar[str] = "the driver's offline_priority (0 LIFE_SAFETY for an SOS button)"
    _META: ClassVar[frozenset[str]] = DeviceEvent._META | {"offline_priority"}
    reason: str
    kind: str
    offline_priority: Priority = Priority.DEVICE_STATUS

    def __post_init__(self) -> None:
        if not isinstance(self.offline_priority, Priority):
            raise TypeError(f"offline_priority must be a Priority, not {self.offline_priority!r}")

    @property
    def priority(self) -> Priority:
        return self.offline_priority
