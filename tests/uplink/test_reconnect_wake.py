"""A broker blip shorter than the reconnect poll still wakes the sender (it was lost, and the backlog
then waited out a back-off of minutes: seen as a flaky broker-restart test)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from edge.uplink.service import Uplink


class Waker:
    def __init__(self) -> None:
        self.wakes = 0

    def wake(self) -> None:
        self.wakes += 1


async def test_a_reconnect_between_two_polls_wakes_the_sender_and_mirrors() -> None:
    transport = SimpleNamespace(connected=True, connections=1)
    sender, mirror = Waker(), Waker()
    uplink = SimpleNamespace(sessions=[transport], sender=sender, mirrors=[mirror])
    task = asyncio.create_task(Uplink._wake_on_reconnect(uplink))  # type: ignore[arg-type]
    try:
        await asyncio.sleep(0.7)
        assert sender.wakes == 0  # connected all along: nothing new
        transport.connections += 1  # lost and back within one poll: `connected` never read False
        for _ in range(20):
            await asyncio.sleep(0.1)
            if sender.wakes:
                break
        assert (sender.wakes, mirror.wakes) == (1, 1)
    finally:
        task.cancel()
