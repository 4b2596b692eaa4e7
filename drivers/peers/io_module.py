"""Modbus RTU IO modules (relay coils, dry-contact inputs) on one RS-485 line, simulated.

:class:`IoModulePeer` plays one or more modules, one Modbus unit id each, on a
serial port (typically :attr:`PtyCable.peer_port <drivers.peers.pty_cable.PtyCable.peer_port>`)
with pymodbus's own ``ModbusSerialServer`` and the new ``pymodbus.simulator``
(one ``SimDevice`` per unit). Coils and inputs are numbered from 0; the module
answers FC1 (read coils), FC2 (read discrete inputs), FC5/FC15 (write coils)
and refuses registers and bits it does not have with ILLEGAL_ADDRESS.

The state lives here (:class:`_Module`), not in the simulator: the
``SimDevice`` action coroutine, which pymodbus awaits for every request before
it reads or writes its registers, copies the state into the registers, records
coil writes, and delays or fails the answer on demand. Hooks on the server's
traffic count requests, keep units that are not on the line (or are muted)
silent, as on a real bus, and make out-of-range bit requests fail.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from functools import partial

from pymodbus.constants import ExcCodes
from pymodbus.pdu import ModbusPDU
from pymodbus.server import ModbusSerialServer
from pymodbus.simulator import DataType, SimData, SimDevice

READ_COILS, READ_INPUTS, WRITE_COIL, WRITE_COILS = 1, 2, 5, 15
COIL_FUNCTIONS = (READ_COILS, WRITE_COIL, WRITE_COILS)
BIT_FUNCTIONS = (*COIL_FUNCTIONS, READ_INPUTS)
OUT_OF_RANGE = 0xFFFF  # an address no block reaches: the simulator answers ILLEGAL_ADDRESS
_CATCH_ALL_UNIT = 0  # pymodbus serves unknown unit ids from device 0; its answers are dropped


@dataclass(frozen=True)
class CoilWrite:
    """One coil written by the driver: ``at`` is ``time.monotonic()`` when the module applied it."""

    unit: int
    index: int
    value: bool
    at: float


class _Module:
    """One IO module's coils and inputs, and how it misbehaves."""

    def __init__(self, n_coils: int, n_inputs: int) -> None:
        self.coils = [False] * n_coils
        self.inputs = [False] * n_inputs
        self.failure: ExcCodes | None = None
        self.muted = False

    def bits(self, function_code: int) -> list[bool]:
        return self.coils if function_code in COIL_FUNCTIONS else self.inputs


class IoModulePeer:
    """Modbus RTU IO modules on one serial line; see the module docstring."""

    def __init__(self, port: str, modules: dict[int, tuple[int, int]], baudrate: int = 19200) -> None:
        if not modules or not all(1 <= unit <= 247 for unit in modules):
            raise ValueError("modules: at least one unit, ids 1..247")
        self.port = port
        self.baudrate = baudrate
        self.response_delay_s = 0.0
        self.requests: Counter[int] = Counter()  # function code -> requests to our units
        self.coil_writes: list[CoilWrite] = []
        self._modules = {unit: _Module(*sizes) for unit, sizes in modules.items()}
        self._server: ModbusSerialServer | None = None
        self._in_flight: set[asyncio.Task] = set()
        self._coils_changed = asyncio.Event()

    async def start(self) -> None:
        """Open the port and answer requests. Raises RuntimeError if the port cannot be opened."""
        if self._server is not None:
            return
        connected = asyncio.Event()
        server = ModbusSerialServer(
            self._devices(),
            port=self.port,
            baudrate=self.baudrate,
            reconnect_delay=0,
            trace_packet=self._on_packet,
            trace_pdu=self._on_pdu,
            trace_connect=lambda up: connected.set() if up else None,
        )
        await server.serve_forever(background=True)
        self._server = server
        # The port is open, but pymodbus starts reading it from call_soon callbacks: let them run,
        # or a stop() right away would meet a half set-up transport.
        async with asyncio.timeout(1):
            await connected.wait()

    async def stop(self) -> None:
        """Close the port and cancel answers still being delayed. Idempotent."""
        server, self._server = self._server, None
        if server is not None:
            await server.shutdown()
        in_flight, self._in_flight = self._in_flight, set()
        for task in in_flight:
            task.cancel()
        await asyncio.gather(*in_flight, return_exceptions=True)
        for _ in range(3):  # let request handlers already scheduled by pymodbus run out
            await asyncio.sleep(0)

    async def __aenter__(self) -> IoModulePeer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def set_input(self, unit: int, index: int, value: bool) -> None:
        """The world changes a dry contact; the next read sees it."""
        self._modules[unit].inputs[index] = bool(value)

    def inputs(self, unit: int) -> list[bool]:
        return list(self._modules[unit].inputs)

    def coils(self, unit: int) -> list[bool]:
        return list(self._modules[unit].coils)

    def coil(self, unit: int, index: int) -> bool:
        return self._modules[unit].coils[index]

    def fail_unit(self, unit: int, exc_code: ExcCodes | int | None = ExcCodes.DEVICE_FAILURE) -> None:
        """Make a unit answer every request with a Modbus exception; None heals it."""
        self._modules[unit].failure = None if exc_code is None else ExcCodes(exc_code)

    def mute_unit(self, unit: int, muted: bool = True) -> None:
        """Make a unit stop answering at all (powered off, wire cut), or speak again."""
        self._modules[unit].muted = muted

    async def wait_coil(
        self,
        unit: int,
        index: int,
        value: bool,
        timeout: float = 1.0,  # noqa: ASYNC109 - a test helper
    ) -> CoilWrite | None:
        """Wait until a coil has ``value``; return the write that set it (None if it already had it).

        Raises TimeoutError after ``timeout`` seconds.
        """
        async with asyncio.timeout(timeout):
            while self.coil(unit, index) != value:
                await self._coils_changed.wait()
        return next((w for w in reversed(self.coil_writes) if (w.unit, w.index) == (unit, index)), None)

    def _devices(self) -> list[SimDevice]:
        devices = [self._device(unit, module) for unit, module in self._modules.items()]
        return [*devices, self._device(_CATCH_ALL_UNIT, _Module(1, 1))]

    def _device(self, unit: int, module: _Module) -> SimDevice:
        simdata = (
            _bit_block(len(module.coils)),
            _bit_block(len(module.inputs)),
            _no_registers(),
            _no_registers(),
        )
        action = partial(self._serve, unit) if unit != _CATCH_ALL_UNIT else None
        return SimDevice(id=unit, simdata=simdata, use_bit_addressing=True, action=action)

    async def _serve(
        self,
        unit: int,
        function_code: int,
        _start_address: int,
        address: int,
        _register_count: int,
        registers: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        """The SimDevice action: pymodbus awaits it before each block read or write."""
        if function_code == WRITE_COIL and set_values is None:
            return None  # FC5 reads its coil back after writing it: the same request
        module = self._modules[unit]
        await self._respond_later()
        if module.muted:
            return ExcCodes.DEVICE_FAILURE  # nothing happens, and _on_packet drops the answer
        if module.failure is not None:
            return module.failure
        if set_values is not None:
            self._apply_coil_writes(unit, address, [bool(v) for v in set_values])
        _pack(module.bits(function_code), registers)
        return None

    async def _respond_later(self) -> None:
        if self.response_delay_s <= 0:
            return
        task = asyncio.current_task()  # pymodbus's request handler: owned here until it answers
        self._in_flight.add(task)
        try:
            await asyncio.sleep(self.response_delay_s)
        finally:
            self._in_flight.discard(task)

    def _apply_coil_writes(self, unit: int, address: int, values: list[bool]) -> None:
        module = self._modules[unit]
        now = time.monotonic()
        for offset, value in enumerate(values):
            module.coils[address + offset] = value
            self.coil_writes.append(CoilWrite(unit, address + offset, value, now))
        self._coils_changed.set()
        self._coils_changed = asyncio.Event()

    def _on_pdu(self, sending: bool, pdu: ModbusPDU) -> ModbusPDU:
        """Count each request to our units; push bit requests past the module's size out of range."""
        module = self._modules.get(pdu.dev_id)
        if sending or module is None:
            return pdu
        self.requests[pdu.function_code] += 1
        if pdu.function_code in BIT_FUNCTIONS:
            count = 1 if pdu.function_code == WRITE_COIL else pdu.count
            if pdu.address + count > len(module.bits(pdu.function_code)):
                pdu.address = OUT_OF_RANGE
        return pdu

    def _on_packet(self, sending: bool, packet: bytes) -> bytes:
        """Drop answers of units that are not on the line, or are muted: a real bus stays silent."""
        if not sending or not packet:
            return packet
        module = self._modules.get(packet[0])
        return packet if module is not None and not module.muted else b""


def _bit_block(n_bits: int) -> list[SimData]:
    """Bits 0..n-1 (the simulator stores whole registers of 16: the rest is refused by _on_pdu)."""
    size = max(16, -(-n_bits // 16) * 16)
    return [SimData(address=0, values=[False] * size, datatype=DataType.BITS)]


def _no_registers() -> list[SimData]:
    return [SimData(address=0, datatype=DataType.INVALID)]


def _pack(bits: list[bool], registers: list[int]) -> None:
    """Write bits into the simulator's registers in place, 16 per register, bit 0 first."""
    for reg in range(-(-len(bits) // 16)):
        chunk = bits[reg * 16 : reg * 16 + 16]
        registers[reg] = sum(1 << i for i, bit in enumerate(chunk) if bit)
