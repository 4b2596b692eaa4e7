"""A gate or door wired to Modbus IO modules: lock relay, door-position switch, exit button.

Commands ``gate.open`` (a pulse, ``{"ms": N}`` optional), ``gate.hold_open``
and ``gate.lock`` switch the relay and return once the module acknowledged
the write. ``lock_type`` decides what the relay's state means: a fail-secure
strike opens when energised, a fail-safe maglock opens when released.

Inputs are debounced (leading edge, see :mod:`drivers.access.debounce`) and
fed to a :class:`~drivers.access.door_monitor.DoorMonitor`, which reports
forced-open and held-open doors. The exit button opens the lock itself
(``exit_opens``), offline, without a round trip through the daemon.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from drivers.access.debounce import DebouncedInput
from drivers.access.door_monitor import DoorMonitor, DoorPolicy
from drivers.base import Command, CommandResult, DeviceEvent
from drivers.capabilities import GATE_COMMANDS, Gate
from drivers.events import RelayChanged
from drivers.modbus.bus import BusError, Sample
from drivers.modbus.config import ModbusGateConfig
from drivers.modbus.device import BusDevice, active


class ModbusGate(BusDevice, Gate):
    config_model = ModbusGateConfig
    commands: ClassVar[frozenset[str]] = GATE_COMMANDS
    config: ModbusGateConfig

    def __init__(self, config, emit, clock=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(config, emit, clock)
        policy = DoorPolicy(config.held_open_after_s, config.grant_grace_ms / 1000, config.exit_grace_ms / 1000)
        self.monitor = DoorMonitor(policy, self.clock)
        self._door = DebouncedInput(config.debounce_ms / 1000)
        self._exit = DebouncedInput(config.debounce_ms / 1000)
        self._relay_lock = asyncio.Lock()
        self.relay_open = False
        self._held = False
        self._pulse_until: float | None = None

    async def connect(self) -> None:
        await super().connect()
        self._door = DebouncedInput(self.config.debounce_ms / 1000)
        self._exit = DebouncedInput(self.config.debounce_ms / 1000)
        await self._switch(False, "connect")
        inputs = [c for c in (self.config.door_sensor, self.config.exit_button) if c is not None]
        levels = await self.first_readings(inputs)
        now = self.clock.monotonic()
        if self.config.door_sensor is not None:
            door_open = levels[0]
            self._door.sample(door_open, now)  # the baseline
            if door_open != self.monitor.door_open:  # found open (or closed) while we were away
                await self._emit_all(self.monitor.door_changed(door_open, seen_at_start=True))
        if self.config.exit_button is not None:
            self._exit.sample(levels[len(inputs) - 1], now)

    async def run(self) -> None:
        while True:
            sample = await self.next_sample(self._wait_s())
            now = self.clock.monotonic()
            if sample is not None:
                await self._on_inputs(sample, now)
            await self._on_time(now)

    async def execute(self, command: Command) -> CommandResult:
        try:
            if command.type == "gate.open":
                ms = self.config.pulse_ms_from(command.args)
                if isinstance(ms, str):
                    return CommandResult(False, ms)
                await self.pulse(ms, "pulse")
                return CommandResult(True, f"open for {ms:g} ms")
            if command.type == "gate.hold_open":
                self._pulse_until, self._held = None, True
                await self._switch(True, "hold")
                return CommandResult(True, "held open")
            if command.type == "gate.lock":
                self._pulse_until, self._held = None, False
                await self._switch(False, "lock")
                return CommandResult(True, "locked")
        except BusError as exc:
            return CommandResult(False, str(exc))
        return await super().execute(command)

    async def pulse(self, ms: float, reason: str) -> None:
        if self._held:
            return  # held open: a pulse must not end the hold
        self._pulse_until = self.clock.monotonic() + ms / 1000
        await self._switch(True, reason)
        self.wake()  # the read loop may be waiting for a module that is polled once a second

    async def close(self) -> None:
        """Leave the lock locked if it may be open (best effort: the bus may be gone), then let go."""
        if (self.relay_open or self._pulse_until is not None) and self.bus is not None:
            try:
                await self.bus.write_coil(
                    self.config.relay.unit, self.config.relay.index, self.config.relay_energised(False)
                )
                self.relay_open, self._pulse_until, self._held = False, None, False
                self.monitor.relay_changed(False)
            except BusError:
                pass  # connect() locks it again when the module answers
        await super().close()

    # --- inputs and time ------------------------------------------------------

    async def _on_inputs(self, sample: Sample, now: float) -> None:
        cfg = self.config
        exit_level = active(sample, cfg.exit_button) if cfg.exit_button else None
        if exit_level is not None and self._exit.sample(exit_level, now):
            await self._exit_pressed()
        if cfg.door_sensor and (level := active(sample, cfg.door_sensor)) is not None:
            changed = self._door.sample(level, now)
            if changed is not None:
                await self._emit_all(self.monitor.door_changed(changed))

    async def _on_time(self, now: float) -> None:
        if self._door.lockout_ends() is not None and (changed := self._door.settle(now)) is not None:
            await self._emit_all(self.monitor.door_changed(changed))
        if self._exit.lockout_ends() is not None and self._exit.settle(now):
            await self._exit_pressed()
        await self._emit_all(self.monitor.tick())
        if self._pulse_until is not None and now >= self._pulse_until:
            self._pulse_until = None
            await self._switch(False, "pulse-end")

    async def _exit_pressed(self) -> None:
        await self._emit_all(self.monitor.exit_pressed())
        if self.config.exit_opens:
            await self.pulse(self.config.pulse_ms, "exit-button")

    def _wait_s(self) -> float | None:
        deadlines = [self._pulse_until, self.monitor.next_deadline(), self._door.lockout_ends(), self._exit.lockout_ends()]
        pending = [d for d in deadlines if d is not None]
        return max(0.0, min(pending) - self.clock.monotonic()) if pending else None

    # --- the relay ---------------------------------------------------------------

    async def _switch(self, open_: bool, reason: str) -> None:
        """Set the lock open or locked; the relay's level depends on the lock type."""
        assert self.bus is not None
        energise = self.config.relay_energised(open_)
        async with self._relay_lock:
            await self.bus.write_coil(self.config.relay.unit, self.config.relay.index, energise)
            changed = open_ != self.relay_open or reason == "connect"
            self.relay_open = open_
            self.monitor.relay_changed(open_)
        if changed:
            await self.emit(RelayChanged(state="open" if open_ else "locked", reason=reason))

    async def _emit_all(self, events: list[DeviceEvent]) -> None:
        for event in events:
            await self.emit(event)
