"""IoModulePeer over a PtyCable, driven by pymodbus's own async serial client."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from pymodbus.client import AsyncModbusSerialClient
from pymodbus.constants import ExcCodes
from pymodbus.exceptions import ConnectionException, ModbusIOException

from drivers.peers.io_module import CoilWrite, IoModulePeer
from drivers.peers.pty_cable import PtyCable

BAUD = 115200
TIMEOUT_S = 0.15


@pytest.fixture
async def cable(tmp_path: Path) -> AsyncIterator[PtyCable]:
    async with PtyCable(tmp_path / "usb-rs485") as cable:
        yield cable


@pytest.fixture
async def peer(cable: PtyCable) -> AsyncIterator[IoModulePeer]:
    async with IoModulePeer(cable.peer_port, {1: (8, 8), 2: (4, 20)}, baudrate=BAUD) as peer:
        yield peer


@asynccontextmanager
async def modbus_client(cable: PtyCable) -> AsyncIterator[AsyncModbusSerialClient]:
    # reconnect_delay=0: no background "transport reconnect" task when the port hangs up.
    client = AsyncModbusSerialClient(
        port=str(cable.link_path), baudrate=BAUD, timeout=TIMEOUT_S, retries=0, reconnect_delay=0
    )
    assert await client.connect()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
async def client(cable: PtyCable, peer: IoModulePeer) -> AsyncIterator[AsyncModbusSerialClient]:
    async with modbus_client(cable) as client:
        yield client


async def test_inputs_read_from_address_0_see_set_input(
    peer: IoModulePeer, client: AsyncModbusSerialClient
) -> None:
    peer.set_input(1, 0, True)
    peer.set_input(1, 7, True)
    reply = await client.read_discrete_inputs(0, count=8, device_id=1)
    assert not reply.isError()
    assert reply.bits[:8] == [True, False, False, False, False, False, False, True]

    peer.set_input(1, 0, False)  # the world changes between two polls
    reply = await client.read_discrete_inputs(0, count=1, device_id=1)
    assert reply.bits[0] is False
    assert peer.inputs(1) == [False] * 7 + [True]
    assert peer.requests[2] == 2


async def test_coil_writes_are_applied_recorded_and_read_back(
    peer: IoModulePeer, client: AsyncModbusSerialClient
) -> None:
    before = time.monotonic()
    assert not (await client.write_coil(0, True, device_id=1)).isError()
    assert peer.coil(1, 0)
    [write] = peer.coil_writes
    assert (write.unit, write.index, write.value) == (1, 0, True)
    assert before <= write.at <= time.monotonic()

    assert not (await client.write_coils(5, [True, False, True], device_id=1)).isError()
    assert peer.coils(1) == [True, False, False, False, False, True, False, True]
    assert [(w.index, w.value) for w in peer.coil_writes[1:]] == [(5, True), (6, False), (7, True)]
    reply = await client.read_coils(0, count=8, device_id=1)
    assert reply.bits[:8] == peer.coils(1)
    assert (peer.requests[1], peer.requests[5], peer.requests[15]) == (1, 1, 1)


async def test_wait_coil_returns_the_write_that_set_it(
    peer: IoModulePeer, client: AsyncModbusSerialClient
) -> None:
    waiter = asyncio.create_task(peer.wait_coil(2, 3, True, timeout=1.0))
    await client.write_coil(3, True, device_id=2)
    write = await waiter
    assert isinstance(write, CoilWrite) and (write.unit, write.index) == (2, 3)
    assert await peer.wait_coil(2, 3, True) == write
    with pytest.raises(TimeoutError):
        await peer.wait_coil(2, 0, True, timeout=0.02)


async def test_two_units_share_the_line_and_absent_units_stay_silent(
    cable: PtyCable, peer: IoModulePeer, client: AsyncModbusSerialClient
) -> None:
    peer.set_input(2, 19, True)
    assert (await client.read_discrete_inputs(19, count=1, device_id=2)).bits[0] is True
    assert (await client.read_discrete_inputs(0, count=8, device_id=1)).bits[:8] == [False] * 8
    await client.write_coil(1, True, device_id=2)
    assert peer.coils(2) == [False, True, False, False] and peer.coils(1) == [False] * 8

    answered = cable.bytes_to_driver
    with pytest.raises(ModbusIOException, match="No response received"):
        await client.read_coils(0, count=1, device_id=3)
    assert cable.bytes_to_driver == answered


async def test_bits_the_module_does_not_have_are_refused(
    peer: IoModulePeer, client: AsyncModbusSerialClient
) -> None:
    for reply in (
        await client.read_discrete_inputs(7, count=2, device_id=1),  # inputs 7 and 8 of 8
        await client.read_coils(4, count=1, device_id=2),  # 4 coils
        await client.write_coil(4, True, device_id=2),
        await client.read_holding_registers(0, count=1, device_id=1),  # no registers at all
    ):
        assert reply.isError() and reply.exception_code == ExcCodes.ILLEGAL_ADDRESS
    assert peer.coil_writes == []


async def test_a_failing_unit_answers_with_its_exception_code(
    peer: IoModulePeer, client: AsyncModbusSerialClient
) -> None:
    peer.fail_unit(1, ExcCodes.DEVICE_BUSY)
    reply = await client.write_coil(0, True, device_id=1)
    assert reply.isError() and reply.exception_code == ExcCodes.DEVICE_BUSY
    assert not peer.coil(1, 0)
    peer.fail_unit(1, None)
    assert not (await client.write_coil(0, True, device_id=1)).isError()


async def test_a_muted_unit_neither_answers_nor_acts(
    cable: PtyCable, peer: IoModulePeer, client: AsyncModbusSerialClient
) -> None:
    peer.mute_unit(2)
    with pytest.raises(ModbusIOException):
        await client.write_coil(0, True, device_id=2)
    assert not peer.coil(2, 0) and peer.requests[5] == 1
    assert cable.bytes_to_peer == 8 and cable.bytes_to_driver == 0
    peer.mute_unit(2, False)
    assert not (await client.read_coils(0, count=4, device_id=2)).isError()


async def test_a_response_slower_than_the_client_timeout_is_a_timeout(
    cable: PtyCable, peer: IoModulePeer, client: AsyncModbusSerialClient
) -> None:
    peer.response_delay_s = TIMEOUT_S + 0.1
    started = time.monotonic()
    with pytest.raises(ModbusIOException, match="No response received"):
        await client.read_discrete_inputs(0, count=8, device_id=1)
    assert time.monotonic() - started >= TIMEOUT_S

    peer.response_delay_s = 0.0
    async with asyncio.timeout(1):  # let the late answer arrive (the client ignores it): RTU has no
        while not cable.bytes_to_driver:  # transaction ids, it would pass for the next request's answer
            await asyncio.sleep(0.001)
    assert not (await client.read_discrete_inputs(0, count=8, device_id=1)).isError()


async def test_stop_cancels_an_answer_still_being_delayed(
    peer: IoModulePeer, client: AsyncModbusSerialClient
) -> None:
    peer.response_delay_s = 5.0
    request = asyncio.create_task(client.read_coils(0, count=1, device_id=1))
    async with asyncio.timeout(1):
        while not peer.requests[1]:
            await asyncio.sleep(0.001)
    await peer.stop()
    with pytest.raises(ModbusIOException):
        await request


async def test_corrupted_frames_give_a_clean_error_not_a_hang(
    cable: PtyCable, peer: IoModulePeer, client: AsyncModbusSerialClient
) -> None:
    def flip_last_byte_going(way: str):
        def manipulate(direction: str, data: bytes) -> bytes:
            return data[:-1] + bytes([data[-1] ^ 0xFF]) if direction == way else data

        return manipulate

    cable.manipulate(flip_last_byte_going("to_driver"))
    with pytest.raises(ModbusIOException):  # bad CRC on the answer
        await client.read_coils(0, count=1, device_id=1)
    cable.manipulate(flip_last_byte_going("to_peer"))
    with pytest.raises(ModbusIOException):  # bad CRC on the request: the module stays silent
        await client.write_coil(0, True, device_id=1)
    assert peer.coil_writes == []

    cable.manipulate(None)
    assert not (await client.read_coils(0, count=1, device_id=1)).isError()


async def test_unplug_disconnects_the_client_and_replug_lets_it_reconnect(
    cable: PtyCable, peer: IoModulePeer, client: AsyncModbusSerialClient
) -> None:
    await cable.unplug()
    async with asyncio.timeout(1):  # the client's reader sees the hang-up and closes its transport
        while client.connected:
            await asyncio.sleep(0.001)
    with pytest.raises(ConnectionException):
        await client.read_coils(0, count=1, device_id=1)
    assert not await client.connect()

    await cable.replug()
    assert await client.connect()
    peer.set_input(1, 3, True)
    assert (await client.read_discrete_inputs(3, count=1, device_id=1)).bits[0] is True


async def test_stop_is_idempotent_and_leaves_the_line_free(cable: PtyCable) -> None:
    peer = IoModulePeer(cable.peer_port, {7: (1, 1)})
    await peer.start()
    await peer.stop()
    await peer.stop()
    await peer.start()  # the port was released: it can be opened (exclusively) again
    peer.set_input(7, 0, True)
    assert peer.inputs(7) == [True]
    await peer.stop()
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()] == []


async def test_the_whole_line_closes_without_leaving_fds(tmp_path: Path) -> None:
    fds_before = set(os.listdir("/proc/self/fd"))
    async with (
        PtyCable(tmp_path / "link") as cable,
        IoModulePeer(cable.peer_port, {1: (2, 2)}),
        modbus_client(cable) as client,
    ):
        assert not (await client.write_coil(1, True, device_id=1)).isError()
    assert set(os.listdir("/proc/self/fd")) == fds_before


async def test_start_on_a_missing_port_fails_cleanly(tmp_path: Path) -> None:
    peer = IoModulePeer(str(tmp_path / "no-such-port"), {1: (1, 1)})
    with pytest.raises(RuntimeError):
        await peer.start()
    await peer.stop()
