"""``edge bench broadcast``: how fast a life-safety announcement cuts into a running notice.

A real file-sink speaker plays a long notice; an SOS announcement (spoken by
the offline synthesizer, a new text each time so the cache does not help) is
submitted; the figure is the time from submission until the speaker has begun
the announcement.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from drivers.sim.speaker import SimSpeaker, SimSpeakerConfig
from edge.broadcast.config import BroadcastConfig
from edge.broadcast.manager import BroadcastManager
from edge.broadcast.model import Announcement, Urgency
from edge.broadcast.render import Speech
from edge.events.types.broadcast import BroadcastPlayed


async def _measure(runs: int, tmp: Path) -> dict[str, Any]:
    latencies: list[float] = []
    started: asyncio.Queue[BroadcastPlayed] = asyncio.Queue()

    async def record(event: BroadcastPlayed, **_: Any) -> None:
        if event.urgency == "life_safety" and event.result == "ok":
            latencies.append(event.started_after_ms)
            await started.put(event)

    async def emit(_event: Any) -> None:
        return None

    speaker = SimSpeaker(SimSpeakerConfig(id="spk", out_dir=tmp / "out"), emit)
    await speaker.connect()
    async with Speech(tmp / "tts", 64) as speech, asyncio.TaskGroup() as group:
        player = group.create_task(speaker.run())
        manager = BroadcastManager(BroadcastConfig(), {"spk": speaker}, speech.render, record)
        runner = group.create_task(manager.run())
        for n in range(runs):
            await manager.announce(Announcement(text="本周六上午九点到十一点停水，请提前储水。" * 3, urgency=Urgency.SCHEDULED))
            await asyncio.sleep(0.3)
            await manager.announce(Announcement(text=f"{n + 1}号楼2单元，一键报警", urgency=Urgency.LIFE_SAFETY,
                                                resume_if_interrupted=False))
            await asyncio.wait_for(started.get(), 10)
        runner.cancel()
        player.cancel()
    await speaker.close()
    latencies.sort()
    return {
        "runs": runs,
        "preempt_ms_p50": latencies[len(latencies) // 2],
        "preempt_ms_p95": latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))],
        "preempt_ms_max": latencies[-1],
        "speech": "espeak-ng (offline), uncached Mandarin",
    }


def run(runs: int = 10) -> dict[str, Any]:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="edge-bench-broadcast-") as tmp:
        result = asyncio.run(_measure(runs, Path(tmp)))
    result["seconds"] = round(time.monotonic() - started, 1)
    return result
