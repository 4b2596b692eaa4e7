"""A bus behind a network serial server: ``port = "socket://..."`` works like a local port."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from drivers.peers.io_module import IoModulePeer
from drivers.peers.serial_server import SerialServerPeer
from edge.bench.io_site import MODULES, SOS_INPUT, SOS_UNIT, modbus_site
from edge.daemon.app import Daemon
from edge.timesync import ClockSync
from tests.modbus.conftest import quiet_clock, run_until_online


async def test_sos_over_a_tcp_serial_server_and_recovery_after_a_network_cut(tmp_path: Path) -> None:
    async with SerialServerPeer() as server, IoModulePeer(server.peer_port, MODULES, baudrate=115200) as peer:
        config = modbus_site(tmp_path / "var", Path("/placeholder"), backoff=(0.05, 0.5))
        config = config.model_copy(update={"devices": [
            d.model_copy(update={"port": server.url}) if d.kind == "modbus.rtu_bus" else d for d in config.devices
        ]})
        clock, real_io = quiet_clock()
        daemon = real_io.watch(Daemon(config, clock=clock, clock_sync=ClockSync(fixed=True), out=io.StringIO()))
        seen: list = []
        daemon.bus.subscribe(seen.append)
        stop = asyncio.Event()
        async with asyncio.TaskGroup() as group:
            group.create_task(daemon.run(stop))
            await run_until_online(clock, daemon, 3)
            peer.set_input(SOS_UNIT, SOS_INPUT, True)
            await clock.run_until(lambda: any(e.type == "sos.pressed" for e in seen), 5)
            await server.drop_client()  # the network between box and serial server drops
            await clock.run_until(lambda: any(e.type == "device.offline" and e.device_id == "rs485" for e in seen), 5)
            await clock.run_until(lambda: daemon.health.counts()["online"] == 3, 10)
            stop.set()
    assert daemon.drivers["rs485"].config.port.startswith("socket://127.0.0.1:")
