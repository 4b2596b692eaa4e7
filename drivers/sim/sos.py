"""A simulated SOS button.

``sim.press`` and ``sim.release`` play the person at the button; the driver
emits SosPressed and SosReleased (with how long it was held). With
``press_every_s`` set (the demo site) someone presses it that often and lets
go after ``hold_s``. While unplugged nobody hears the button, which is why an
unreachable SOS button is itself a life-safety condition
(``offline_priority``); a press still held when the cable went is released,
late, once it is back.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from drivers.base import Clock, Command, CommandResult, DriverConfig, Emit, Priority
from drivers.capabilities import SosInput
from drivers.events import SosPressed, SosReleased
from drivers.sim import PLUG_COMMANDS, SimDriver


class SimSosConfig(DriverConfig):
    kind: Literal["sim.sos"] = "sim.sos"
    press_every_s: float | None = Field(
        None, ge=5, le=86_400, title="Pressed every (s)",
        description="Demo: someone presses the button this often. Empty: only when told (sim.press).",
    )
    hold_s: float = Field(
        1.0, gt=0, le=600, title="Held for (s)",
        description="How long each of those periodic presses lasts.",
    )

    @model_validator(mode="after")
    def _hold_shorter_than_period(self) -> SimSosConfig:
        if self.press_every_s is not None and self.hold_s >= self.press_every_s:
            raise ValueError("hold_s must be shorter than press_every_s")
        return self


class SimSosButton(SimDriver, SosInput):
    config_model = SimSosConfig
    commands: ClassVar[frozenset[str]] = PLUG_COMMANDS | {"sim.press", "sim.release"}
    offline_priority: ClassVar[Priority] = Priority.LIFE_SAFETY
    config: SimSosConfig

    def __init__(self, config: DriverConfig, emit: Emit, clock: Clock | None = None) -> None:
        super().__init__(config, emit, clock)
        self._pressed_at: float | None = None  # monotonic; None: not pressed

    @property
    def pressed(self) -> bool:
        return self._pressed_at is not None

    async def run(self) -> None:
        self._raise_if_failed()
        if self.config.press_every_s is not None and not self._scheduled("auto.press"):
            self._schedule("auto.press", self.config.press_every_s, self._auto_press)
        await self._run_timeline()

    async def _handle(self, command: Command) -> CommandResult:
        match command.type:
            case "sim.press":
                return CommandResult(True, "pressed" if await self._press() else "pressed already")
            case "sim.release":
                self._cancel("auto.release")
                held_s = await self._release()
                return CommandResult(True, "not pressed" if held_s is None else f"released after {held_s:g} s")
        return await super()._handle(command)

    async def _auto_press(self) -> None:
        every_s = self.config.press_every_s
        if every_s is None:
            return
        self._schedule("auto.press", every_s, self._auto_press)
        if await self._press():
            self._schedule("auto.release", self.config.hold_s, self._auto_release)

    async def _auto_release(self) -> None:
        await self._release()

    async def _press(self) -> bool:
        if self._pressed_at is not None:
            return False
        self._pressed_at = self.clock.monotonic()
        await self.emit(SosPressed(occurred_at=self.clock.now()))
        return True

    async def _release(self) -> float | None:
        pressed_at, self._pressed_at = self._pressed_at, None
        if pressed_at is None:
            return None
        held_s = round(self.clock.monotonic() - pressed_at, 3)
        await self.emit(SosReleased(held_s=held_s, occurred_at=self.clock.now()))
        return held_s
