"""Each device's health as the daemon knows it: online / degraded / offline, why, since when.

The supervisor writes it; ``edge status``, the console and the district read
``HealthBoard.snapshot()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from drivers.base import HealthState
from edge.events.model import utc_rfc3339


@dataclass(slots=True)
class DeviceHealth:
    device_id: str
    kind: str
    name: str
    state: HealthState
    reason: str
    since: datetime
    last_seen: datetime | None = None
    failures: int = 0  # consecutive failed connection attempts

    def to_json(self) -> dict[str, Any]:
        return {
            "device_id": self.device_id,
            "kind": self.kind,
            "name": self.name,
            "state": self.state.value,
            "reason": self.reason,
            "since": utc_rfc3339(self.since),
            "last_seen": utc_rfc3339(self.last_seen) if self.last_seen else None,
            "failures": self.failures,
        }


class HealthBoard:
    def __init__(self) -> None:
        self._devices: dict[str, DeviceHealth] = {}

    def register(self, device_id: str, kind: str, name: str, now: datetime) -> DeviceHealth:
        health = DeviceHealth(device_id, kind, name, HealthState.OFFLINE, "starting", now)
        self._devices[device_id] = health
        return health

    def get(self, device_id: str) -> DeviceHealth | None:
        return self._devices.get(device_id)

    def snapshot(self) -> list[dict[str, Any]]:
        return [h.to_json() for h in self._devices.values()]

    def counts(self) -> dict[str, int]:
        counts = {state.value: 0 for state in HealthState}
        for health in self._devices.values():
            counts[health.state.value] += 1
        return counts
