"""A Modbus site for the tests: a real pymodbus IO module peer on one end of a pty cable,
the real daemon (store, supervisors, drivers) on the other, on a FakeClock.

Only time is fake. The bytes on the cable, the peer's answers and pymodbus's
request timeout are real; so the clock moves on only once the site is quiet
(:func:`quiet_clock`): no request on the line, no bus connect and no store
write in flight. Every poll, pulse and held-open timer then happens at an exact clock time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from drivers.modbus.bus import ModbusRtuBus
from drivers.peers.io_module import IoModulePeer
from drivers.peers.pty_cable import PtyCable
from edge.bench.io_site import MODULES, modbus_site
from edge.daemon.app import Daemon
from edge.events.model import Event
from tests.fakes import FakeClock, InFlight, settle_when
from tests.harness import running_daemon


class RealIO:
    """What the daemons of a test have in flight on real I/O: a request on a Modbus line (or the
    line draining after a failure), a bus connect, a store write."""

    def __init__(self) -> None:
        self._calls = InFlight()
        self._buses: list[ModbusRtuBus] = []

    def watch(self, daemon: Daemon) -> Daemon:
        """Count ``daemon``'s store writes and bus connects from now on (call before it runs)."""
        self._calls.watch(daemon.writer, "append", "run")
        for driver in daemon.drivers.values():
            if isinstance(driver, ModbusRtuBus):
                self._buses.append(driver)
                self._calls.watch(driver, "connect")
        return daemon

    def busy(self) -> bool:
        return self._calls.count > 0 or any(bus.line_busy for bus in self._buses)


def quiet_clock() -> tuple[FakeClock, RealIO]:
    """A FakeClock that moves on only once the watched daemons' real I/O is done."""
    real_io = RealIO()
    return FakeClock(settle=settle_when(real_io.busy)), real_io


@dataclass
class ModbusSite:
    cable: PtyCable
    peer: IoModulePeer
    daemon: Daemon
    events: list[Event]
    clock: FakeClock

    def of_type(self, type_: str, device_id: str | None = None) -> list[Event]:
        return [e for e in self.events if e.type == type_ and (device_id is None or e.device_id == device_id)]

    async def wait_for(self, type_: str, device_id: str | None = None, count: int = 1, within_s: float = 5) -> Event:
        """Run the clock until the ``count``-th such event is stored (``within_s`` of clock time)."""
        await self.clock.run_until(lambda: len(self.of_type(type_, device_id)) >= count, within_s)
        return self.of_type(type_, device_id)[count - 1]

    @staticmethod
    def between(first: Event, then: Event) -> float:
        """Clock seconds from ``first`` to ``then`` happening, to the microsecond."""
        return round((then.occurred_at - first.occurred_at).total_seconds(), 6)

    def all_online(self) -> bool:
        return self.daemon.health.counts()["online"] == 3


@pytest.fixture
def backoff() -> tuple[float, float]:
    return (0.05, 0.5)


@pytest.fixture
async def site(tmp_path: Path, backoff: tuple[float, float]) -> AsyncIterator[ModbusSite]:
    async with PtyCable(tmp_path / "usb-rs485") as cable, IoModulePeer(
        cable.peer_port, MODULES, baudrate=115200
    ) as peer:
        config = modbus_site(tmp_path / "var", cable.link_path, backoff=backoff)
        clock, real_io = quiet_clock()
        async with running_daemon(config, clock=clock, online=3, prepare=real_io.watch) as running:
            yield ModbusSite(cable, peer, running.daemon, running.events, clock)
