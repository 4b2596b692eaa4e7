"""A bus behind a network serial server: ``port = "socket://..."`` works like a local port."""

from __future__ import annotations

from pathlib import Path

from drivers.peers.io_module import IoModulePeer
from drivers.peers.serial_server import SerialServerPeer
from edge.bench.io_site import MODULES, SOS_INPUT, SOS_UNIT, modbus_site
from tests.harness import running_daemon
from tests.modbus.conftest import quiet_clock


async def test_sos_over_a_tcp_serial_server_and_recovery_after_a_network_cut(tmp_path: Path) -> None:
    async with SerialServerPeer() as server, IoModulePeer(server.peer_port, MODULES, baudrate=115200) as peer:
        config = modbus_site(tmp_path / "var", Path("/placeholder"), backoff=(0.05, 0.5))
        config = config.model_copy(update={"devices": [
            d.model_copy(update={"port": server.url}) if d.kind == "modbus.rtu_bus" else d for d in config.devices
        ]})
        clock, real_io = quiet_clock()
        async with running_daemon(config, clock=clock, online=3, prepare=real_io.watch) as running:
            daemon, seen = running.daemon, running.events
            peer.set_input(SOS_UNIT, SOS_INPUT, True)
            await clock.run_until(lambda: any(e.type == "sos.pressed" for e in seen), 5)
            await server.drop_client()  # the network between box and serial server drops
            await clock.run_until(lambda: any(e.type == "device.offline" and e.device_id == "rs485" for e in seen), 5)
            await clock.run_until(lambda: daemon.health.counts()["online"] == 3, 10)
    assert daemon.drivers["rs485"].config.port.startswith("socket://127.0.0.1:")
