"""A Modbus site for the tests: a real pymodbus IO module peer on one end of a pty cable,
the real daemon (store, supervisors, drivers) on the other."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from drivers.peers.io_module import IoModulePeer
from drivers.peers.pty_cable import PtyCable
from edge.bench.io_site import MODULES, modbus_site
from edge.daemon.app import Daemon
from edge.events.model import Event
from edge.timesync import ClockSync
from tests.fakes import wait_until


@dataclass
class ModbusSite:
    cable: PtyCable
    peer: IoModulePeer
    daemon: Daemon
    events: list[Event]

    def of_type(self, type_: str, device_id: str | None = None) -> list[Event]:
        return [e for e in self.events if e.type == type_ and (device_id is None or e.device_id == device_id)]

    async def wait_for(self, type_: str, device_id: str | None = None, count: int = 1, timeout: float = 5) -> Event:
        await wait_until(lambda: len(self.of_type(type_, device_id)) >= count, timeout)
        return self.of_type(type_, device_id)[count - 1]

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
        daemon = Daemon(config, clock_sync=ClockSync(fixed=True), out=io.StringIO())
        events: list[Event] = []
        daemon.bus.subscribe(events.append)
        stop = asyncio.Event()
        async with asyncio.TaskGroup() as group:
            group.create_task(daemon.run(stop))
            site = ModbusSite(cable, peer, daemon, events)
            await wait_until(site.all_online, 10)
            yield site
            stop.set()
