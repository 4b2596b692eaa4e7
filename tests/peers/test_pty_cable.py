"""PtyCable: every byte crosses untouched, unplug/replug as a USB adapter, faults, clean close."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import serial

from drivers.peers.pty_cable import PtyCable

ALL_BYTES = bytes(range(256))


def open_raw(path: str | Path) -> int:
    """Open a pty slave as a bare fd: no termios of our own, so only the cable's raw mode applies."""
    return os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)


def fd_reader(fd: int) -> Callable[[], bytes]:
    def read() -> bytes:
        try:
            return os.read(fd, 65536)
        except BlockingIOError:
            return b""

    return read


async def read_exactly(read: Callable[[], bytes], n: int, timeout: float = 1.0) -> bytes:
    """Poll a non-blocking reader (never block the loop: the cable runs on it) until n bytes came."""
    data = b""
    async with asyncio.timeout(timeout):
        while len(data) < n:
            data += read()
            if len(data) < n:
                await asyncio.sleep(0.001)
    return data


async def assert_silent(read: Callable[[], bytes], for_s: float = 0.05) -> None:
    await asyncio.sleep(for_s)
    assert read() == b""


async def until(condition: Callable[[], bool], timeout: float = 1.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.001)


@pytest.fixture
async def cable(tmp_path: Path) -> AsyncIterator[PtyCable]:
    cable = PtyCable(tmp_path / "usb-FTDI_RS485-if00-port0")
    await cable.start()
    yield cable
    await cable.close()


@pytest.fixture
def peer_fd(cable: PtyCable) -> int:
    fd = open_raw(cable.peer_port)
    yield fd
    os.close(fd)


async def test_all_256_byte_values_cross_both_ways_unchanged(cable: PtyCable, peer_fd: int) -> None:
    driver_fd = open_raw(cable.link_path)
    try:
        os.write(peer_fd, ALL_BYTES * 2)
        assert await read_exactly(fd_reader(driver_fd), 512) == ALL_BYTES * 2
        os.write(driver_fd, ALL_BYTES * 2)
        assert await read_exactly(fd_reader(peer_fd), 512) == ALL_BYTES * 2
    finally:
        os.close(driver_fd)
    assert (cable.bytes_to_driver, cable.bytes_to_peer, cable.bytes_dropped) == (512, 512, 0)


async def test_a_full_driver_side_pushes_back_and_nothing_is_lost(cable: PtyCable, peer_fd: int) -> None:
    payload = os.urandom(300_000)
    with serial.Serial(str(cable.link_path), timeout=0) as port:
        sent = 0
        async with asyncio.timeout(2):  # the driver does not read: the peer's writes must stall
            while True:
                try:
                    sent += os.write(peer_fd, payload[sent : sent + 8192])
                except BlockingIOError:
                    break
                await asyncio.sleep(0)
        assert sent < len(payload)
        received = b""
        async with asyncio.timeout(2):
            while len(received) < len(payload):
                if sent < len(payload):
                    with contextlib.suppress(BlockingIOError):
                        sent += os.write(peer_fd, payload[sent : sent + 8192])
                received += port.read(65536)
                await asyncio.sleep(0)
    assert received == payload
    assert cable.bytes_dropped == 0


async def test_unplug_hangs_up_the_open_port_and_removes_the_link_until_replug(
    cable: PtyCable, peer_fd: int
) -> None:
    port = serial.Serial(str(cable.link_path), timeout=0)
    try:
        os.write(peer_fd, b"hello")
        assert await read_exactly(port.read, 5) == b"hello"

        await cable.unplug()
        assert not cable.plugged and not cable.link_path.exists()
        with pytest.raises(serial.SerialException, match="returned no data"):
            port.read(1)
        with pytest.raises(serial.SerialException, match="write failed.*Input/output error"):
            port.write(b"x")
        with pytest.raises(serial.SerialException) as reopen:
            serial.Serial(str(cable.link_path))
        assert reopen.value.errno == errno.ENOENT

        os.write(peer_fd, b"lost")  # nobody is plugged in: dropped
        await until(lambda: cable.bytes_dropped == 4)
    finally:
        port.close()

    await cable.replug()
    assert cable.plugged and os.path.realpath(cable.link_path) == cable.driver_port
    with serial.Serial(str(cable.link_path), timeout=0) as port:
        os.write(peer_fd, b"back")
        assert await read_exactly(port.read, 4) == b"back"
        port.write(b"to the same peer")
        assert await read_exactly(fd_reader(peer_fd), 16) == b"to the same peer"


async def test_unplug_and_replug_are_idempotent(cable: PtyCable) -> None:
    first = cable.driver_port
    await cable.replug()
    assert cable.driver_port == first
    await cable.unplug()
    await cable.unplug()
    assert cable.driver_port is None
    await cable.replug()
    assert cable.plugged and cable.link_path.is_symlink()


async def test_manipulator_corrupts_drops_and_can_be_removed(cable: PtyCable, peer_fd: int) -> None:
    seen: list[tuple[str, bytes]] = []

    def corrupt_to_driver_drop_to_peer(direction: str, data: bytes) -> bytes:
        seen.append((direction, data))
        return data.replace(b"A", b"B") if direction == "to_driver" else b""

    driver_fd = open_raw(cable.link_path)
    try:
        cable.manipulate(corrupt_to_driver_drop_to_peer)
        os.write(peer_fd, b"AAA")
        assert await read_exactly(fd_reader(driver_fd), 3) == b"BBB"
        os.write(driver_fd, b"request")
        await assert_silent(fd_reader(peer_fd))
        assert seen == [("to_driver", b"AAA"), ("to_peer", b"request")]
        assert cable.bytes_dropped == 7

        cable.manipulate(None)
        os.write(driver_fd, b"request")
        assert await read_exactly(fd_reader(peer_fd), 7) == b"request"
    finally:
        os.close(driver_fd)


async def test_delay_to_driver_holds_bytes_back_and_keeps_their_order(cable: PtyCable, peer_fd: int) -> None:
    driver_fd = open_raw(cable.link_path)
    read = fd_reader(driver_fd)
    loop = asyncio.get_running_loop()
    try:
        cable.delay_to_driver_s = 0.15
        started = loop.time()
        os.write(peer_fd, b"first ")
        await asyncio.sleep(0.02)
        cable.delay_to_driver_s = 0.0  # later bytes must still wait behind the delayed ones
        os.write(peer_fd, b"second")
        data, first_at = b"", None
        async with asyncio.timeout(1):
            while len(data) < 12:
                if (chunk := read()) and first_at is None:
                    first_at = loop.time()
                data += chunk
                await asyncio.sleep(0.001)
        assert data == b"first second"
        assert first_at - started >= 0.15
    finally:
        os.close(driver_fd)


async def test_baud_emulation_takes_the_wire_time_of_every_byte(cable: PtyCable, peer_fd: int) -> None:
    driver_fd = open_raw(cable.link_path)
    loop = asyncio.get_running_loop()
    try:
        cable.baud = 9600  # 10 bits a byte: 960 bytes a second
        started = loop.time()
        for _ in range(4):
            os.write(peer_fd, bytes(48))  # 4 x 48 bytes = 0.2 s of wire time
        data = await read_exactly(fd_reader(driver_fd), 192, timeout=2)
        elapsed = loop.time() - started
        assert data == bytes(192)
        assert 0.19 <= elapsed < 0.6, elapsed
        cable.baud = None
        started = loop.time()
        os.write(peer_fd, bytes(192))
        await read_exactly(fd_reader(driver_fd), 192)
        assert loop.time() - started < 0.05
    finally:
        os.close(driver_fd)


async def test_close_leaves_no_fds_no_link_and_is_idempotent(tmp_path: Path) -> None:
    fds_before = set(os.listdir("/proc/self/fd"))
    cable = PtyCable(tmp_path / "link")
    await cable.start()
    peer_fd = open_raw(cable.peer_port)
    os.write(peer_fd, b"in flight")
    cable.delay_to_driver_s = 5.0  # a pending timer must not survive close()
    os.write(peer_fd, b"delayed")
    await asyncio.sleep(0.01)
    await cable.unplug()
    await cable.replug()
    await cable.close()
    await cable.close()
    os.close(peer_fd)
    assert not cable.link_path.exists() and not cable.link_path.is_symlink()
    assert set(os.listdir("/proc/self/fd")) == fds_before
    with pytest.raises(RuntimeError):
        await cable.replug()


async def test_a_failed_start_leaves_nothing_behind(tmp_path: Path) -> None:
    fds_before = set(os.listdir("/proc/self/fd"))
    cable = PtyCable(tmp_path / "no-such-dir" / "link")
    with pytest.raises(FileNotFoundError):
        await cable.start()
    assert set(os.listdir("/proc/self/fd")) == fds_before
