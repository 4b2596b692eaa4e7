"""A small real :class:`edge.api.box.Box` for the API servers' tests: the real command router over scripted devices.

Commands go through :class:`edge.commands.CommandRouter` as in the daemon, so
what a test sees is what the daemon would do: which device ran which command
(``SmallBox.executed``, with the source the driver was handed) and the
``command.result`` recorded for it (``SmallBox.recorded``). Devices are online
unless a test marks them offline; ``status()`` is canned, since the daemon's own
status is tested with the daemon.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from drivers.base import Command, CommandResult, DeviceEvent, Driver, DriverConfig, HealthState
from edge.commands import CommandRouter
from edge.daemon.health import HealthBoard
from edge.store.media import MediaStore

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


async def _no_emit(_event: DeviceEvent) -> None:
    raise AssertionError("scripted devices emit nothing")


class ScriptedDevice(Driver):
    """A device that does at once whatever it supports, answers ``opened``, and remembers what it was asked."""

    config_model = DriverConfig

    def __init__(self, device_id: str, commands: frozenset[str], executed: list[tuple[str, Command]]) -> None:
        super().__init__(DriverConfig(kind="test.scripted", id=device_id), _no_emit)
        self.commands = commands  # type: ignore[misc]  # per instance here; a ClassVar in real drivers
        self._executed = executed

    async def run(self) -> None:
        await asyncio.Event().wait()

    async def execute(self, command: Command) -> CommandResult:
        self._executed.append((self.device_id, command))
        return CommandResult(True, "opened", {"relay": 1})


@dataclass(frozen=True)
class Recorded:
    type: str
    priority: int
    data: dict[str, Any]
    device_id: str | None


@dataclass
class SmallBox:
    store_path: Path
    media: MediaStore
    box_token: SecretStr | None
    status_body: dict[str, Any]
    devices: Mapping[str, frozenset[str]] = field(default_factory=dict)
    recorded: list[Recorded] = field(default_factory=list, init=False)
    executed: list[tuple[str, Command]] = field(default_factory=list, init=False)  # (device id, command)
    health: HealthBoard = field(default_factory=HealthBoard, init=False)
    drivers: dict[str, ScriptedDevice] = field(init=False)
    commands: CommandRouter = field(init=False)

    def __post_init__(self) -> None:
        self.drivers = {
            device_id: ScriptedDevice(device_id, types, self.executed) for device_id, types in self.devices.items()
        }
        for device_id in self.drivers:
            self.health.register(device_id, "test.scripted", "", T0).state = HealthState.ONLINE
        self.commands = CommandRouter(self.drivers, self.health, self._record)

    def status(self) -> dict[str, Any]:
        return self.status_body

    def offline(self, device_id: str, reason: str) -> None:
        health = self.health.get(device_id)
        assert health is not None
        health.state, health.reason = HealthState.OFFLINE, reason

    async def _record(self, event: DeviceEvent, *, device_id: str | None = None, **_: Any) -> None:
        self.recorded.append(Recorded(event.TYPE, int(event.priority), event.payload(), device_id))
