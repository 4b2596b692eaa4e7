"""A gate lock driven by one channel of an LCUS USB relay board (kind ``lcus.relay``).

Commands, as for every gate: ``gate.open`` releases the lock for ``pulse_ms``
(or ``{"ms": N}``, at most ``max_pulse_ms``), ``gate.hold_open`` keeps it
released, ``gate.lock`` ends either. Each change is a ``RelayChanged`` event
(``open``/``locked``; reason ``pulse``, ``hold``, ``lock``, ``pulse-end``,
``connect``). Pulses end on the injected clock, carried out by ``run``.

``lock_type`` maps the lock onto the relay. ``fail_secure`` (electric strike):
energising the relay opens the lock. ``fail_safe`` (maglock): energising it
locks, so "open" is the relay off.

Power: the relays do not latch; they drop whenever the board loses USB power
(the box loses power, the cable is pulled, the board resets). A
``fail_secure`` lock then stays locked; a ``fail_safe`` lock (a maglock) OPENS,
and stays open after power returns until ``connect`` succeeds, as ``connect``
always sets the locked state first. ``close`` leaves the lock locked: for
``fail_safe`` the relay stays energised while the board has power.

The boards do not acknowledge switch frames. With ``status_query`` on, every
switch is read back: a board that reports the other state fails the command
(and if the lock will not lock, at ``gate.lock`` or a pulse's end, ``run``
raises ``DriverError`` so the supervisor reconnects, which locks again); a
board that does not answer leaves the command done but unconfirmed, and
``probe`` says DEGRADED "no status reply" (cheap boards lack the query).

A failing link (see :mod:`.protocol`) makes ``run`` raise ``DriverError``; the
supervisor marks the gate offline and reconnects with back-off. Noise from the
board is counted in :attr:`LcusRelayGate.counters` and logged once per burst.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any, ClassVar

import serial
import structlog

from drivers.base import (
    Clock,
    Command,
    CommandResult,
    DriverConfig,
    DriverError,
    Emit,
    HealthState,
    Priority,
    Probe,
)
from drivers.capabilities import GATE_COMMANDS, Gate
from drivers.events import RelayChanged
from drivers.relay.lcus.config import LcusRelayConfig
from drivers.relay.lcus.protocol import LcusProtocol, LinkLost, RequestTimeout
from drivers.timing import wait_event

log = structlog.get_logger(__name__)

_ON_OFF = {True: "on", False: "off"}
COUNTERS = ("garbage_bytes", "bad_lines", "status_lines", "request_timeouts", "unconfirmed", "readback_mismatches")


class LcusRelayGate(Gate):
    config_model = LcusRelayConfig
    commands: ClassVar[frozenset[str]] = GATE_COMMANDS
    #: an unreachable lock controller lets nobody in, and a fail_safe lock without power stands open
    offline_priority: ClassVar[Priority] = Priority.SECURITY
    config: LcusRelayConfig

    def __init__(self, config: DriverConfig, emit: Emit, clock: Clock | None = None) -> None:
        if not isinstance(config, LcusRelayConfig):
            raise TypeError(f"LcusRelayGate needs an LcusRelayConfig, not {type(config).__name__}")
        super().__init__(config, emit, clock)
        self._protocol: LcusProtocol | None = None
        self._relay = "locked"  # what the lock does, as far as we know: "open" | "locked"
        self._reported = "locked"  # what the daemon was last told
        self._held = False
        self._pulse_until: float | None = None  # clock.monotonic() when the pulse ends
        self._fault: str | None = None  # the lock would not lock: run raises so the supervisor reconnects
        self._wake = asyncio.Event()
        self._busy = asyncio.Lock()  # one command (switch + read-back + state) at a time
        self._counters: Counter[str] = Counter(dict.fromkeys(COUNTERS, 0))

    @property
    def relay_state(self) -> str:
        """``"open"`` or ``"locked"``: what the lock does as far as the driver knows."""
        return self._relay

    @property
    def counters(self) -> dict[str, int]:
        """Noise and trouble seen on the link since the driver was made (kept across reconnects)."""
        return dict(self._counters)

    # --- life cycle ----------------------------------------------------------

    async def connect(self) -> None:
        await self.close()
        timeout_s = self.config.request_timeout_ms / 1000
        protocol = LcusProtocol(timeout_s, self._counters, self.clock, self._wake.set)
        try:
            await protocol.open(self.config.port, self.config.baudrate)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise DriverError(f"cannot open {self.config.port}: {exc}") from exc
        self._protocol, self._held, self._pulse_until, self._fault = protocol, False, None, None
        try:
            if await self._switch("locked") == "mismatch":
                raise DriverError("the board reports the relay did not lock")
        except BaseException:
            self._protocol = None
            await protocol.close()
            raise

    async def run(self) -> None:
        self._require_protocol()
        if self._relay != self._reported:
            await self._report(self._relay, "connect")
        while True:
            self._require_protocol()
            if self._fault is not None:
                raise DriverError(self._fault)
            self._wake.clear()
            if self._pulse_until is None:
                await self._wake.wait()
                continue
            delay = self._pulse_until - self.clock.monotonic()
            if delay > 0:
                await wait_event(self._wake, self.clock, delay)
                continue
            await self._end_pulse()

    async def probe(self) -> Probe:
        protocol = self._protocol
        if protocol is None or protocol.lost_reason is not None:
            return Probe(HealthState.OFFLINE, protocol.lost_reason if protocol else "not connected")
        if not self.config.status_query:
            return Probe(HealthState.ONLINE)
        try:
            async with self._busy:
                on = await protocol.read_channel(self.config.channel)
                expected = self._relay_on(self._relay)
        except RequestTimeout:
            return Probe(HealthState.DEGRADED, "no status reply")
        except LinkLost as exc:
            return Probe(HealthState.OFFLINE, str(exc))
        if on != expected:
            return Probe(HealthState.DEGRADED, f"relay reads {_ON_OFF[on]}, expected {_ON_OFF[expected]}")
        return Probe(HealthState.ONLINE)

    async def close(self) -> None:
        """Leave the lock locked (best effort) and release the port; idempotent."""
        protocol, self._protocol = self._protocol, None
        self._held, self._pulse_until = False, None
        self._wake.set()
        if protocol is None:
            return
        try:
            if protocol.lost_reason is None:
                await protocol.switch(self.config.channel, self._relay_on("locked"))
                self._relay = "locked"
        except DriverError as exc:
            log.warning("lcus.lock_on_close_failed", port=self.config.port, error=str(exc))
        finally:
            await protocol.close()  # even when cancelled: never keep the port (and its lock)

    # --- commands ------------------------------------------------------------

    async def execute(self, command: Command) -> CommandResult:
        if command.type not in self.commands:
            return await super().execute(command)
        try:
            async with self._busy:
                self._require_protocol()
                match command.type:
                    case "gate.open":
                        return await self._pulse(command.args)
                    case "gate.hold_open":
                        return await self._hold_open()
                    case _:
                        return await self._lock()
        except DriverError as exc:  # link lost, board busy: the gate did not move
            return CommandResult(False, str(exc))

    async def _pulse(self, args: dict[str, Any]) -> CommandResult:
        ms = self.config.pulse_ms_from(args)
        if isinstance(ms, str):
            return CommandResult(False, ms)
        if self._held:
            return CommandResult(True, "held open already")
        readback = await self._switch("open")
        if readback == "mismatch":
            return _not_switched("open")
        self._pulse_until = self.clock.monotonic() + ms / 1000
        self._wake.set()
        await self._report("open", "pulse")
        return _done(f"open for {ms:g} ms", readback)

    async def _hold_open(self) -> CommandResult:
        self._pulse_until = None
        readback = await self._switch("open")
        if readback == "mismatch":
            return _not_switched("open")
        was_held, self._held = self._held, True
        await self._report("open", "hold")
        return _done("held open already" if was_held else "held open", readback)

    async def _lock(self) -> CommandResult:
        self._pulse_until, self._held = None, False
        was_locked = self._reported == "locked"
        readback = await self._switch("locked")
        if readback == "mismatch":
            self._fail("the board reports the relay did not lock")
            return _not_switched("locked")
        await self._report("locked", "lock")
        return _done("locked already" if was_locked else "locked", readback)

    # --- the relay -----------------------------------------------------------

    async def _switch(self, state: str) -> str:
        """Set the lock to ``state``; how the read-back went: confirmed, no reply, off or mismatch."""
        protocol = self._require_protocol()
        on = self._relay_on(state)
        await protocol.switch(self.config.channel, on)
        self._relay = state
        if not self.config.status_query:
            return "off"
        try:
            actual = await protocol.read_channel(self.config.channel)
        except RequestTimeout:
            self._counters["unconfirmed"] += 1
            return "no reply"
        if actual != on:
            self._counters["readback_mismatches"] += 1
            self._relay = "open" if actual == self._relay_on("open") else "locked"
            return "mismatch"
        return "confirmed"

    async def _end_pulse(self) -> None:
        async with self._busy:
            if self._pulse_until is None or self._pulse_until > self.clock.monotonic():
                return  # extended, held or locked meanwhile
            self._pulse_until = None
            if await self._switch("locked") == "mismatch":
                self._fail("the board reports the relay did not lock at the end of the pulse")
                return
            await self._report("locked", "pulse-end")

    def _fail(self, reason: str) -> None:
        """The lock stays open against orders: have ``run`` raise, so the supervisor reconnects (and relocks)."""
        log.error("lcus.lock_failed", port=self.config.port, channel=self.config.channel, reason=reason)
        self._fault = reason
        self._wake.set()

    def _relay_on(self, state: str) -> bool:
        """Whether the relay is energised when the lock is in ``state``."""
        return self.config.relay_energised(state == "open")

    def _require_protocol(self) -> LcusProtocol:
        protocol = self._protocol
        if protocol is None or protocol.lost_reason is not None:
            raise LinkLost(protocol.lost_reason if protocol else "not connected")
        return protocol

    async def _report(self, state: str, reason: str) -> None:
        if state != self._reported:
            self._reported = state
            await self.emit(RelayChanged(state=state, reason=reason, occurred_at=self.clock.now()))


def _done(detail: str, readback: str) -> CommandResult:
    suffix = " (not confirmed: no status reply)" if readback == "no reply" else ""
    return CommandResult(True, detail + suffix, {"readback": readback})


def _not_switched(wanted: str) -> CommandResult:
    return CommandResult(False, f"the board reports the relay did not switch to {wanted}", {"readback": "mismatch"})
