"""Test doubles for drivers: an event sink and a run harness (the clock is ``tests.fakes.FakeClock``).

Imported as ``tests.drivers.fakes`` (pytest is run from the repository root).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from drivers.base import DeviceEvent, Driver, DriverError
from tests.fakes import settle

E = TypeVar("E", bound=DeviceEvent)


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
