"""LcusRelayGate against a fake board over a real pseudo-terminal (and a TCP socket).

The board (:class:`LcusBoardPeer`) owns the pty master; the driver opens the
slave through a symlink, as it would a /dev/serial/by-id path, so "replugging"
is pointing the symlink at a new pty. Closing the master is pulling the cable.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import tty
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError
from structlog.testing import capture_logs

from drivers import registry
from drivers.base import Command, DriverError, HealthState, Probe
from drivers.events import RelayChanged
from drivers.peers.lcus_board import LcusBoardPeer
from drivers.relay.lcus.driver import LcusRelayConfig, LcusRelayGate
from drivers.relay.lcus.framer import SwitchFrame, encode
from drivers.relay.lcus.protocol import LcusProtocol, RequestTimeout, SerialLink
from tests.drivers.fakes import EventSink, eventually, running
from tests.fakes import FakeClock


class PtyLine:
    """A pty pair behind a stable symlink; ``plug()`` makes a new pair and returns its master fd."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self._slaves: list[int] = []

    def plug(self) -> int:
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no line editing, before anyone writes
        self._slaves.append(slave)  # held open: the master only sees the driver's open/close as traffic
        self.link.unlink(missing_ok=True)
        self.link.symlink_to(os.ttyname(slave))
        return master

    def close(self) -> None:
        for fd in self._slaves:
            os.close(fd)


@pytest.fixture
def line(tmp_path: Path) -> Iterator[PtyLine]:
    pty_line = PtyLine(tmp_path / "usb-1a86_USB_Serial-if00-port0")
    yield pty_line
    pty_line.close()


@pytest.fixture
async def board(line: PtyLine) -> AsyncIterator[LcusBoardPeer]:
    peer = LcusBoardPeer(line.plug(), channels=4)
    await peer.start()
    yield peer
    await peer.stop()


def make_gate(port: object, **settings: object) -> tuple[LcusRelayGate, EventSink, FakeClock]:
    sink, clock = EventSink(), FakeClock()
    config = LcusRelayConfig(id="gate-1", port=str(port), **settings)
    return LcusRelayGate(config, sink, clock), sink, clock


def relay(sink: EventSink) -> list[tuple[str, str]]:
    return [(e.state, e.reason) for e in sink.of(RelayChanged)]


# --- switching -----------------------------------------------------------------------


async def test_connect_locks_and_pulse_ends_on_the_clock(line: PtyLine, board: LcusBoardPeer) -> None:
    gate, sink, clock = make_gate(line.link, channel=2, pulse_ms=3000)
    async with running(gate):
        assert [(s.channel, s.on) for s in board.switches] == [(2, False)]  # locked on connect, read back
        result = await gate.execute(Command("gate.open"))
        assert result.ok and result.detail == "open for 3000 ms" and result.data == {"readback": "confirmed"}
        assert board.channel_state(2) and not board.channel_state(1)
        await clock.advance(2.9)
        assert board.channel_state(2) and gate.relay_state == "open"
        await clock.advance(0.1)
        await eventually(lambda: not board.channel_state(2) and len(sink.events) == 2)
    assert relay(sink) == [("open", "pulse"), ("locked", "pulse-end")]
    assert board.status_queries == 3 and gate.counters["garbage_bytes"] == 0


async def test_pulse_length_from_args_real_time(line: PtyLine, board: LcusBoardPeer) -> None:
    config = LcusRelayConfig(id="gate-1", port=str(line.link), pulse_ms=500, max_pulse_ms=1000)
    gate = LcusRelayGate(config, EventSink())  # the system clock
    async with running(gate):
        for bad in (0, 1001, "5", True):
            result = await gate.execute(Command("gate.open", {"ms": bad}))
            assert not result.ok and "ms must be" in result.detail
        assert (await gate.execute(Command("gate.open", {"ms": 150}))).ok
        await eventually(lambda: len(board.switches) == 3)
    opened, closed = board.switches[1:3]
    assert (opened.on, closed.on) == (True, False)
    assert 0.14 <= closed.at - opened.at < 0.6


async def test_hold_open_and_lock(line: PtyLine, board: LcusBoardPeer) -> None:
    gate, sink, clock = make_gate(line.link)
    async with running(gate):
        assert (await gate.execute(Command("gate.hold_open"))).detail == "held open"
        assert (await gate.execute(Command("gate.open"))).detail == "held open already"
        await clock.advance(600)
        assert board.channel_state(1)
        assert (await gate.execute(Command("gate.lock"))).detail == "locked"
        assert not board.channel_state(1)
        assert (await gate.execute(Command("gate.lock"))).detail == "locked already"
    assert relay(sink) == [("open", "hold"), ("locked", "lock")]


async def test_fail_safe_lock_inverts_the_relay(line: PtyLine, board: LcusBoardPeer) -> None:
    gate, sink, clock = make_gate(line.link, lock_type="fail_safe", pulse_ms=500)
    async with running(gate):
        assert board.channel_state(1)  # a maglock is locked while energised
        assert (await gate.execute(Command("gate.open"))).ok
        assert not board.channel_state(1)
        await clock.advance(0.5)
        await eventually(lambda: board.channel_state(1))
        assert (await gate.probe()).state is HealthState.ONLINE
    assert relay(sink) == [("open", "pulse"), ("locked", "pulse-end")]
    assert board.channel_state(1)  # close leaves it locked


async def test_close_leaves_the_lock_locked(line: PtyLine, board: LcusBoardPeer) -> None:
    gate, _sink, _clock = make_gate(line.link)
    async with running(gate):
        await gate.execute(Command("gate.hold_open"))
        assert board.channel_state(1)
    await eventually(lambda: not board.channel_state(1))
    await gate.close()  # idempotent


async def test_relay_that_does_not_move(line: PtyLine, board: LcusBoardPeer) -> None:
    gate, sink, _clock = make_gate(line.link)
    async with running(gate) as run:
        board.stuck = True
        result = await gate.execute(Command("gate.open"))
        assert not result.ok and "did not switch to open" in result.detail
        assert sink.events == [] and gate.counters["readback_mismatches"] == 1
        board.stuck = False
        assert (await gate.execute(Command("gate.hold_open"))).ok
        board.stuck = True
        assert not (await gate.execute(Command("gate.lock"))).ok
        with pytest.raises(DriverError, match="did not lock"):
            await asyncio.wait_for(run, 2)  # the supervisor reconnects, and connect locks again


# --- unplugging and reconnecting ---------------------------------------------------------


async def test_unplug_makes_run_raise_and_a_new_pty_reconnects(line: PtyLine, board: LcusBoardPeer) -> None:
    gate, sink, _clock = make_gate(line.link)
    async with running(gate) as run:
        await gate.execute(Command("gate.hold_open"))
        await board.stop()  # the cable is pulled
        with pytest.raises(DriverError, match="read failed"):
            await asyncio.wait_for(run, 2)
        assert (await gate.probe()).state is HealthState.OFFLINE
        assert not (await gate.execute(Command("gate.open"))).ok
    with pytest.raises(DriverError):
        await gate.connect()  # the symlink still points at the dead pty

    new_board = LcusBoardPeer(line.plug())
    await new_board.start()
    try:
        async with running(gate):
            await eventually(lambda: len(sink.events) == 2)
            assert not new_board.channel_state(1)
            assert (await gate.execute(Command("gate.open"))).ok and new_board.channel_state(1)
    finally:
        await new_board.stop()
    assert relay(sink) == [("open", "hold"), ("locked", "connect"), ("open", "pulse")]


async def test_connect_to_a_missing_port_leaves_nothing_behind(tmp_path: Path) -> None:
    gate, _sink, _clock = make_gate(tmp_path / "nothing-here")
    with pytest.raises(DriverError, match="cannot open"):
        await gate.connect()
    assert (await gate.probe()).state is HealthState.OFFLINE
    await gate.close()


# --- noise, silence and timeouts -----------------------------------------------------------


async def test_garbage_from_the_board_is_counted_and_logged_once_per_burst(
    line: PtyLine, board: LcusBoardPeer
) -> None:
    gate, _sink, clock = make_gate(line.link)
    with capture_logs() as logs:
        async with running(gate):
            for _ in range(3):
                board.send(b"\x00\xaa line noise\r\n")
            await eventually(lambda: gate.counters["bad_lines"] == 3)
            assert (await gate.execute(Command("gate.open"))).data == {"readback": "confirmed"}
            board.send(b"\x13\x11CH1: ON\r\n")  # noise on the front of a good line
            await eventually(lambda: gate.counters["garbage_bytes"] == 3 * 13 + 2)
            await clock.advance(10)  # quiet for a while: the next noise is a new burst
            board.send(b"\x00\n")
            await eventually(lambda: gate.counters["bad_lines"] == 4)
            assert (await gate.execute(Command("gate.lock"))).ok
    bursts = [entry for entry in logs if entry["event"] == "lcus.garbage"]
    assert len(bursts) == 2 and bursts[1]["total"] == 42  # the first may cover one, two or all three lines


async def test_probe_notices_a_relay_switched_behind_its_back(line: PtyLine, board: LcusBoardPeer) -> None:
    gate, _sink, _clock = make_gate(line.link)
    async with running(gate):
        assert await gate.probe() == Probe(HealthState.ONLINE)
        intruder = os.open(line.link, os.O_RDWR | os.O_NOCTTY)
        try:
            os.write(intruder, encode(SwitchFrame(1, True)))
            await eventually(lambda: board.channel_state(1))
        finally:
            os.close(intruder)
        assert await gate.probe() == Probe(HealthState.DEGRADED, "relay reads on, expected off")


async def test_board_without_status_query_is_degraded_not_failed(line: PtyLine) -> None:
    peer = LcusBoardPeer(line.plug(), answers_status=False)
    await peer.start()
    gate, sink, _clock = make_gate(line.link, request_timeout_ms=100)
    try:
        async with running(gate):
            assert await gate.probe() == Probe(HealthState.DEGRADED, "no status reply")
            result = await gate.execute(Command("gate.open"))
            assert result.ok and result.detail.endswith("(not confirmed: no status reply)")
            assert peer.channel_state(1) and relay(sink) == [("open", "pulse")]
    finally:
        await peer.stop()
    assert gate.counters["unconfirmed"] == 2 and gate.counters["request_timeouts"] == 3


async def test_status_query_off_never_asks(line: PtyLine, board: LcusBoardPeer) -> None:
    gate, _sink, _clock = make_gate(line.link, status_query=False)
    async with running(gate):
        assert (await gate.execute(Command("gate.open"))).data == {"readback": "off"}
        assert (await gate.probe()).state is HealthState.ONLINE
    assert board.status_queries == 0 and board.channel_state(1) is False


async def test_request_timeout_covers_the_wait_for_the_lock(line: PtyLine) -> None:
    peer = LcusBoardPeer(line.plug(), answers_status=False)
    await peer.start()
    counters: Counter[str] = Counter()
    protocol = LcusProtocol(0.1, counters, FakeClock(), lambda: None)
    await protocol.open(str(line.link), 9600)
    try:
        started = time.monotonic()
        results = await asyncio.gather(protocol.read_channel(1), protocol.read_channel(1), return_exceptions=True)
        assert all(isinstance(r, RequestTimeout) for r in results)
        assert 0.09 <= time.monotonic() - started < 0.5  # the second one timed out waiting for the first
        await protocol.switch(1, True)  # the link is still good
        await eventually(lambda: peer.channel_state(1))
    finally:
        await protocol.close()
        await peer.stop()
    assert counters["request_timeouts"] == 2


# --- other pyserial URLs and the peer ----------------------------------------------------------


async def test_socket_url() -> None:
    loop = asyncio.get_running_loop()
    server = socket.create_server(("127.0.0.1", 0))
    server.setblocking(False)

    async def accept_one() -> LcusBoardPeer:
        conn, _ = await loop.sock_accept(server)
        peer = LcusBoardPeer(conn.detach())
        await peer.start()
        return peer

    accepting = asyncio.create_task(accept_one())
    gate, sink, clock = make_gate(f"socket://127.0.0.1:{server.getsockname()[1]}", pulse_ms=200)
    try:
        async with running(gate):
            peer = await accepting
            assert (await gate.execute(Command("gate.open"))).data == {"readback": "confirmed"}
            await clock.advance(0.2)
            await eventually(lambda: len(sink.events) == 2)
        assert not peer.channel_state(1) and len(peer.switches) == 4
        await peer.stop()
    finally:
        server.close()
        accepting.cancel()


async def test_a_port_without_a_file_descriptor_is_polled() -> None:
    received: list[bytes] = []
    link = await SerialLink.open("loop://", 9600, received.append, lambda reason: None)
    link.write(b"\xff")
    await eventually(lambda: received == [b"\xff"])
    await link.close()
    assert link.lost_reason == "closed"


class StubPort:
    """A port whose fd is readable (a pipe with a byte in it) but whose reads say what the test wants."""

    port = "stub"

    def __init__(self, read_result: bytes | Exception) -> None:
        self._rx, self._tx = os.pipe()
        os.write(self._tx, b"x")
        self._read_result = read_result

    def fileno(self) -> int:
        return self._rx

    def read(self, size: int) -> bytes:
        if isinstance(self._read_result, Exception):
            raise self._read_result
        return self._read_result

    def close(self) -> None:
        os.close(self._rx)
        os.close(self._tx)


@pytest.mark.parametrize(
    ("read_result", "reason"),
    [(b"", "device returned no data (unplugged?)"), (OSError(5, "Input/output error"), "read failed: [Errno 5]")],
)
async def test_link_lost_on_endless_empty_reads_or_read_errors(read_result: object, reason: str) -> None:
    port = StubPort(read_result)  # type: ignore[arg-type]
    lost: list[str] = []
    link = SerialLink(port, lambda data: None, lost.append)  # type: ignore[arg-type]
    link._start_reading()
    await eventually(lambda: lost != [])
    assert lost[0].startswith(reason) and link.lost_reason == lost[0]
    with pytest.raises(DriverError, match="read failed|no data"):
        link.write(b"\xff")
    await link.close()


async def test_peer_ignores_bad_frames(line: PtyLine) -> None:
    peer = LcusBoardPeer(line.plug(), channels=2)
    await peer.start()
    host = os.open(line.link, os.O_RDWR | os.O_NOCTTY)
    try:
        os.write(host, b"\x00" + bytes.fromhex("A00101A3") + encode(SwitchFrame(2, True)) + encode(SwitchFrame(5, True)))
        await eventually(lambda: peer.channel_state(2))
        assert peer.bad_frames == 1 and peer.garbage_bytes == 4 and peer.ignored_frames == 1
        assert not peer.channel_state(1)
    finally:
        os.close(host)
        await peer.stop()


# --- config and registry -----------------------------------------------------------------


def test_config_validation() -> None:
    with pytest.raises(ValidationError, match="pulse_ms must not exceed"):
        LcusRelayConfig(id="g", port="/dev/null", pulse_ms=5000, max_pulse_ms=4000)
    for bad in ({"channel": 9}, {"channel": 0}, {"port": ""}, {"lock_type": "magic"}, {"speed": 1}):
        with pytest.raises(ValidationError):
            LcusRelayConfig(id="g", **{"port": "/dev/null", **bad})
    config = LcusRelayConfig(id="g", port="/dev/serial/by-id/usb-1a86")
    assert (config.baudrate, config.channel, config.pulse_ms, config.lock_type) == (9600, 1, 3000, "fail_secure")
    assert config.status_query and "by-id" in LcusRelayConfig.model_json_schema()["properties"]["port"]["description"]


def test_registered() -> None:
    assert registry.driver_class("lcus.relay") is LcusRelayGate
