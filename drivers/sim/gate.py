"""A simulated gate: lock relay, door-position sensor and exit button.

The relay either holds the lock (``locked``) or releases it (``open``).
``gate.open`` pulses it open for ``pulse_ms`` (or ``{"ms": N}``),
``gate.hold_open`` keeps it open, ``gate.lock`` ends either. Without power
(unplugged, or the driver closed) the relay falls to ``fail_mode``: a
``secure`` lock stays locked, a ``safe`` one (a maglock) opens; ``connect``
powers it again, locked, and ``run`` reports the change if the daemon was last
told something else.

With ``walk_through`` someone uses every pulse: the door opens
``walk_open_delay_ms`` after it and closes ``walk_close_after_ms`` later.
``sim.door_open``/``sim.door_close`` move the door by hand (a door opened
while locked is how you simulate forcing it) and ``sim.exit_press`` presses
the exit button. Unplugging drops a walk-through that has not started; one
that has still closes the door.

Only raw events come out (RelayChanged, DoorOpened, DoorClosed,
ExitButtonPressed); deciding that a door was forced or held open, or opening
the gate for the exit button, is the daemon's job.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from drivers.access.gate_config import PulseSettings
from drivers.base import Clock, Command, CommandResult, DriverConfig, Emit
from drivers.capabilities import GATE_COMMANDS, Gate
from drivers.events import DoorClosed, DoorOpened, ExitButtonPressed, RelayChanged
from drivers.sim import PLUG_COMMANDS, SimDriver


class SimGateConfig(PulseSettings):
    kind: Literal["sim.gate"] = "sim.gate"
    fail_mode: Literal["secure", "safe"] = Field(
        "secure", title="Without power",
        description="secure: the lock stays locked without power (fail-secure strike); "
        "safe: it opens (fail-safe, e.g. a maglock).",
    )
    walk_through: bool = Field(
        True, title="Simulate someone walking through",
        description="After each pulse the door opens and closes again by itself.",
    )
    walk_open_delay_ms: int = Field(
        1500, ge=0, le=60_000, title="Door opens after (ms)",
        description="Walk-through: time from the pulse to the door opening.",
    )
    walk_close_after_ms: int = Field(
        4000, ge=0, le=600_000, title="Door closes after (ms)",
        description="Walk-through: how long the door stays open.",
    )



class SimGate(SimDriver, Gate):
    config_model = SimGateConfig
    commands: ClassVar[frozenset[str]] = PLUG_COMMANDS | GATE_COMMANDS | {
        "sim.door_open", "sim.door_close", "sim.exit_press",
    }
    config: SimGateConfig

    def __init__(self, config: DriverConfig, emit: Emit, clock: Clock | None = None) -> None:
        super().__init__(config, emit, clock)
        self._relay = "locked"  # what the lock does now: "open" | "locked"
        self._reported = "locked"  # what the daemon was last told
        self._held = False
        self._door_opened_at: float | None = None  # monotonic; None: closed

    @property
    def relay_state(self) -> str:
        """``"open"`` or ``"locked"``: what the lock physically does now."""
        return self._relay

    @property
    def door_is_open(self) -> bool:
        return self._door_opened_at is not None

    # --- life cycle ----------------------------------------------------------

    async def connect(self) -> None:
        await super().connect()
        self._relay = "locked"  # powered and at rest

    async def run(self) -> None:
        self._raise_if_failed()
        if self._relay != self._reported:
            await self._report_relay(self._relay, "connect")
        await self._run_timeline()

    async def close(self) -> None:
        self._power_off()

    def _on_unplug(self) -> None:
        self._power_off()

    def _power_off(self) -> None:
        self._cancel("pulse", "walk.open")
        self._held = False
        self._relay = "locked" if self.config.fail_mode == "secure" else "open"

    # --- commands ------------------------------------------------------------

    async def _handle(self, command: Command) -> CommandResult:
        match command.type:
            case "gate.open":
                return await self._pulse(command.args)
            case "gate.hold_open":
                return await self._hold_open()
            case "gate.lock":
                return await self._lock()
            case "sim.door_open":
                self._cancel("walk.open")
                return CommandResult(True, "door opened" if await self._open_door() else "door was open")
            case "sim.door_close":
                self._cancel("walk.open", "walk.close")
                return CommandResult(True, "door closed" if await self._close_door() else "door was closed")
            case "sim.exit_press":
                await self.emit(ExitButtonPressed(occurred_at=self.clock.now()))
                return CommandResult(True, "exit button pressed")
        return await super()._handle(command)

    async def _pulse(self, args: dict[str, Any]) -> CommandResult:
        ms = self.config.pulse_ms_from(args)
        if isinstance(ms, str):
            return CommandResult(False, ms)
        if self._held:
            return CommandResult(True, "held open already")
        self._schedule("pulse", ms / 1000, self._end_pulse)
        if self.config.walk_through and not self.door_is_open:
            self._schedule("walk.open", self.config.walk_open_delay_ms / 1000, self._walk_in)
        if self._relay != "open":
            self._relay = "open"
            await self._report_relay("open", "pulse")
        return CommandResult(True, f"open for {ms:g} ms")

    async def _hold_open(self) -> CommandResult:
        self._cancel("pulse")
        if self._held:
            return CommandResult(True, "held open already")
        self._held, self._relay = True, "open"
        await self._report_relay("open", "hold")
        return CommandResult(True, "held open")

    async def _lock(self) -> CommandResult:
        self._cancel("pulse", "walk.open")
        self._held = False
        if self._relay == "locked":
            return CommandResult(True, "locked already")
        self._relay = "locked"
        await self._report_relay("locked", "lock")
        return CommandResult(True, "locked")

    # --- timeline actions and the door ----------------------------------------

    async def _end_pulse(self) -> None:
        if self._relay == "open" and not self._held:
            self._relay = "locked"
            await self._report_relay("locked", "pulse-end")

    async def _walk_in(self) -> None:
        if await self._open_door():
            self._schedule("walk.close", self.config.walk_close_after_ms / 1000, self._walk_out)

    async def _walk_out(self) -> None:
        await self._close_door()

    async def _open_door(self) -> bool:
        if self._door_opened_at is not None:
            return False
        self._door_opened_at = self.clock.monotonic()
        await self.emit(DoorOpened(occurred_at=self.clock.now()))
        return True

    async def _close_door(self) -> bool:
        opened_at, self._door_opened_at = self._door_opened_at, None
        if opened_at is None:
            return False
        open_s = round(self.clock.monotonic() - opened_at, 3)
        await self.emit(DoorClosed(open_s=open_s, occurred_at=self.clock.now()))
        return True

    async def _report_relay(self, state: str, reason: str) -> None:
        self._reported = state
        await self.emit(RelayChanged(state=state, reason=reason, occurred_at=self.clock.now()))
