"""Routes commands (from the console, the district, rules or the CLI) to device drivers.

Every command's outcome is recorded as a ``command.result`` event, so the
district sees who asked for what and whether the device did it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import structlog

from drivers.base import Command, CommandResult, Driver, HealthState
from edge.daemon.health import HealthBoard
from edge.events.types.commands import CommandOutcome
from edge.recording import EventRecorder

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class CommandRequest:
    device_id: str
    command: Command


class CommandRouter:
    def __init__(
        self, drivers: dict[str, Driver], health: HealthBoard, recorder: EventRecorder, timeout_s: float = 10.0
    ) -> None:
        self._drivers = drivers
        self._health = health
        self._recorder = recorder
        self._timeout_s = timeout_s

    async def dispatch(self, request: CommandRequest) -> CommandResult:
        result = await self._execute(request)
        await self._recorder.record(
            CommandOutcome(
                command=request.command.type,
                args=request.command.args,
                source=request.command.source,
                ok=result.ok,
                detail=result.detail,
            ),
            device_id=request.device_id,
        )
        return result

    async def _execute(self, request: CommandRequest) -> CommandResult:
        driver = self._drivers.get(request.device_id)
        if driver is None:
            return CommandResult(False, f"no device {request.device_id!r}")
        command = request.command
        if command.type not in driver.commands:
            supported = ", ".join(sorted(driver.commands)) or "none"
            return CommandResult(False, f"{driver.config.kind} does not support {command.type!r} (supports: {supported})")
        health = self._health.get(request.device_id)
        if health is not None and health.state is HealthState.OFFLINE and not command.type.startswith("sim."):
            return CommandResult(False, f"device is offline: {health.reason}")
        try:
            async with asyncio.timeout(self._timeout_s):
                return await driver.execute(command)
        except TimeoutError:
            return CommandResult(False, f"no answer within {self._timeout_s:g} s")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("command.failed", device_id=request.device_id, command=command.type, error=str(exc))
            return CommandResult(False, f"{exc.__class__.__name__}: {exc}")
