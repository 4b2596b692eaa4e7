"""Waiting on a driver's own clock, so that tests can drive time with a fake one."""

from __future__ import annotations

import asyncio

from drivers.base import Clock


async def wait_event(event: asyncio.Event, clock: Clock, seconds: float | None) -> bool:
    """Wait until ``event`` is set or ``seconds`` pass on ``clock`` (None: no limit); True if it was set.

    ``asyncio.timeout`` would measure loop time, which a fake clock does not move.
    """
    if event.is_set():
        return True
    if seconds is None:
        await event.wait()
        return True
    if seconds <= 0:
        return False
    waiter = asyncio.create_task(event.wait())
    sleeper = asyncio.create_task(clock.sleep(seconds))
    try:
        await asyncio.wait((waiter, sleeper), return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
        sleeper.cancel()
        await asyncio.gather(waiter, sleeper, return_exceptions=True)
    return event.is_set()
