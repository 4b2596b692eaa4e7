"""A one-key SOS button on a Modbus IO module's dry-contact input.

A press is reported at the first poll that sees it (``sos.pressed``,
priority 0), its release with how long it was held. A button already pressed
when the driver connects is reported too: someone may be calling for help.
Its ``offline_priority`` is life-safety: a button that cannot be read is a
place where nobody can call for help.
"""

from __future__ import annotations

from typing import ClassVar

import structlog

from drivers.access.debounce import DebouncedInput
from drivers.base import Priority
from drivers.capabilities import SosInput
from drivers.events import SosPressed, SosReleased
from drivers.modbus.config import ModbusSosConfig
from drivers.modbus.device import BusDevice, active

log = structlog.get_logger(__name__)


class ModbusSosButton(BusDevice, SosInput):
    config_model = ModbusSosConfig
    offline_priority: ClassVar[Priority] = Priority.LIFE_SAFETY
    config: ModbusSosConfig

    def __init__(self, config, emit, clock=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(config, emit, clock)
        self._input = DebouncedInput(config.debounce_ms / 1000)
        self._pressed_at: float | None = None

    async def connect(self) -> None:
        await super().connect()
        self._input = DebouncedInput(self.config.debounce_ms / 1000)
        (pressed,) = (await self.first_readings([self.config.input])).values()
        now = self.clock.monotonic()
        self._input.sample(pressed, now)  # the baseline
        if pressed and self._pressed_at is None:
            log.warning("sos.pressed_at_start", device_id=self.device_id)
            await self._report(True, now)
        elif not pressed and self._pressed_at is not None:  # released while we could not see it
            await self._report(False, now)

    async def run(self) -> None:
        while True:
            wait = self._input.lockout_ends()
            sample = await self.next_sample(None if wait is None else max(0.0, wait - self.clock.monotonic()))
            now = self.clock.monotonic()
            level = active(sample, self.config.input) if sample is not None else None
            changed = self._input.sample(level, now) if level is not None else self._input.settle(now)
            if changed is not None:
                await self._report(changed, now)

    async def _report(self, pressed: bool, now: float) -> None:
        """Emit, and only then remember: a press the store could not take is reported again at reconnect."""
        if pressed:
            await self.emit(SosPressed())
            self._pressed_at = now
        else:
            held = now - self._pressed_at if self._pressed_at is not None else 0.0
            await self.emit(SosReleased(held_s=round(held, 3)))
            self._pressed_at = None
