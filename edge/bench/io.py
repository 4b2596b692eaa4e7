"""``edge bench io``: latency of the Modbus path, end to end, against a real peer.

The daemon (store, supervisors, drivers) runs on one end of a pty cable and
pymodbus's server plays the IO module on the other, exactly as in the tests.

* ``sos_to_event``: the peer's SOS input changes -> ``sos.pressed`` committed
  in the store (announced after the commit).
* ``grant_to_relay``: an access decision (``gate.open`` through the command
  router) -> the peer has switched the relay; ``command_roundtrip`` adds the
  acknowledgement and the two events the command stores.

Presses start at random phases of the poll cycle. The cable emulates the
RS-485 line's speed (19200 baud by default: 10 bits a byte, one byte at a
time), so every poll and relay write pays its real wire time.
"""

from __future__ import annotations

import asyncio
import io
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from drivers.peers.io_module import IoModulePeer
from drivers.peers.pty_cable import PtyCable
from edge.bench.io_site import GATE_UNIT, MODULES, RELAY_COIL, SOS_INPUT, SOS_UNIT, modbus_site
from edge.commands import Caller, CommandRequest
from edge.daemon.app import Daemon
from edge.events.model import Event
from edge.timesync import ClockSync


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)


async def _sos_latencies(daemon: Daemon, peer: IoModulePeer, presses: int, rng: random.Random) -> list[float]:
    arrivals: asyncio.Queue[float] = asyncio.Queue()

    def on_event(event: Event) -> None:
        arrivals.put_nowait(time.monotonic())

    unsubscribe = daemon.bus.subscribe(on_event, types=["sos.pressed", "sos.released"])
    latencies = []
    try:
        for _ in range(presses):
            await asyncio.sleep(rng.uniform(0.08, 0.15))  # past the debounce, at a random poll phase
            started = time.monotonic()
            peer.set_input(SOS_UNIT, SOS_INPUT, True)
            async with asyncio.timeout(5):
                latencies.append(await arrivals.get() - started)
            await asyncio.sleep(rng.uniform(0.08, 0.15))
            peer.set_input(SOS_UNIT, SOS_INPUT, False)
            async with asyncio.timeout(5):
                await arrivals.get()
    finally:
        unsubscribe()
    return latencies


async def _grant_latencies(daemon: Daemon, peer: IoModulePeer, grants: int, rng: random.Random):  # type: ignore[no-untyped-def]
    to_relay, roundtrip = [], []
    for _ in range(grants):
        await asyncio.sleep(rng.uniform(0.0, 0.05))
        writes = len(peer.coil_writes)
        started = time.monotonic()
        command = CommandRequest("gate.open", "gate-north", {"ms": 100}, caller=Caller.bench())
        result = await daemon.commands.dispatch(command)
        done = time.monotonic()
        if not result.ok:
            raise RuntimeError(f"gate.open failed: {result.detail}")
        write = next(w for w in peer.coil_writes[writes:] if (w.unit, w.index, w.value) == (GATE_UNIT, RELAY_COIL, True))
        to_relay.append(write.at - started)
        roundtrip.append(done - started)
        await peer.wait_coil(GATE_UNIT, RELAY_COIL, False, timeout=2)  # let the pulse end
    return to_relay, roundtrip


async def _all_online(daemon: Daemon) -> None:
    async with asyncio.timeout(10):
        while daemon.health.counts()["online"] < len(daemon.drivers):  # noqa: ASYNC110 - polling health is fine here
            await asyncio.sleep(0.01)


async def _measure(presses: int, grants: int, poll_ms: int, baud: int | None, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="edge-bench-io-") as tmp:
        async with PtyCable(Path(tmp) / "usb-rs485") as cable, IoModulePeer(
            cable.peer_port, MODULES, baudrate=115200
        ) as peer:
            cable.baud = baud
            daemon = Daemon(modbus_site(Path(tmp) / "var", cable.link_path, poll_ms=poll_ms),
                            clock_sync=ClockSync(fixed=True), out=io.StringIO())
            stop = asyncio.Event()
            async with asyncio.TaskGroup() as group:
                group.create_task(daemon.run(stop))
                await _all_online(daemon)
                sos = await _sos_latencies(daemon, peer, presses, rng)
                to_relay, roundtrip = await _grant_latencies(daemon, peer, grants, rng)
                counters = dict(daemon.drivers["rs485"].counters)
                stop.set()
    return {
        "sos_to_event_p50_ms": _ms(sos, 0.5),
        "sos_to_event_p99_ms": _ms(sos, 0.99),
        "sos_to_event_max_ms": _ms(sos, 1.0),
        "grant_to_relay_p50_ms": _ms(to_relay, 0.5),
        "grant_to_relay_p99_ms": _ms(to_relay, 0.99),
        "command_roundtrip_p99_ms": _ms(roundtrip, 0.99),
        "presses": presses,
        "grants": grants,
        "poll_interval_ms": poll_ms,
        "bus_counters": counters,
        "line_baud": baud,
        "link": "pty cable to pymodbus's server" + (f", {baud} baud wire time emulated" if baud else ", no wire time"),
    }


def run(presses: int = 200, grants: int = 200, poll_ms: int = 50, baud: int | None = 19200, seed: int = 1) -> dict:
    return asyncio.run(_measure(presses, grants, poll_ms, baud, seed))
