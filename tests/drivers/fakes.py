"""Test doubles for drivers: a clock that moves only when told, an event sink, a run harness.

Imported as ``tests.drivers.fakes`` (pytest is run from the repository root).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from drivers.base import DeviceEvent, Driver, DriverError

E = TypeVar("E", bound=DeviceEvent)


async def settle(rounds: int = 50) -> None:
    """Let every ready task run until things are quiet (no real time passes)."""
    for _ in range(rounds):
        await asyncio.sleep(0)


class FakeClock:
    """A Clock whose time stands still until ``advance``; sleepers wake in order of their deadline."""

    def __init__(self, start: datetime = datetime(2025, 1, 1, 8, 0, tzinfo=UTC)) -> None:
        self._start = start
        self._t = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._t)

    def monotonic(self) -> float:
        return self._t

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._t + seconds, next(self._order), future))
        await future

    async def advance(self, seconds: float) -> None:
        """Move time on by ``seconds``, waking each sleeper at its deadline and letting it run."""
        target = self._t + seconds
        await settle()
        while self._sleepers and self._sleepers[0][0] <= target:
            deadline, _, future = heapq.heappop(self._sleepers)
            self._t = max(self._t, deadline)
            if not future.done():
                future.set_result(None)
                await settle()
        self._t = target
        await settle()


class EventSink:
    """An ``emit`` that keeps what it is given."""

    def __init__(self) -> None:
        self.events: list[DeviceEvent] = []

    async def __call__(self, event: DeviceEvent) -> None:
        self.events.append(event)

    def of(self, kind: type[E]) -> list[E]:
        return [e for e in self.events if isinstance(e, kind)]

    def types(self) -> list[str]:
        return [e.TYPE for e in self.events]


@asynccontextmanager
async def running(driver: Driver) -> AsyncIterator[asyncio.Task[None]]:
    """connect(), run() in a task for the block, then cancel it and close().

    A run that ended with anything but DriverError or cancellation fails the test.
    """
    await driver.connect()
    task = asyncio.create_task(driver.run(), name=f"run:{driver.device_id}")
    await settle()
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.wait([task])
        await driver.close()
    if not task.cancelled() and not isinstance(task.exception(), DriverError):
        raise AssertionError(f"run() ended with {task.exception()!r}")


async def eventually(condition: Callable[[], bool], within_s: float = 3.0) -> None:
    """Wait in real time for ``condition`` (something a thread does); fail after ``within_s``."""
    give_up = time.monotonic() + within_s
    while not condition():
        if time.monotonic() > give_up:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)


def threads_named(prefix: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(prefix)]
