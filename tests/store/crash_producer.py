"""A producer process for the crash test: appends events and prints each acknowledged one.

Usage: python crash_producer.py DB_PATH PRODUCERS
Prints ``<seq> <event_id>`` on stdout after each commit acknowledgement, and
runs until killed.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from edge.events.model import EventDraft
from edge.store.writer import StoreWriter


async def produce(writer: StoreWriter, index: int) -> None:
    n = 0
    while True:
        n += 1
        draft = EventDraft("test.crash", n % 4, datetime.now(UTC), False, f"p{index}", {"n": n, "pad": "x" * 40})
        event = await writer.append(draft)
        sys.stdout.write(f"{event.seq} {event.event_id}\n")
        sys.stdout.flush()


async def main(path: Path, producers: int) -> None:
    async with StoreWriter(path, max_batch=64) as writer:
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        async with asyncio.TaskGroup() as group:
            for index in range(producers):
                group.create_task(produce(writer, index))


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2])))
