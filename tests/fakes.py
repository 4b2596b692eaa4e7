"""Test doubles shared by the daemon's tests: a clock that tests control."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta


class FakeClock:
    """Time moves only when someone sleeps on it; each sleep still yields to the loop."""

    def __init__(self, start: datetime = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)) -> None:
        self._start = start
        self.elapsed = 0.0
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self.elapsed)

    def monotonic(self) -> float:
        return self.elapsed

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.elapsed += max(seconds, 0.0)
        await asyncio.sleep(0)


async def wait_until(condition, timeout: float = 5.0, interval: float = 0.005) -> None:  # type: ignore[no-untyped-def]
    """Poll ``condition()`` until true; fail the test after ``timeout`` real seconds."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(interval)
