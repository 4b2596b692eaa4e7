"""A gate whose module has relays only (polled once a second for life) still ends its pulse on time."""

from __future__ import annotations

from pathlib import Path

from drivers.peers.io_module import IoModulePeer
from drivers.peers.pty_cable import PtyCable
from edge.commands import Caller, CommandRequest
from tests.harness import running_daemon
from tests.modbus.conftest import quiet_clock
from tests.sites import load_site


async def test_a_pulse_on_a_relay_only_module_ends_on_time(tmp_path: Path) -> None:
    async with PtyCable(tmp_path / "usb") as cable, IoModulePeer(cable.peer_port, {4: (2, 0)}, baudrate=115200) as peer:
        clock, real_io = quiet_clock()
        site = load_site("modbus-relay-only-gate", data=tmp_path / "var", port=cable.link_path)
        async with running_daemon(site, clock=clock, online=2, prepare=real_io.watch) as running:
            daemon = running.daemon
            await clock.advance(0.02)  # between two polls
            result = await daemon.commands.dispatch(CommandRequest("gate.open", "side-door", {"ms": 300}, caller=Caller.cli()))
            assert result.ok, result.detail
            assert peer.coil(4, 1) is True
            took = await clock.run_until(lambda: peer.coil(4, 1) is False, 2)
    relays = running.of_type("gate.relay")
    assert round(took, 6) == 0.3, "ended on the clock, not at the module's next once-a-second check"
    opened, closed = relays[-2:]
    assert [(e.data["state"], e.data["reason"]) for e in (opened, closed)] == [("open", "pulse"), ("locked", "pulse-end")]
    assert round((closed.occurred_at - opened.occurred_at).total_seconds(), 6) == 0.3
    assert [(w.index, w.value) for w in peer.coil_writes if w.unit == 4][-2:] == [(1, True), (1, False)]
