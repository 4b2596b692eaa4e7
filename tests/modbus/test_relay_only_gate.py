"""A gate whose module has relays only (polled once a second for life) still ends its pulse on time."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from drivers.peers.io_module import IoModulePeer
from drivers.peers.pty_cable import PtyCable
from edge.commands import Caller, CommandRequest
from edge.config.loader import parse_config
from edge.daemon.app import Daemon
from edge.timesync import ClockSync
from tests.fakes import wait_until

SITE = """
[site]
box_id = "b"
[store]
data_dir = "{data}"
[console]
enabled = false
[[devices]]
kind = "modbus.rtu_bus"
id = "bus"
port = "{port}"
baudrate = 115200
[[devices.modules]]
unit = 4
coils = 2
[[devices]]
kind = "modbus.gate"
id = "side-door"
bus = "bus"
relay = {{ unit = 4, index = 1 }}
"""


async def test_a_pulse_on_a_relay_only_module_ends_on_time(tmp_path: Path) -> None:
    async with PtyCable(tmp_path / "usb") as cable, IoModulePeer(cable.peer_port, {4: (2, 0)}, baudrate=115200) as peer:
        daemon = Daemon(parse_config(SITE.format(data=tmp_path / "var", port=cable.link_path)),
                        clock_sync=ClockSync(fixed=True), out=io.StringIO())
        stop = asyncio.Event()
        async with asyncio.TaskGroup() as group:
            group.create_task(daemon.run(stop))
            await wait_until(lambda: daemon.health.counts()["online"] == 2, 10)
            result = await daemon.commands.dispatch(CommandRequest("gate.open", "side-door", {"ms": 300}, caller=Caller.cli()))
            assert result.ok, result.detail
            opened = await peer.wait_coil(4, 1, True, timeout=1) or peer.coil_writes[-1]
            closed = await peer.wait_coil(4, 1, False, timeout=2)
            stop.set()
    assert closed is not None and 0.28 <= closed.at - opened.at <= 0.45, closed.at - opened.at
