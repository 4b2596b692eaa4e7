"""Simulated devices: the demo site's hardware, and the tests' stand-in for it.

Each simulated driver looks to the daemon like its real counterpart (same
events, same commands) and adds ``sim.*`` commands that play the part of the
world: someone opening a door, pressing a button, pulling a cable out.

This module holds what they share, :class:`SimDriver`:

* **Unplugging.** After ``unplug()`` (or the ``sim.unplug`` command) ``run``
  raises ``DriverError("unplugged (simulated)")`` promptly, ``connect`` raises
  the same until ``replug()``, ``probe`` says OFFLINE, and every command other
  than ``sim.unplug``/``sim.replug`` answers ``CommandResult(False, "offline")``.
  Both work whether or not the driver is connected.
* **A timeline.** Things that happen later (a relay pulse ending, a clip
  finishing) are scheduled with ``_schedule(key, delay_s, action)`` and carried
  out by ``run`` (``_run_timeline``), on ``self.clock``: no stray tasks, and a
  fake clock drives them in tests. Nothing fires while ``run`` is not going;
  what fell due meanwhile fires as soon as it runs again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import ClassVar, NoReturn

from drivers.base import (
    Clock,
    Command,
    CommandResult,
    Driver,
    DriverConfig,
    DriverError,
    Emit,
    HealthState,
    Probe,
)
from drivers.timing import wait_event

PLUG_COMMANDS: frozenset[str] = frozenset({"sim.unplug", "sim.replug"})
UNPLUGGED = "unplugged (simulated)"

Action = Callable[[], Awaitable[None]]


class SimDriver(Driver):
    """Base of the simulated drivers: unplug/replug and the timeline (see the module docs)."""

    commands: ClassVar[frozenset[str]] = PLUG_COMMANDS

    def __init__(self, config: DriverConfig, emit: Emit, clock: Clock | None = None) -> None:
        if not isinstance(config, self.config_model):
            raise TypeError(f"{type(self).__name__} needs a {self.config_model.__name__}, not {type(config).__name__}")
        super().__init__(config, emit, clock)
        self._unplugged = False
        self._wake = asyncio.Event()
        self._timers: dict[str, tuple[float, Action]] = {}

    # --- unplugging ----------------------------------------------------------

    @property
    def unplugged(self) -> bool:
        return self._unplugged

    def unplug(self) -> None:
        """Pull the simulated cable: ``run`` raises promptly, ``connect`` fails until :meth:`replug`."""
        if not self._unplugged:
            self._unplugged = True
            self._on_unplug()
            self._wake.set()

    def replug(self) -> None:
        """Put the cable back; the supervisor's next ``connect`` succeeds."""
        self._unplugged = False

    def _on_unplug(self) -> None:
        """What the device does when it loses its link and power (subclasses)."""

    def _raise_if_failed(self) -> None:
        """Raise DriverError if the device cannot work now; subclasses add their own reasons."""
        if self._unplugged:
            raise DriverError(UNPLUGGED)

    async def connect(self) -> None:
        self._raise_if_failed()

    async def probe(self) -> Probe:
        if self._unplugged:
            return Probe(HealthState.OFFLINE, UNPLUGGED)
        return Probe(HealthState.ONLINE)

    # --- commands ------------------------------------------------------------

    async def execute(self, command: Command) -> CommandResult:
        if command.type == "sim.unplug":
            self.unplug()
            return CommandResult(True, "unplugged")
        if command.type == "sim.replug":
            self.replug()
            return CommandResult(True, "plugged in")
        if command.type not in self.commands:
            return await super().execute(command)
        if self._unplugged:
            return CommandResult(False, "offline")
        return await self._handle(command)

    async def _handle(self, command: Command) -> CommandResult:
        """Carry out one of ``commands`` (not unplug/replug) while plugged in; subclasses override."""
        return await super().execute(command)

    # --- the timeline --------------------------------------------------------

    def _schedule(self, key: str, delay_s: float, action: Action) -> None:
        """Have ``run`` await ``action()`` once ``delay_s`` has passed; replaces an earlier ``key``."""
        self._timers[key] = (self.clock.monotonic() + max(0.0, delay_s), action)
        self._wake.set()

    def _cancel(self, *keys: str) -> None:
        for key in keys:
            self._timers.pop(key, None)

    def _scheduled(self, key: str) -> bool:
        return key in self._timers

    async def _run_timeline(self) -> NoReturn:
        """Carry out scheduled actions as they fall due; raise once the device fails."""
        while True:
            self._raise_if_failed()
            self._wake.clear()
            key = min(self._timers, key=lambda k: self._timers[k][0], default=None)
            if key is None:
                await self._wake.wait()
                continue
            due_at, action = self._timers[key]
            delay = due_at - self.clock.monotonic()
            if delay > 0:
                await wait_event(self._wake, self.clock, delay)
                continue
            del self._timers[key]
            await action()
