"""One RS-485 line with its Modbus RTU IO modules, as a device of its own.

The bus owns the serial port (through pymodbus's async client, never blocking
the event loop) and everything on it: a priority lock so only one request is
on the wire at a time and relay writes go before polls, a request timeout,
the polling of every module's inputs, and each module's health. Logical
devices (gates, SOS buttons) ``subscribe`` to a module and get every sample,
or the reason the module stopped answering.

Failures are counted in ``counters`` and logged once per burst: ``timeouts``
(no reply), ``corrupt_replies`` (bytes came back but no valid frame: CRC
errors, garbage), ``exceptions`` (the module answered with a Modbus error).
A lost port (USB unplugged) ends ``run`` so the supervisor reconnects.

Time: the poll interval and the life check of relay-only modules are measured
on the injected clock. The request timeout (pymodbus's) and the quiet gap
after a failure are the wire's and stay on real (loop) time: they wait for
bytes from a real peer, which no clock can hurry.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import structlog
from pymodbus.client import AsyncModbusSerialClient
from pymodbus.exceptions import ModbusException

from drivers.base import Driver, DriverError, HealthState, Probe
from drivers.modbus.config import ModbusRtuBusConfig, ModuleConfig
from drivers.modbus.priority_lock import ROUTINE, URGENT, PriorityLock
from drivers.retry import FailureStreak

log = structlog.get_logger(__name__)
logging.getLogger("pymodbus").setLevel(logging.CRITICAL)  # it logs every timeout; we count them

_COIL_PROBE_S = 1.0  # how often a module with relays only is checked for life


class BusError(DriverError):
    """The bus or a module on it cannot do what was asked."""


@dataclass(frozen=True, slots=True)
class Sample:
    """What a module's inputs read at ``at`` (monotonic), or why it could not be read."""

    unit: int
    at: float
    bits: tuple[bool, ...] | None = None
    problem: str | None = None


Listener = Callable[[Sample], None]


@dataclass(slots=True)
class _Module:
    config: ModuleConfig
    streak: FailureStreak  # failing: ``failures_before_offline`` failed requests in a row
    problem: str | None = "not polled yet"
    last_probe: float = -1e9
    listeners: list[Listener] = field(default_factory=list)


class ModbusRtuBus(Driver):
    config_model = ModbusRtuBusConfig
    retry_max_s: ClassVar[float | None] = 2.0  # a local port is cheap to retry; be back fast
    config: ModbusRtuBusConfig

    def __init__(self, config, emit, clock=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(config, emit, clock)
        self._client: AsyncModbusSerialClient | None = None
        self._lock = PriorityLock()
        self._modules = {m.unit: _Module(m, self._streak()) for m in config.modules}
        self._rx_bytes = 0
        self._drain_until = 0.0
        self._changed = asyncio.Event()
        self.counters: Counter[str] = Counter()
        self._log = log.bind(device_id=config.id)

    # --- life cycle ------------------------------------------------------------

    async def connect(self) -> None:
        cfg = self.config
        client = AsyncModbusSerialClient(
            port=cfg.port, baudrate=cfg.baudrate, parity=cfg.parity, stopbits=cfg.stopbits,
            timeout=cfg.request_timeout_ms / 1000, retries=0, reconnect_delay=0,
            name=cfg.id, trace_packet=self._trace,
        )
        if not await client.connect():
            client.close()
            raise BusError(f"cannot open serial port {cfg.port}")
        self._client = client
        for module in self._modules.values():
            module.streak.clear()
            module.problem = "not polled yet"

    async def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        self._fail_all("bus offline")

    async def run(self) -> None:
        interval = self.config.poll_interval_ms / 1000
        while True:
            started = self.clock.monotonic()
            for module in self._modules.values():
                await self._poll(module, started)
            self._check_port()
            await self.clock.sleep(max(0.0, interval - (self.clock.monotonic() - started)))

    async def probe(self) -> Probe:
        if not self.connected:
            return Probe(HealthState.OFFLINE, "serial port closed")
        failing = [f"unit {u}: {m.problem}" for u, m in self._modules.items() if m.streak.failing]
        if failing:
            return Probe(HealthState.DEGRADED, "; ".join(failing))
        return Probe(HealthState.ONLINE)

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.connected

    # --- for the devices on the bus ---------------------------------------------

    def subscribe(self, unit: int, listener: Listener) -> Callable[[], None]:
        module = self._modules[unit]
        module.listeners.append(listener)

        def unsubscribe() -> None:
            if listener in module.listeners:
                module.listeners.remove(listener)

        return unsubscribe

    @property
    def line_busy(self) -> bool:
        """A request is on the wire, waits for it, or the line is draining after a failure."""
        return self._lock.locked

    async def state_changed(self) -> None:
        """Return at the next change of the bus's or a module's state."""
        await self._changed.wait()

    def problem(self, unit: int) -> str | None:
        """Why ``unit`` cannot be used now, or None when it answers."""
        if not self.connected:
            return f"bus {self.config.id} is offline"
        module = self._modules[unit]
        return module.problem if module.streak.failing or module.problem == "not polled yet" else None

    async def write_coil(self, unit: int, index: int, value: bool) -> None:
        """Switch a relay; returns once the module has acknowledged it. Goes before any poll."""
        client = self._require_client()
        try:
            async with self._lock.hold(URGENT):
                await self._quiet_line()
                response = await client.write_coil(index, value, device_id=unit)
        except ModbusException as exc:
            raise BusError(self._classify(exc)) from None
        if response.isError():
            self.counters["exceptions"] += 1
            raise BusError(f"unit {unit} refused to switch coil {index}: exception {response.exception_code}")
        if response.function_code != 5 or response.address != index or list(response.bits[:1]) != [value]:
            self.counters["corrupt_replies"] += 1
            self._drain_after_failure()
            raise BusError(f"unit {unit} answered the coil {index} write with something else: {response}")

    # --- polling -----------------------------------------------------------------

    async def _poll(self, module: _Module, now: float) -> None:
        cfg = module.config
        if not cfg.inputs and now - module.last_probe < _COIL_PROBE_S:
            return
        module.last_probe = now
        client = self._require_client()
        try:
            async with self._lock.hold(ROUTINE):
                await self._quiet_line()
                if cfg.inputs:
                    response = await client.read_discrete_inputs(0, count=cfg.inputs, device_id=cfg.unit)
                else:
                    response = await client.read_coils(0, count=max(cfg.coils, 1), device_id=cfg.unit)
        except ModbusException as exc:
            self._failed(module, self._classify(exc))
            return
        if response.isError():
            self.counters["exceptions"] += 1
            self._failed(module, f"Modbus exception {response.exception_code}")
            return
        expected = 2 if cfg.inputs else 1
        if response.function_code != expected or len(response.bits) < cfg.inputs:
            self.counters["corrupt_replies"] += 1
            self._drain_after_failure()
            self._failed(module, f"answer does not match the request: {response}")
            return
        self._answered(module, tuple(response.bits[: cfg.inputs]) if cfg.inputs else None)

    def _answered(self, module: _Module, bits: tuple[bool, ...] | None) -> None:
        module.streak.recovered(unit=module.config.unit)
        if module.problem is not None:
            self._signal_change()
        module.problem = None
        self.counters["polls"] += 1
        sample = Sample(module.config.unit, self.clock.monotonic(), bits=bits)
        for listener in list(module.listeners):
            listener(sample)

    def _failed(self, module: _Module, problem: str) -> None:
        module.problem = problem
        if module.streak.failures == 0:
            self._log.warning("modbus.request_failed", unit=module.config.unit, problem=problem)
        if module.streak.failed(problem, unit=module.config.unit).started:
            self._notify(module, problem)

    def _fail_all(self, problem: str) -> None:
        for module in self._modules.values():
            module.problem = problem
            module.streak.fail_quietly(problem)
            self._notify(module, problem)

    def _signal_change(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _notify(self, module: _Module, problem: str) -> None:
        self._signal_change()
        sample = Sample(module.config.unit, self.clock.monotonic(), problem=problem)
        for listener in list(module.listeners):
            listener(sample)

    # --- helpers -----------------------------------------------------------------

    @property
    def _limit(self) -> int:
        return self.config.failures_before_offline

    def _streak(self) -> FailureStreak:
        """A module's failures: logged once when it stops answering, once when it answers again."""
        return FailureStreak(
            log.bind(device_id=self.config.id), failing="modbus.module_not_answering", recovered="modbus.module_recovered",
            reason_field="problem", count_field="failures", threshold=self._limit, clock=self.clock.monotonic,
        )

    def _trace(self, sending: bool, data: bytes) -> bytes:
        if not sending:
            self._rx_bytes += len(data)
        return data

    async def _quiet_line(self) -> None:
        """After a failed request, let a late answer pass before asking again.

        RTU frames carry no transaction id: a reply arriving after its request
        timed out would be taken as the answer to the next one. pymodbus drops
        whatever arrived in between when the next request starts.

        This gap is the wire's, not the clock's: a late reply arrives in real
        time whatever the clock says, so it is measured and waited on loop time.
        """
        wait = self._drain_until - asyncio.get_running_loop().time()
        if wait > 0:
            await asyncio.sleep(wait)
        self._rx_bytes = 0

    def _drain_after_failure(self) -> None:
        self._drain_until = asyncio.get_running_loop().time() + self.config.request_timeout_ms / 1000

    def _classify(self, exc: ModbusException) -> str:
        self._drain_after_failure()
        if not self.connected:
            self.counters["port_errors"] += 1
            return f"serial port lost: {exc}"
        if self._rx_bytes:
            self.counters["corrupt_replies"] += 1
            return f"corrupt reply ({self._rx_bytes} bytes, no valid frame)"
        self.counters["timeouts"] += 1
        return f"no reply within {self.config.request_timeout_ms} ms"

    def _require_client(self) -> AsyncModbusSerialClient:
        if not self.connected:
            raise BusError(f"bus {self.config.id} is offline")
        assert self._client is not None
        return self._client

    def _check_port(self) -> None:
        if not self.connected:
            raise BusError(f"serial port {self.config.port} lost")
