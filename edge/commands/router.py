"""Routes every command, device or box, to what runs it, and records its outcome as ``command.result``.

A device command goes to its driver — if the device exists, supports the
command and is not offline — under a timeout. A box command goes to the
handler the composition root registered for its type
(:meth:`CommandRouter.register_box_command`). Either way exactly one
``command.result`` event is recorded, with the caller's ``source`` (and no
device for a box command), so the district and the console see who asked for
what and whether it was done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import structlog

from drivers.base import CommandResult, Driver, HealthState
from edge.commands.model import BoxCommandFailed, BoxCommandRejected, CommandRequest
from edge.events.record import Record
from edge.events.types.commands import CommandOutcome

log = structlog.get_logger(__name__)

BoxCommand = Callable[[CommandRequest], Awaitable[dict[str, Any]]]


class DeviceHealth(Protocol):
    @property
    def state(self) -> HealthState: ...

    @property
    def reason(self) -> str: ...


class HealthLookup(Protocol):
    """Each device's health by id (the daemon's HealthBoard)."""

    def get(self, device_id: str) -> DeviceHealth | None: ...


class CommandRouter:
    def __init__(
        self, drivers: Mapping[str, Driver], health: HealthLookup, record: Record, timeout_s: float = 10.0
    ) -> None:
        self._drivers = drivers
        self._health = health
        self._record = record
        self._timeout_s = timeout_s
        self._box: dict[str, BoxCommand] = {}

    def register_box_command(self, type_: str, handler: BoxCommand) -> None:
        if type_ in self._box:
            raise ValueError(f"box command {type_!r} is registered already")
        self._box[type_] = handler

    @property
    def box_command_types(self) -> list[str]:
        return sorted(self._box)

    def device_command_types(self) -> set[str]:
        """Every command type some device supports."""
        return {t for driver in self._drivers.values() for t in driver.commands}

    def has_device(self, device_id: str) -> bool:
        return device_id in self._drivers

    async def dispatch(self, request: CommandRequest) -> CommandResult:
        """Run ``request``, record its ``command.result`` and return it.

        Raises BoxCommandRejected — after recording the refusal — when a box command finds its
        arguments wrong, so that an HTTP entry point can answer 400.
        """
        if request.is_box_command:
            return await self._box_command(request)  # records the result itself
        result = await self._device_command(request)
        await self._record_result(request, result)
        return result

    async def _record_result(self, request: CommandRequest, result: CommandResult) -> None:
        await self._record(
            CommandOutcome(
                command=request.type,
                args=request.args,
                source=request.caller.source,
                ok=result.ok,
                detail=result.detail,
            ),
            device_id=request.device_id,
        )

    async def _box_command(self, request: CommandRequest) -> CommandResult:
        try:
            result = await self._run_box_command(request)
        except BoxCommandRejected as exc:
            await self._record_result(request, CommandResult(False, str(exc)))
            raise
        await self._record_result(request, result)
        return result

    async def _run_box_command(self, request: CommandRequest) -> CommandResult:
        handler = self._box.get(request.type)
        if handler is None:
            known = ", ".join(self.box_command_types) or "none"
            return CommandResult(False, f"no box command {request.type!r} (known: {known})")
        try:
            return CommandResult(True, "done", await handler(request))
        except BoxCommandRejected:
            raise
        except ValueError as exc:  # the handler found its arguments wrong
            raise BoxCommandRejected(str(exc)) from exc
        except BoxCommandFailed as exc:
            return CommandResult(False, str(exc))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("command.failed", command=request.type, error=str(exc))
            return CommandResult(False, f"{exc.__class__.__name__}: {exc}")

    async def _device_command(self, request: CommandRequest) -> CommandResult:
        assert request.device_id is not None
        driver = self._drivers.get(request.device_id)
        if driver is None:
            return CommandResult(False, f"no device {request.device_id!r}")
        if request.type not in driver.commands:
            supported = ", ".join(sorted(driver.commands)) or "none"
            return CommandResult(False, f"{driver.config.kind} does not support {request.type!r} (supports: {supported})")
        health = self._health.get(request.device_id)
        if health is not None and health.state is HealthState.OFFLINE and not request.type.startswith("sim."):
            return CommandResult(False, f"device is offline: {health.reason}")
        try:
            async with asyncio.timeout(self._timeout_s):
                return await driver.execute(request.for_driver())
        except TimeoutError:
            return CommandResult(False, f"no answer within {self._timeout_s:g} s")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("command.failed", device_id=request.device_id, command=request.type, error=str(exc))
            return CommandResult(False, f"{exc.__class__.__name__}: {exc}")
