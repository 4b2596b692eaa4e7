"""``edge bench uplink``: drain a 100,000-event backlog to a loopback district, with alarms on top.

The daemon runs as its own process (so its memory is measured alone) on a
store pre-filled with the backlog, as after days offline. While it drains,
an SOS button is pressed every ``alarm_every_s`` through the control socket;
each alarm is timed from its commit to its arrival at the district.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import psutil

from edge.bench.district import DistrictServer
from edge.events.model import EventDraft
from edge.store.writer import StoreWriter

_SITE = """
[site]
box_id = "bench-box"
[store]
data_dir = "{data}"
[console]
enabled = false
[logging]
level = "warning"
format = "json"
[uplink]
token = {{ env = "EDGE_BENCH_TOKEN" }}
[uplink.https]
base_url = "{url}"
[[devices]]
kind = "sim.sos"
id = "sos-1"
"""


async def _prefill(db: Path, events: int) -> None:
    async with StoreWriter(db) as writer:
        for start in range(0, events, 1000):
            await asyncio.gather(*(
                writer.append(EventDraft("door.opened", 3, datetime.now(UTC), True, "gate-1", {"n": n, "person": "p01234"}))
                for n in range(start, min(start + 1000, events))
            ))


async def _command(socket_path: Path, kind: str) -> None:
    body = {"device_id": "sos-1", "type": kind}  # recorded with source "cli": the control socket's caller
    async with (
        aiohttp.ClientSession(connector=aiohttp.UnixConnector(path=str(socket_path))) as session,
        session.post("http://edge/commands", json=body) as response,
    ):
        answer = await response.json()
        if not answer.get("ok"):
            raise RuntimeError(f"{kind} failed: {answer}")


class Arrivals:
    """Counts what reached the district by type, reading only what is new since the last look."""

    def __init__(self, district: DistrictServer, box_id: str) -> None:
        self._district, self._box_id = district, box_id
        self._seen = 0
        self.by_type: dict[str, int] = {}

    def count(self, type_: str) -> int:
        ids = self._district.arrivals[self._box_id]
        events = self._district.events[self._box_id]
        for event_id in ids[self._seen :]:
            kind = events[event_id]["type"]
            self.by_type[kind] = self.by_type.get(kind, 0) + 1
        self._seen = len(ids)
        return self.by_type.get(type_, 0)


async def _alarm(arrivals: Arrivals, socket_path: Path) -> float:
    before = arrivals.count("sos.pressed")
    started = time.monotonic()  # before the press: includes the control socket's round trip
    await _command(socket_path, "sim.press")
    while arrivals.count("sos.pressed") <= before:
        await asyncio.sleep(0.002)
    latency = time.monotonic() - started
    await _command(socket_path, "sim.release")
    return latency


async def _measure(events: int, alarm_every_s: float, tmp: Path) -> dict[str, Any]:
    data = tmp / "var"
    await _prefill(data / "events.db", events)
    async with DistrictServer(tokens=["bench-token"]) as district:
        config = tmp / "site.toml"
        config.write_text(_SITE.format(data=data, url=district.base_url))
        env = {**os.environ, "EDGE_BENCH_TOKEN": "bench-token"}
        launched = time.monotonic()  # the drain is timed from the daemon's launch, start-up included
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "edge", "run", "--config", str(config), env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            return await _drain(proc, district, data / "run" / "edge.sock", events, alarm_every_s, launched)
        finally:
            if proc.returncode is None:
                proc.terminate()
                await proc.wait()


async def _drain(
    proc: Any, district: DistrictServer, socket_path: Path, events: int, every_s: float, launched: float
) -> dict[str, Any]:
    async with asyncio.timeout(30):
        while not socket_path.exists():
            await asyncio.sleep(0.01)
    daemon = psutil.Process(proc.pid)
    rss_start = daemon.memory_info().rss
    alarms, rss_peak = [], rss_start
    arrivals = Arrivals(district, "bench-box")
    async with asyncio.timeout(600):
        while arrivals.count("door.opened") < events:
            alarms.append(await _alarm(arrivals, socket_path))
            rss_peak = max(rss_peak, daemon.memory_info().rss)
            await asyncio.sleep(every_s)
    elapsed = time.monotonic() - launched
    alarms.sort()
    return {
        "backlog_events": events,
        "drain_seconds": round(elapsed, 2),
        "drain_events_per_s": round(events / elapsed, 1),
        "alarms": len(alarms),
        "alarm_latency_ms_p50": round(alarms[len(alarms) // 2] * 1000, 1),
        "alarm_latency_ms_p95": round(alarms[min(len(alarms) - 1, int(0.95 * len(alarms)))] * 1000, 1),
        "alarm_latency_ms_max": round(alarms[-1] * 1000, 1),
        "rss_mb_start": round(rss_start / 2**20, 1),
        "rss_mb_peak": round(rss_peak / 2**20, 1),
        "rss_mb_end": round(daemon.memory_info().rss / 2**20, 1),
        "district_duplicates": district.duplicates,
    }


def run(events: int = 100_000, alarm_every_s: float = 0.05) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="edge-bench-uplink-") as tmp:
        return asyncio.run(_measure(events, alarm_every_s, Path(tmp)))
