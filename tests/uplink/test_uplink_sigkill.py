"""The daemon SIGKILLed mid-drain: after a restart the district has every event exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

from edge.bench.district import DistrictServer
from edge.events.model import EventDraft
from edge.store import StoreWriter
from tests.fakes import wait_until
from tests.sites import site_text
from tests.uplink.conftest import uplink_values

REPO = Path(__file__).resolve().parents[2]
#: added to the uplink site for box-9: small batches, so a kill lands mid-drain
EXTRA = """batch_max_events = 100
[uplink.https]
base_url = "{url}"
"""


async def start_daemon(config: Path) -> asyncio.subprocess.Process:
    env = {**os.environ, "EDGE_TEST_BOX_TOKEN": "box-token", "PYTHONPATH": str(REPO)}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "edge", "run", "--config", str(config),
        cwd=REPO, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )


async def test_sigkill_mid_batch_then_restart_delivers_each_event_once(tmp_path: Path) -> None:
    async with DistrictServer(tokens=["box-token"]) as district:
        config = tmp_path / "site.toml"
        config.write_text(site_text("uplink", extra=EXTRA, url=district.base_url,
                                     **uplink_values("box-9", tmp_path / "var")))
        async with StoreWriter(tmp_path / "var" / "events.db") as writer:  # a backlog from days offline
            await asyncio.gather(*(
                writer.append(EventDraft("door.opened", 3, datetime.now(UTC), True, "gate-1", {"i": i}))
                for i in range(6000)
            ))
        district.delay_s = 0.02  # batches take a moment, so the kill lands mid-drain
        daemon = await start_daemon(config)
        try:
            await wait_until(lambda: len(district.seqs("box-9")) >= 1500, 30)
            daemon.send_signal(signal.SIGKILL)
            assert await daemon.wait() == -signal.SIGKILL
        finally:
            if daemon.returncode is None:
                daemon.kill()
                await daemon.wait()
        received_before_restart = len(district.seqs("box-9"))
        assert received_before_restart < 6000, "the kill should land before the drain ends"
        daemon = await start_daemon(config)
        try:
            # 6,000 backlog + daemon.started/stopped events of both runs
            await wait_until(lambda: len(district.seqs("box-9")) >= 6002, 60)
        finally:
            daemon.send_signal(signal.SIGTERM)
            await daemon.wait()
    seqs = district.seqs("box-9")
    assert seqs == list(range(1, len(seqs) + 1)), "gap in the district's seq"
    ids = [e["event_id"] for e in district.arrived("box-9")]
    assert len(ids) == len(set(ids)) and len(ids) >= 6002
