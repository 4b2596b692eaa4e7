"""``edge bench store``: sustained ingest into the real store (WAL, synchronous=FULL, group commit).

``producers`` coroutines each append events back to back, the way many
drivers would under an event storm; every append is timed from the call to
the commit acknowledgement.
"""

from __future__ import annotations

import asyncio
import os
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edge.events.model import EventDraft
from edge.store.writer import StoreWriter

_TYPES = [("door.opened", 3), ("face.granted", 1), ("camera.stats", 3), ("device.online", 2), ("sos.pressed", 0)]


def _draft(i: int, rng: random.Random) -> EventDraft:
    kind, priority = _TYPES[i % len(_TYPES)]
    return EventDraft(
        type=kind,
        priority=priority,
        occurred_at=datetime.now(UTC),
        clock_synced=True,
        device_id=f"gate-{rng.randrange(40):02d}",
        data={"n": i, "distance": round(rng.random(), 3), "person_id": f"p{rng.randrange(7000):05d}"},
    )


async def _measure(path: Path, events: int, producers: int, max_batch: int) -> dict[str, Any]:
    latencies: list[float] = []
    async def producer(index: int, writer: StoreWriter) -> None:
        rng = random.Random(index)
        for i in range(events // producers + (index < events % producers)):
            draft = _draft(i, rng)
            started = time.perf_counter()
            await writer.append(draft)
            latencies.append(time.perf_counter() - started)

    async with StoreWriter(path, max_batch=max_batch) as writer:
        started = time.perf_counter()
        async with asyncio.TaskGroup() as group:
            for index in range(producers):
                group.create_task(producer(index, writer))
        elapsed = time.perf_counter() - started
        batches, committed = writer.batches, writer.committed
    latencies.sort()
    size = path.stat().st_size + _size(path.with_name(path.name + "-wal"))
    return {
        "events": committed,
        "producers": producers,
        "seconds": round(elapsed, 3),
        "events_per_s": round(committed / elapsed, 1),
        "p50_commit_ms": round(_pct(latencies, 0.50) * 1000, 3),
        "p99_commit_ms": round(_pct(latencies, 0.99) * 1000, 3),
        "max_commit_ms": round(latencies[-1] * 1000, 3),
        "transactions": batches,
        "mean_events_per_transaction": round(committed / max(batches, 1), 1),
        "db_bytes_per_event": round(size / max(committed, 1), 1),
        "journal_mode": "wal",
        "synchronous": "FULL",
    }


def _pct(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def run(events: int = 50_000, producers: int = 32, max_batch: int = 256, directory: Path | None = None) -> dict:
    with tempfile.TemporaryDirectory(dir=directory, prefix="edge-bench-") as tmp:
        result = asyncio.run(_measure(Path(tmp) / "events.db", events, producers, max_batch))
    result["cpu_count"] = os.cpu_count()
    return result
