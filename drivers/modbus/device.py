"""What the logical devices on a Modbus bus share: finding their bus, and getting its samples.

A device is a ``[[devices]]`` entry that names its bus (``bus = "rs485-a"``);
the daemon hands it the bus through :meth:`attach`. ``connect`` waits briefly
for the device's modules to answer; ``next_sample`` gives the next reading,
and raises once the bus or a module the device needs stops answering, so the
supervisor marks the device offline (an SOS button at priority 0). Every wait
here (modules ready, a first reading, a reading overdue) is measured on the
driver's clock, so a pulse or a held-open door ends on clock time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import ClassVar

from drivers.base import Driver, DriverError, HealthState, Probe
from drivers.modbus.bus import ModbusRtuBus, Sample
from drivers.modbus.config import BusDeviceConfig, ContactInput
from drivers.timing import within

_WAIT_FOR_MODULES_S = 2.0
_QUEUE_LIMIT = 256


class BusDevice(Driver):
    retry_max_s: ClassVar[float | None] = 2.0
    config: BusDeviceConfig

    def __init__(self, config, emit, clock=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(config, emit, clock)
        self.bus: ModbusRtuBus | None = None
        self._samples: asyncio.Queue[Sample] = asyncio.Queue(_QUEUE_LIMIT)
        self._unsubscribe: list[Callable[[], None]] = []
        self._units = sorted({channel.unit for _, channel, _ in config.channels()})

    def attach(self, peers: Mapping[str, Driver]) -> None:
        bus = peers.get(self.config.bus)
        if not isinstance(bus, ModbusRtuBus):
            raise ValueError(f"{self.device_id}: {self.config.bus!r} is not a modbus.rtu_bus device")
        self.bus = bus

    async def connect(self) -> None:
        bus = self._require_bus()
        try:
            await within(self.clock, _WAIT_FOR_MODULES_S, self._until_ready(bus))
        except TimeoutError:
            raise DriverError(self._problem(bus) or "bus not ready") from None
        self._samples = asyncio.Queue(_QUEUE_LIMIT)
        self._unsubscribe = [bus.subscribe(unit, self._on_sample) for unit in self._units]

    async def first_readings(self, channels: list[ContactInput]) -> dict[int, bool]:
        """Wait for a reading of each input channel, to start from the state the world is in.

        Returns {channel index in ``channels``: active}. Without it, a door
        already open when the driver connects would pass unnoticed.
        """
        levels: dict[int, bool] = {}
        try:
            await within(self.clock, _WAIT_FOR_MODULES_S, self._read_levels(channels, levels))
        except TimeoutError:
            raise DriverError("no reading of the inputs yet") from None
        return levels

    async def _until_ready(self, bus: ModbusRtuBus) -> None:
        while self._problem(bus):
            await bus.state_changed()

    async def _read_levels(self, channels: list[ContactInput], levels: dict[int, bool]) -> None:
        while len(levels) < len(channels):
            sample = await self.next_sample(None)
            for position, channel in enumerate(channels):
                if (level := active(sample, channel)) is not None:
                    levels[position] = level

    async def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []

    async def probe(self) -> Probe:
        problem = self._problem(self._require_bus())
        return Probe(HealthState.OFFLINE, problem) if problem else Probe(HealthState.ONLINE)

    async def next_sample(self, within_s: float | None) -> Sample | None:
        """The next reading of one of this device's modules; None after ``within_s`` seconds on the clock."""
        try:
            sample = self._samples.get_nowait() if not self._samples.empty() else (
                await within(self.clock, within_s, self._samples.get())
            )
        except TimeoutError:
            return None
        if sample.problem is not None:
            raise DriverError(f"module {sample.unit}: {sample.problem}")
        return sample

    def wake(self) -> None:
        """End the read loop's current wait now (a deadline moved, e.g. a pulse began)."""
        if self._units:
            self._on_sample(Sample(self._units[0], self.clock.monotonic()))  # carries no reading

    def _on_sample(self, sample: Sample) -> None:
        if self._samples.full():
            self._samples.get_nowait()  # a stalled consumer loses the oldest reading, not the newest
        self._samples.put_nowait(sample)

    def _problem(self, bus: ModbusRtuBus) -> str | None:
        for unit in self._units:
            if problem := bus.problem(unit):
                return f"module {unit}: {problem}"
        return None

    def _require_bus(self) -> ModbusRtuBus:
        if self.bus is None:
            raise DriverError(f"not attached to bus {self.config.bus!r}")
        return self.bus


def active(sample: Sample, channel: ContactInput) -> bool | None:
    """Whether ``channel``'s contact is active in ``sample`` (None if the sample is another module's)."""
    if sample.unit != channel.unit or sample.bits is None:
        return None
    closed = sample.bits[channel.index]
    return closed if channel.contact == "NO" else not closed
